"""Naming people and roles, who may run which staff command, and the per-role menus."""

from __future__ import annotations

import pytest

from handlers.i18n import default_catalog
from handlers.runtime.menus import MENU, Audience, audiences_of, commands_for
from moderation.staff.commands import (
    ById,
    ByUsername,
    StaffCommand,
    may_run,
    parse_person,
    parse_role,
)
from moderation.staff.roles import Role, Roles

STAFF_ONLY = {
    "queue",
    "block",
    "unblock",
    "grant",
    "revoke",
    "roles",
    "stats",
    "health",
    "legal",
    "lookup",
    "transparency",
}


def roles(*held: Role, bootstrap: tuple[Role, ...] = ()) -> Roles:
    return Roles(user_id=1, granted=frozenset(held), bootstrap=frozenset(bootstrap))


def names(audiences: Audience | frozenset[Audience]) -> set[str]:
    return {c.command for c in commands_for(audiences, default_catalog(), "en")}


# --- naming people and roles -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12345", ById(12345)),
        (" 777 ", ById(777)),
        ("@carl_c", ByUsername("carl_c")),
        ("@Shop_Owner_1", ByUsername("Shop_Owner_1")),
    ],
)
def test_a_person_is_a_numeric_id_or_an_at_username(text: str, expected: object) -> None:
    assert parse_person(text) == expected


@pytest.mark.parametrize(
    "text", ["carl_c", "@1abc", "@ab", "0", "-5", "12.5", "١٢٣", "@a" + "b" * 40, ""]
)
def test_anything_else_is_not_a_person(text: str) -> None:
    assert parse_person(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("moderator", Role.MODERATOR), ("LEGAL", Role.LEGAL), ("Admin", Role.ADMIN)],
)
def test_role_names_are_read_case_insensitively(text: str, expected: Role) -> None:
    assert parse_role(text) is expected


def test_an_unknown_role_name_is_none() -> None:
    assert parse_role("owner") is None


# --- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [StaffCommand.GRANT, StaffCommand.REVOKE, StaffCommand.ROLES])
def test_only_admins_run_role_commands(command: StaffCommand) -> None:
    assert may_run(roles(Role.ADMIN), command)
    assert may_run(roles(bootstrap=(Role.ADMIN,)), command)
    assert not may_run(roles(Role.MODERATOR, Role.LEGAL), command)
    assert not may_run(roles(), command)


@pytest.mark.parametrize("command", [StaffCommand.BLOCK, StaffCommand.UNBLOCK])
def test_admins_and_moderators_block_and_unblock(command: StaffCommand) -> None:
    assert may_run(roles(Role.ADMIN), command)
    assert may_run(roles(Role.MODERATOR), command)
    assert not may_run(roles(Role.LEGAL), command)
    assert not may_run(roles(), command)


# --- menus ------------------------------------------------------------------------------------


def test_the_reporter_menu_has_no_staff_command() -> None:
    assert not names(Audience.PRIVATE_CHATS) & STAFF_ONLY


def test_a_staff_private_menu_keeps_the_reporter_commands() -> None:
    assert names(Audience.PRIVATE_CHATS) <= names(audiences_of({Role.LEGAL}))


def test_a_moderator_sees_queue_and_blocking_but_no_admin_or_legal_command() -> None:
    menu = names(audiences_of({Role.MODERATOR}))
    assert {"queue", "block", "unblock"} <= menu
    assert not {"grant", "revoke", "roles", "stats", "health", "legal", "lookup"} & menu


def test_a_legal_officer_sees_legal_lookup_and_transparency() -> None:
    menu = names(audiences_of({Role.LEGAL}))
    assert {"legal", "lookup", "transparency"} <= menu
    assert not {"grant", "block", "stats"} & menu


def test_an_admin_sees_the_admin_commands() -> None:
    menu = names(audiences_of({Role.ADMIN}))
    expected = {"stats", "health", "grant", "revoke", "roles", "block", "unblock", "transparency"}
    assert expected <= menu


def test_several_roles_get_the_union_each_command_once_in_table_order() -> None:
    menu = commands_for(audiences_of({Role.LEGAL, Role.MODERATOR}), default_catalog(), "en")
    commands = [c.command for c in menu]
    assert len(commands) == len(set(commands))
    assert commands == [e.command for e in MENU if e.command in commands]
    assert {"legal", "block"} <= set(commands)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_menu_command_has_a_description_in_every_language(language: str) -> None:
    texts = default_catalog()
    for entry in MENU:
        assert f"command.description.{entry.command}" in texts.keys(language), entry.command
