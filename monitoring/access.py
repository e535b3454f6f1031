"""Who may do what: three roles, the actions each allows, and the roles file that assigns them.

- **viewer**: browse every page and export (charts, review packs, tables);
- **editor**: also upload files, save slices, write notes, acknowledge and silence alerts;
- **admin**: also delete slices and notes.

Roles only apply when the app has a login (``[auth]`` in
``.streamlit/secrets.toml``). The roles file (TOML; its path comes from
``DRIFTWATCH_ROLES``, else ``.streamlit/roles.toml`` in the checkout) maps
e-mail addresses, and optionally whole domains, to roles::

    default = "viewer"            # anyone else who signs in; leave out to let in only those below
    [users]
    "ada@example.org" = "admin"
    [domains]
    "example.org" = "editor"      # everyone @example.org not listed under [users]

An address is matched case-insensitively; ``[users]`` wins over
``[domains]``, which wins over ``default``. Someone who matches nothing has
no role and sees nothing but a note saying so. The checks are made where an
action is performed (:func:`require`), not only by hiding its button.
"""

from __future__ import annotations

import getpass
import os
import socket
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from monitoring.errors import AccessError

ROLES: tuple[str, ...] = ("viewer", "editor", "admin")
# The least role each action needs.
ACTIONS: dict[str, str] = {
    "browse": "viewer",
    "export": "viewer",
    "upload": "editor",
    "save_slice": "editor",
    "write_note": "editor",
    "silence_alert": "editor",
    "acknowledge_alert": "editor",
    "delete_slice": "admin",
    "delete_note": "admin",
}
# How an action reads in a sentence ("… may not delete slices").
ACTION_WORDS: dict[str, str] = {
    "browse": "browse",
    "export": "export",
    "upload": "upload files",
    "save_slice": "save slices",
    "write_note": "write notes",
    "silence_alert": "silence alerts",
    "acknowledge_alert": "acknowledge alerts",
    "delete_slice": "delete slices",
    "delete_note": "delete notes",
}
ROLES_ENV = "DRIFTWATCH_ROLES"
DEFAULT_ROLES_FILE = Path(__file__).resolve().parents[1] / ".streamlit" / "roles.toml"


@dataclass(frozen=True)
class Actor:
    """Who performs an action, as the audit log records it.

    ``user`` is an e-mail address for a signed-in user, or a description
    ("local user, no login", "root@host (command line)"); ``role`` is one of
    :data:`ROLES`, or ``None`` when nobody assigned one.
    """

    user: str
    role: str | None

    def may(self, action: str) -> bool:
        """True when this actor's role allows ``action``."""
        return allowed(self.role, action)

    def require(self, action: str) -> None:
        """Refuse ``action`` unless this actor's role allows it.

        Raises
        ------
        AccessError
            Naming the user, the action and the role it needs.
        """
        if not self.may(action):
            have = f"the {self.role} role" if self.role else "no role"
            raise AccessError(
                f"{self.user} has {have} and may not {ACTION_WORDS[action]}: that needs the "
                f"{ACTIONS[action]} role (an admin assigns roles in the roles file)"
            )


def allowed(role: str | None, action: str) -> bool:
    """True when ``role`` (``None``: no role) allows ``action``.

    Raises
    ------
    KeyError
        For an action that is not in :data:`ACTIONS` (a programming error).
    """
    needed = ROLES.index(ACTIONS[action])
    return role in ROLES and ROLES.index(role) >= needed


def local_process(via: str = "command line") -> Actor:
    """The actor of a process on this machine (``import``, ``log_records``): its account."""
    return Actor(f"{getpass.getuser()}@{socket.gethostname()} ({via})", None)


@dataclass(frozen=True)
class RoleMap:
    """The roles file, read: addresses and domains to roles, and the default role."""

    users: dict[str, str] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)
    default: str | None = None
    source: Path | None = None

    def role_for(self, email: str | None) -> str | None:
        """The role of the user signed in with ``email`` (``None``: no role)."""
        if not email:
            return None
        address = email.strip().lower()
        domain = address.rpartition("@")[2]
        return self.users.get(address) or self.domains.get(domain) or self.default


def roles_path() -> Path:
    """Where the roles file is: ``$DRIFTWATCH_ROLES``, else ``.streamlit/roles.toml``."""
    return Path(os.environ.get(ROLES_ENV) or DEFAULT_ROLES_FILE)


def load_roles(path: str | Path | None = None) -> RoleMap:
    """Read the roles file (default :func:`roles_path`); a missing file assigns no roles.

    Raises
    ------
    AccessError
        The file is not valid TOML, has unknown keys, or names an unknown role;
        the message names the file and the entry.
    """
    path = Path(path) if path is not None else roles_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return RoleMap(source=None)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AccessError(f"{path}: cannot read the roles file: {exc}") from exc
    unknown = sorted(set(raw) - {"default", "users", "domains"})
    if unknown:
        raise AccessError(f"{path}: unknown key(s) {unknown}; use default, [users], [domains]")
    default = raw.get("default")
    _check_role(path, "default", default)
    tables: dict[str, dict[str, str]] = {}
    for table in ("users", "domains"):
        entries = raw.get(table, {})
        if not isinstance(entries, dict):
            raise AccessError(f"{path}: [{table}] must be a table of names to roles")
        for name, role in entries.items():
            _check_role(path, f"{table}.{name!r}", role)
        # "@example.org" and "example.org" name the same domain.
        strip = "@ " if table == "domains" else " "
        tables[table] = {str(k).strip(strip).lower(): str(v) for k, v in entries.items()}
    return RoleMap(tables["users"], tables["domains"], default, path)


def _check_role(path: Path, where: str, role: object) -> None:
    if role is not None and role not in ROLES:
        raise AccessError(f"{path}: {where} = {role!r} is not a role; roles are {list(ROLES)}")
