"""Sign-in with Streamlit's OIDC (st.login / st.user / st.logout), page access and audit events.

The rules live in ``ocops.auth`` and ``ocops.audit``; this module only reads
``st.user``, draws the sign-in screen and plain messages, and records what
a session does. Without an ``[auth]`` section in the secrets the app runs for
one person on a loopback address (and says so), and refuses to serve others.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from typing import Any

import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ocops import audit
from ocops.auth import Identity, identity_from_claims, is_loopback, local_identity, refusal, session_expired
from ocops.config import Settings
from ocops.geo import CountryIndex
from ocops.markup import plain
from ocops.ui import navigation
from ocops.ui.data import Context

log = logging.getLogger("ocops.ui")
SIGNED_IN, DENIED, LAST_VIEW, RESTORED = ("_ocops_signed_in", "_ocops_denied", "_ocops_last_view",
                                          "_ocops_link_restored")
STASH_SECONDS = 900  # a link waits this long for its sign-in to come back
LOCAL_NOTICE = ("Single-user mode: no sign-in is configured, so this dashboard serves only this machine "
                "and shows everything. See “Deploying for a team” in the README to serve a team.")
NO_ACCESS = ("You are signed in as {user}, but your account has no role or no region in ocops. "
             "Ask your administrator for access; changes take effect the next time you sign in.")


def auth_configured() -> bool:
    """Whether sign-in is configured (Streamlit adds ``is_logged_in`` to st.user only then)."""
    return "is_logged_in" in st.user.to_dict()


def requested_page() -> str:
    """The url path of the page the browser asked for ('' for the default page)."""
    ctx = get_script_run_ctx()
    return (ctx.pages_manager.intended_page_name or "") if ctx is not None else ""


def _browser_key() -> str | None:
    """A per-browser key that survives the sign-in round trip: the XSRF cookie's token (not its mask)."""
    cookie = st.context.cookies.get("_streamlit_xsrf")
    if not isinstance(cookie, str) or not cookie:  # no cookie (or AppTest's stand-in)
        return None
    parts = cookie.split("|")
    try:  # "2|mask|masked token|timestamp"; the mask (repeated) changes per response, the token does not
        mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
        token = bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked))
    except (IndexError, ValueError, ZeroDivisionError):
        token = cookie.encode()
    return hashlib.sha256(token).hexdigest()


@st.cache_resource(show_spinner=False)
def _stash() -> dict[str, tuple[float, str, dict[str, list[str]]]]:
    """Links waiting for their sign-in: browser key -> (time, page, query parameters)."""
    return {}


def _sign_in(page: str) -> None:
    key = _browser_key()
    if key is not None:
        params = {name: st.query_params.get_all(name) for name in st.query_params}
        _stash()[key] = (time.monotonic(), page, params)
    st.login()


def _screen_only() -> str:
    """Resolve the requested page without drawing the page list, so a screen can replace the page;
    returns that page's url path."""
    return str(st.navigation(navigation.pages(), position="hidden").url_path)


def _sign_in_screen() -> None:
    page = _screen_only()
    st.title("ocops")
    st.write("Sign in to see the operation results you are responsible for.")
    if st.button("Sign in", type="primary", icon=":material/login:", key="ocops_sign_in"):
        _sign_in(page)
    st.stop()


def _sign_out(engine: Engine, identity: Identity, reason: str) -> None:
    audit.record(engine, identity.user, "sign-out", {"reason": reason})
    st.logout()


def session_identity(settings: Settings, engine: Engine, countries: CountryIndex) -> Identity:
    """Who is using this session; stops the run with the sign-in screen or a plain message when needed."""
    if not auth_configured():
        address = st.get_option("server.address")
        if not is_loopback(address):
            _screen_only()
            message = refusal(address)
            log.error(message)
            st.error(message, icon=":material/block:")
            st.stop()
        return local_identity(settings.user)
    if not st.user.is_logged_in:
        _sign_in_screen()
    identity = identity_from_claims(st.user.to_dict(), settings.auth, countries)
    if session_expired(identity, settings.auth, dt.datetime.now(dt.UTC)):
        _sign_out(engine, identity, f"session older than {settings.auth.session_max_age_hours:g} hours")
        st.stop()
    if not st.session_state.get(SIGNED_IN):
        detail = {"signed_in_at": identity.signed_in_at.isoformat() if identity.signed_in_at else None,
                  **identity.to_dict()}
        if not audit.has_entry(engine, identity.user, "sign-in", detail):
            audit.record(engine, identity.user, "sign-in", detail)
        st.session_state[SIGNED_IN] = True
    if not identity.allowed:
        deny(engine, identity, "no recognised role or scope")
        _screen_only()
        st.info(NO_ACCESS.format(user=plain(identity.user)), icon=":material/lock:")
        if st.button("Sign out", key="ocops_sign_out_denied"):
            _sign_out(engine, identity, "signed out")
        st.stop()
    return identity


def deny(engine: Engine, identity: Identity, what: str) -> None:
    """Record an access-denied event once per session and thing denied."""
    denied = st.session_state.setdefault(DENIED, set())
    if what not in denied:
        denied.add(what)
        audit.record(engine, identity.user, "access-denied", {"what": what, **identity.to_dict()})


def restore_link(pages: list[Any]) -> None:
    """After sign-in, go to the page and filters the link named (Streamlit drops them on the redirect)."""
    if not auth_configured() or st.session_state.get(RESTORED):
        return
    st.session_state[RESTORED] = True
    key = _browser_key()
    stashed = _stash().pop(key, None) if key is not None else None
    if stashed is None or time.monotonic() - stashed[0] > STASH_SECONDS:
        return
    _when, page, params = stashed
    if params and not dict(st.query_params):
        st.query_params.from_dict(params)
    target = next((p for p in pages if p.url_path == page), None)
    if page and target is not None:
        st.switch_page(target, query_params=params)


def deny_unreachable(engine: Engine, identity: Identity, pages: list[Any]) -> None:
    """A link to a page the role may not open: say so (Streamlit shows the default page) and record it."""
    asked = requested_page()
    title = navigation.title_of(asked)
    if asked and title and asked not in {p.url_path for p in pages}:
        deny(engine, identity, f"page {asked}")
        st.warning(f"Your role ({identity.role}) cannot open the {title} page.", icon=":material/lock:")


def require(context: Context, permission: str, message: str) -> None:
    """Stop the page here (with ``message``) unless the user's role allows ``permission``."""
    if context.identity.can(permission):
        return
    deny(context.engine, context.identity, permission)
    st.info(message, icon=":material/lock:")
    st.stop()


def user_box(engine: Engine, identity: Identity) -> None:
    """The sidebar's line on who is signed in (with Sign out), or the single-user notice."""
    if not auth_configured():
        st.caption(LOCAL_NOTICE)
        return
    st.sidebar.caption(f"Signed in as **{plain(identity.user)}** ({identity.role}; {plain(identity.scope_text())})")
    if st.sidebar.button("Sign out", key="ocops_sign_out", icon=":material/logout:"):
        _sign_out(engine, identity, "signed out")


def record_view(context: Context, page: str) -> None:
    """A 'view' event when the page or the filter changed since this session's last one (not every rerun)."""
    seen = (page, context.flt)
    if st.session_state.get(LAST_VIEW) == seen:
        return
    st.session_state[LAST_VIEW] = seen
    audit.record(context.engine, context.identity.user, "view",
                 {"page": page or "overview", "filter": context.flt.to_dict(), "rows": len(context.selected())})


def record(context: Context, action: str, detail: dict[str, Any]) -> None:
    """Record an action of the signed-in user (export, report, import, ...)."""
    audit.record(context.engine, context.identity.user, action, detail)
