"""Roles, the actions they allow, and reading the roles file."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitoring.access import ACTIONS, ROLES, Actor, RoleMap, allowed, load_roles
from monitoring.errors import AccessError

EXPECTED = {
    "viewer": {"browse", "export"},
    "editor": {
        "browse",
        "export",
        "upload",
        "save_slice",
        "write_note",
        "silence_alert",
        "acknowledge_alert",
    },
    "admin": set(ACTIONS),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_allows_exactly_its_actions(role: str) -> None:
    assert {a for a in ACTIONS if allowed(role, a)} == EXPECTED[role]


def test_no_role_allows_nothing_and_unknown_actions_are_bugs() -> None:
    assert not any(allowed(None, a) for a in ACTIONS)
    assert not allowed("superuser", "browse")
    with pytest.raises(KeyError):
        allowed("admin", "launch")


def test_a_refusal_names_the_user_the_action_and_the_role_it_needs() -> None:
    with pytest.raises(AccessError, match=r"vera@example.org has the viewer role and may not "
                       r"delete slices: that needs the admin role"):  # fmt: skip
        Actor("vera@example.org", "viewer").require("delete_slice")
    with pytest.raises(AccessError, match="has no role and may not browse"):
        Actor("x@example.org", None).require("browse")
    Actor("ada@example.org", "admin").require("delete_note")  # allowed: no error


def test_roles_file_users_domains_and_default(tmp_path: Path) -> None:
    path = tmp_path / "roles.toml"
    path.write_text(
        'default = "viewer"\n'
        '[users]\n"Ada@Example.org" = "admin"\n"ed@example.org" = "editor"\n'
        '[domains]\n"@corp.example" = "editor"\n'
    )
    roles = load_roles(path)
    assert roles.role_for(" ADA@example.org ") == "admin"  # case and spaces do not matter
    assert roles.role_for("ed@example.org") == "editor"
    assert roles.role_for("someone@corp.example") == "editor"
    assert roles.role_for("stranger@elsewhere.example") == "viewer"
    assert roles.role_for(None) is None and roles.role_for("") is None


def test_without_a_default_only_listed_people_have_a_role(tmp_path: Path) -> None:
    path = tmp_path / "roles.toml"
    path.write_text('[users]\n"ada@example.org" = "admin"\n')
    assert load_roles(path).role_for("stranger@example.org") is None


def test_a_missing_roles_file_gives_nobody_a_role(tmp_path: Path) -> None:
    roles = load_roles(tmp_path / "absent.toml")
    assert roles == RoleMap() and roles.role_for("ada@example.org") is None


def test_roles_file_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "team.toml"
    path.write_text('[users]\n"ada@example.org" = "admin"\n')
    monkeypatch.setenv("DRIFTWATCH_ROLES", str(path))
    assert load_roles().role_for("ada@example.org") == "admin"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('default = "owner"\n', "default = 'owner' is not a role"),
        ('[users]\n"a@b.c" = "root"\n', "users.'a@b.c' = 'root' is not a role"),
        ('admins = ["a@b.c"]\n', "unknown key(s) ['admins']"),
        ("users = 3\n", "[users] must be a table"),
        ("[users\n", "cannot read the roles file"),
    ],
)
def test_a_broken_roles_file_is_refused_naming_the_entry(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "roles.toml"
    path.write_text(text)
    with pytest.raises(AccessError) as err:
        load_roles(path)
    assert str(path) in str(err.value) and message in str(err.value)
