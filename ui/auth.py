"""Who is using the app, and what they may do (see :mod:`monitoring.access` for the roles).

With ``[auth]`` in ``.streamlit/secrets.toml`` the app needs a login
(``st.login``, OpenID Connect) and every signed-in user gets the role the
roles file gives their e-mail address. Without it the app has no login: it is
meant for one person on this machine (``scripts/run.sh`` binds 127.0.0.1), so
a browser on this machine may do everything, while a browser on another
machine — the app was started on a public address without a login — may only
browse and export. The sidebar always says which case applies.

Views call :func:`require` where they perform an action, so a refused action
is refused however it is reached, not only by a hidden button.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

import streamlit as st

from monitoring.access import Actor, RoleMap, load_roles, roles_path
from monitoring.errors import AccessError
from ui import data
from ui.text import md

LOCAL_USER = "local user (no login)"
REMOTE_USER = "remote user (no login)"


def configured() -> bool:
    """True when ``[auth]`` is configured (``st.user`` then says whether someone is logged in)."""
    return "is_logged_in" in st.user


def current() -> Actor:
    """The current session's user and role (``role`` is ``None`` when they may do nothing)."""
    if not configured():
        return Actor(REMOTE_USER, "viewer") if _remote() else Actor(LOCAL_USER, "admin")
    if not st.user.get("is_logged_in"):
        return Actor("(not signed in)", None)
    email = str(st.user.get("email") or st.user.get("sub") or "")
    return Actor(email or "(no e-mail)", _roles().role_for(email))


def may(action: str) -> bool:
    """True when the current user may perform ``action`` (for showing or hiding controls)."""
    return current().may(action)


def require(action: str) -> Actor:
    """The current user, if they may perform ``action``.

    Raises
    ------
    AccessError
        They may not; the message names them, the action and the role it needs.
    """
    actor = current()
    actor.require(action)
    return actor


def gate() -> Actor:
    """Before anything is drawn: a login page for visitors, a note for users without a role.

    Returns the user when they may browse; otherwise draws what to do and stops the run.
    """
    try:
        actor = current()
    except AccessError as exc:  # the roles file is broken: nobody gets in until it is fixed
        st.error(md(str(exc)))
        st.stop()
    if not configured() or actor.may("browse"):
        return actor
    st.title("Driftwatch")
    if not st.user.get("is_logged_in"):
        st.write("Sign in to see the monitored models.")
        for name, label in _providers():
            if st.button(label, key=f"auth_login_{name or 'default'}", type="primary"):
                st.login() if name is None else st.login(name)
    else:
        st.warning(
            f"You are signed in as {md(actor.user)}, who has no role in Driftwatch. "
            f"Ask an admin to add your address to the roles file ({md(roles_path())})."
        )
        st.button("Log out", key="auth_logout", on_click=st.logout)
    st.stop()


def sidebar(actor: Actor) -> None:
    """Who is signed in and with which role, or that the app runs without a login."""
    if configured():
        st.sidebar.caption(f"Signed in as **{md(actor.user)}** · {actor.role}")
        st.sidebar.button("Log out", key="auth_logout", on_click=st.logout)
    elif actor.user == LOCAL_USER:
        st.sidebar.caption(
            ":material/lock_open: No login: local use only. Anyone who can open this page may "
            "change or delete anything. To serve a team, configure a login (see the README)."
        )
    else:
        st.sidebar.warning(
            "No login is configured and you are on another machine: you may browse and "
            "export only.",
            icon=":material/lock:",
        )


def _remote() -> bool:
    """True when the browser is on another machine (Streamlit gives no address for loopback)."""
    address = st.context.ip_address
    if not isinstance(address, str):  # None on this machine (and no real address in AppTest)
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return True
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1 is this machine too
    return not (ip.is_loopback or (mapped is not None and mapped.is_loopback))


def _roles() -> RoleMap:
    path = roles_path()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0  # no roles file: nobody has a role
    return data.roles(str(path), stamp) if stamp else load_roles(path)


def _providers() -> list[tuple[str | None, str]]:
    """(name for ``st.login``, button label) of each configured identity provider."""
    settings: Mapping[str, object] = st.secrets.get("auth", {})
    named = [k for k, v in settings.items() if isinstance(v, Mapping)]
    found: list[tuple[str | None, str]] = [(k, f"Log in with {k}") for k in named]
    if "client_id" in settings or not found:
        found.insert(0, (None, "Log in"))
    return found
