"""Sealed grants: what makes a legal or admin role evidence that two admins gave it, through
the bot.

A legal or admin grant, and a proposal of one, is sealed when the bot writes it, with an
HMAC-SHA256 under LEDGER_KEY (its key id kept with it, so after a rotation
LEDGER_PREVIOUS_KEYS keeps old seals verifiable) over a canonical JSON of everything the rules
read: the person, the role, who proposed it and when, and for a grant who confirmed it and
when. The tags ("role-grant", "grant-proposal") keep these MACs apart from the votes' and the
ledger's under the same key.

Someone who can write the database but lacks the key can therefore neither insert a legal or
admin role for an account of their own, nor a proposal a real admin would confirm, nor change
who proposed or confirmed a genuine grant (to dodge the independence rule) or when (to skip the
cool-off): the seal stops verifying. Such a row still opens the commands and menus of its role
(the access gate reads roles as they are stored), but it never counts for due process: the
legal flow (moderation/legal/officers.py) and the confirmation of grants (team.py) treat its
holder as not holding the role. Grants from before migration 0025 carry no seal and are
treated the same until two admins grant the role again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from moderation.clock import utc_text
from moderation.legal.ledger import LedgerKeys, canonical
from moderation.staff.roles import NEEDS_SECOND_ADMIN, PendingGrant, Role, RoleGrant

#: The domain tags that keep a grant's and a proposal's seals apart from every other MAC.
GRANT_TAG: Final = "role-grant"
PROPOSAL_TAG: Final = "grant-proposal"
#: The roles whose grants are sealed (due process reads them); moderator grants are not.
SEALED_ROLES: Final = NEEDS_SECOND_ADMIN


@dataclass(frozen=True, slots=True)
class GrantSeal:
    key_id: str  # the LEDGER_KEY that made it
    seal: str  # HMAC-SHA256, hex


def grant_message(grant: RoleGrant) -> bytes:
    """What a grant's seal covers."""
    body = {
        "user": grant.user_id,
        "role": grant.role.value,
        "proposed_by": grant.granted_by,
        "proposed_at": utc_text(grant.granted_at),
        "confirmed_by": grant.confirmed_by,
        "confirmed_at": None if grant.confirmed_at is None else utc_text(grant.confirmed_at),
    }
    return canonical([GRANT_TAG, body])


def proposal_message(pending: PendingGrant) -> bytes:
    """What a proposal's seal covers."""
    body = {
        "user": pending.user_id,
        "role": pending.role.value,
        "proposed_by": pending.proposed_by,
        "proposed_at": utc_text(pending.proposed_at),
    }
    return canonical([PROPOSAL_TAG, body])


def _seal(keys: LedgerKeys, message: bytes) -> GrantSeal:
    return GrantSeal(keys.current_id, keys.sign(message))


def seal_grant(keys: LedgerKeys, grant: RoleGrant) -> GrantSeal:
    """The seal of a grant made now, under the current LEDGER_KEY."""
    return _seal(keys, grant_message(grant))


def seal_proposal(keys: LedgerKeys, pending: PendingGrant) -> GrantSeal:
    """The seal of a proposal made now, under the current LEDGER_KEY."""
    return _seal(keys, proposal_message(pending))


def _problem(
    keys: LedgerKeys | None,
    what: str,
    seal: str | None,
    key_id: str | None,
    message: bytes,
) -> str | None:
    if seal is None or key_id is None:
        return (
            f"{what} carries no seal (made before grants were sealed, or written outside the "
            "bot); two admins must grant it again from the bot"
        )
    if keys is None:
        return f"{what} cannot be verified: LEDGER_KEY is not set"
    verifies = keys.verifies(key_id, message, seal)
    if verifies is None:
        return (
            f"{what} is sealed with ledger key {key_id!r}, which is not configured (add it to "
            "LEDGER_PREVIOUS_KEYS)"
        )
    if not verifies:
        return (
            f"{what} does not match its seal: it was written or changed outside the bot; two "
            "admins must grant it again from the bot"
        )
    return None


def grant_problem(keys: LedgerKeys | None, grant: RoleGrant) -> str | None:
    """Why a legal or admin grant does not count for due process (None: its seal verifies)."""
    what = f"the {grant.role.value} grant of {grant.user_id}"
    return _problem(keys, what, grant.seal, grant.seal_key_id, grant_message(grant))


def proposal_problem(keys: LedgerKeys | None, pending: PendingGrant) -> str | None:
    """Why a proposed grant cannot be confirmed (None: its seal verifies)."""
    what = f"the proposed {pending.role.value} grant of {pending.user_id}"
    return _problem(keys, what, pending.seal, pending.seal_key_id, proposal_message(pending))


def unverifiable(keys: LedgerKeys | None, grant: RoleGrant) -> bool:
    """A sealed grant whose key is not at hand (LEDGER_KEY unset, or its key id missing from
    LEDGER_PREVIOUS_KEYS): it does not count now, but nothing proves it forged either, so what
    its holder did is not voided for it (a configuration mistake must not destroy votes)."""
    if grant.seal is None or grant.seal_key_id is None:
        return False
    return keys is None or not keys.knows(grant.seal_key_id)


def counts(keys: LedgerKeys | None, grant: RoleGrant | None) -> bool:
    """Whether a grant gives its role for due process: a sealed role's grant only when its
    seal verifies; a moderator's grant always."""
    if grant is None:
        return False
    return grant.role not in SEALED_ROLES or grant_problem(keys, grant) is None


def verified_holders(
    keys: LedgerKeys | None, grants: list[RoleGrant], role: Role
) -> frozenset[int]:
    """The holders of `role` by a grant that counts (for notices owed only to real officers)."""
    return frozenset(g.user_id for g in grants if g.role is role and counts(keys, g))


def legal_officers_among(
    keys: LedgerKeys | None, grants: list[RoleGrant], bootstrap_legal: Iterable[int]
) -> frozenset[int]:
    """Every legal officer for due process (those owed the ledger's heads and the role
    notices): LEGAL_OFFICER_IDS and the holders of a legal grant whose seal verifies; a row
    written outside the bot is told nothing."""
    return frozenset(bootstrap_legal) | verified_holders(keys, grants, Role.LEGAL)
