"""Text from data, file names and URLs, made safe to show: escaped once, here.

Streamlit renders messages, captions and widget labels as Markdown (links,
images that the viewer's browser fetches, LaTeX, colours), and Plotly renders
a little HTML in labels (``<a href>``, ``<span style>``). A text that comes from
a record, a file or a link goes through :func:`plain` before it reaches
Markdown, and through :func:`chart_text` before it reaches a chart label, so it
shows exactly as written and never as markup. Texts shown as plain text
(table cells, selectbox options, downloads) need neither.
"""

from __future__ import annotations

import re

# What Markdown (with Streamlit's and GitHub's extensions) could read as markup inside a line: links and
# images ([ ]), HTML and autolinks (< >), LaTeX ($), emphasis at a word's edge (* ~ and _ but not the
# one in crime_area) and entity references (&lt;).
_INLINE = re.compile(r"[\\\[\]<>$*~]|(?<!\w)_|_(?!\w)|&(?=#?\w+;)")
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+(?=[.)]))")  # a heading, quote, list or rule
# GitHub's bare-URL and e-mail links are found in the text after the escapes are read, so they are
# broken with an invisible word joiner instead: before "://", after "www", before "@".
_BARE_LINK = re.compile(r"(?=://)|(?<=\bwww)(?=\.)|(?=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """``text`` for Streamlit's Markdown, shown as written: no link, image, LaTeX, HTML, emphasis,
    heading or list (each character that could start one is backslash-escaped, a bare URL gets an
    invisible word joiner); line breaks become spaces. Ordinary punctuation is left alone."""
    line = " ".join(str(text).splitlines())
    line = _BARE_LINK.sub(WORD_JOINER, _INLINE.sub(lambda m: "\\" + m.group(0), line))
    return _LINE_START.sub(lambda m: m.group(1) + ("\\" + m.group(2) if not m.group(2)[0].isdigit()
                                                    else m.group(2) + "\\"), line)


def chart_text(text: object) -> str:
    """``text`` for a Plotly label or legend: its pseudo-HTML tags shown as text (``<a>`` stays ``<a>``)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
