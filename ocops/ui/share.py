"""The "Copy link" button: copies the address of the current view (page and filters).

The filters are always written to the URL (``ocops.ui.filters``), so the browser's own
address is the link; the button, in a small same-origin component frame (which may write to
the clipboard), copies ``window.parent.location.href`` when clicked. The Clipboard
API needs a secure context (https or localhost), so plain http on another host falls back to
a hidden text field and ``document.execCommand("copy")``; if that fails too, the address is
selected in a prompt for Ctrl+C.
"""

from __future__ import annotations

import json

import streamlit as st
import streamlit.components.v1 as components

BUTTON_ID = "ocops-copy-link"
# Material "link" icon inline (no icon font or emoji font needed offline)
ICON = ('<svg width="16" height="16" viewBox="0 0 24 24" style="vertical-align:-3px" aria-hidden="true">'
        '<path fill="currentColor" d="M3.9 12c0-1.71 1.39-3.1 3.1-3.1h4V7H7c-2.76 0-5 2.24-5 5s2.24 5 5 5h4v-1.9H7'
        'c-1.71 0-3.1-1.39-3.1-3.1zM8 13h8v-2H8v2zm9-6h-4v1.9h4c1.71 0 3.1 1.39 3.1 3.1s-1.39 3.1-3.1 3.1h-4V17h4'
        'c2.76 0 5-2.24 5-5s-2.24-5-5-5z"/></svg>')
_HTML = """
<button id="%(id)s" type="button" title="Copy the address of this page with its filters"
  style="width:100%%;height:38px;padding:0.35rem 0.75rem;border:1px solid rgba(49,51,63,0.2);border-radius:0.5rem;
         background:white;color:rgb(49,51,63);font:inherit;cursor:pointer">%(icon)s Copy link</button>
<script>
(() => {
  const button = document.getElementById("%(id)s");
  if (!button || button.dataset.ready) return;
  button.dataset.ready = "1";
  const done = (text) => { button.textContent = text; setTimeout(() => { button.innerHTML = %(icon_js)s; }, 2000); };
  const fallback = (link) => {
    const field = document.createElement("textarea");
    field.value = link; field.style.position = "fixed"; field.style.opacity = "0";
    document.body.appendChild(field); field.select();
    let copied = false;
    try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    field.remove();
    if (copied) { done("Link copied"); } else { window.prompt("Copy this link (Ctrl+C):", link); }
  };
  button.addEventListener("click", () => {
    const link = window.parent.location.href;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(link).then(() => done("Link copied"), () => fallback(link));
    } else {
      fallback(link);
    }
  });
})();
</script>
"""


def copy_link_button() -> None:
    """A sidebar button that copies the link of the current view to the clipboard."""
    label = f"{ICON} Copy link"
    page = _HTML % {"id": BUTTON_ID, "icon": ICON, "icon_js": json.dumps(label)}
    with st.sidebar:
        components.html(f'<body style="margin:0;font-family:sans-serif;font-size:14px">{page}</body>', height=42)
