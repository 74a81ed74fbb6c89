"""English texts of the roles feature (merged into the en catalog; keys must not collide)."""

from typing import Final

TEXTS: Final[dict[str, str]] = {
    # Staff menus (handlers/runtime/menus.py); /health's description lives with the operating texts.
    "command.description.block": "Block a reporter: /block id|@name [reason]",
    "command.description.unblock": "Let a blocked reporter report again",
    "command.description.grant": "Give a role (legal, admin: a second admin confirms)",
    "command.description.revoke": "Take a granted role away",
    "command.description.roles": "Who is staff, and who granted what",
    "command.description.stats": "Reports, cases and decisions in numbers",
    "command.description.legal": "Legal requests",
    "command.description.lookup": "Look a violator up for a legal request",
    "command.description.transparency": "The transparency report",
    # Roles as people read them.
    "role.moderator": "moderator",
    "role.legal": "legal officer",
    "role.admin": "admin",
    "role.none": "none (reporter)",
    # How a person is shown: @username when we know it, always the id.
    "staff.person.named": "@{username} (<code>{user_id}</code>)",
    "staff.person.id": "<code>{user_id}</code>",
    # Refusals for people without the role.
    "staff.refused.grant": "⛔ Only admins can grant roles.",
    "staff.refused.revoke": "⛔ Only admins can revoke roles.",
    "staff.refused.roles": "⛔ Only admins can see the staff list.",
    "staff.refused.block": "⛔ Only admins and moderators can block reporters.",
    "staff.refused.unblock": "⛔ Only admins and moderators can unblock reporters.",
    # Usage lines.
    "staff.usage.grant": (
        "Usage: <code>/grant &lt;user id or @username&gt; moderator|legal|admin</code>"
    ),
    "staff.usage.revoke": (
        "Usage: <code>/revoke &lt;user id or @username&gt; moderator|legal|admin</code>"
    ),
    "staff.usage.roles": "Usage: <code>/roles</code>",
    "staff.usage.block": "Usage: <code>/block &lt;user id or @username&gt; [reason]</code>",
    "staff.usage.unblock": "Usage: <code>/unblock &lt;user id or @username&gt;</code>",
    "staff.unknown_username": (
        "⚠️ I do not know @{username}. They must first message me (send /start in a private "
        "chat with me), or use their numeric user id."
    ),
    # Grant and revoke.
    "staff.granted": "✅ {person} is now {role}. Their roles: {roles}.",
    "staff.revoked": "✅ {person} is no longer {role}. Their roles: {roles}.",
    "staff.menu_not_set": (
        "ℹ️ Their command menu could not be updated yet: they have not opened a chat with me. "
        "It is set when they send me /start."
    ),
    "staff.refused.already_has": "{person} is already {role}. Nothing changed.",
    "staff.refused.already_has_bootstrap": (
        "{person} is already {role}, from the bot's settings ({setting}). Nothing changed."
    ),
    "staff.refused.bootstrap": (
        "⛔ {person} is {role} because of the bot's settings ({setting}); that cannot be "
        "revoked from the bot. Change {setting} and restart the bot."
    ),
    "staff.refused.not_granted": (
        "{person} has no granted {role} role, so there is nothing to revoke."
    ),
    # /roles
    "staff.list": (
        "<b>Staff</b>\n\n<b>From the settings</b> (cannot be revoked from the bot)\n{bootstrap}"
        "\n\n<b>Granted from the bot</b>\n{granted}"
    ),
    "staff.list.bootstrap_row": "• {person} — {role}",
    "staff.list.granted_row": "• {person} — {role}, granted by {by} on {at} UTC",
    "staff.list.none": "none",
    "staff.list.more": "… and {count} more",
    # Block and unblock.
    "staff.blocked": "🚫 {person} is blocked: they can no longer file reports.",
    "staff.blocked_reason": (
        "🚫 {person} is blocked: they can no longer file reports.\nReason: {reason}"
    ),
    "staff.unblocked": "✅ {person} is unblocked and may file reports again.",
    "staff.refused.staff": "⛔ {person} is staff ({roles}); staff cannot be blocked.",
    "staff.refused.already_blocked": "{person} is already blocked. Nothing changed.",
    "staff.refused.not_blocked": "{person} is not blocked. Nothing changed.",
    "staff.refused.reason_too_long": (
        "⚠️ The reason is too long: {limit} characters at most. Nothing changed."
    ),
    # Four eyes are two people: legal and admin grants need a second admin.
    "staff.proposed": (
        "⏳ {person} is <b>not</b> {role} yet: the grant is proposed. A legal or admin role "
        "takes effect only when a second admin confirms it, so that one person can never give "
        "themselves four eyes. Another admin confirms with "
        "<code>/grant {user_id} {role_value}</code> before {until} UTC: not you, not {person}, "
        "and not an admin whose admin role you proposed or confirmed (or who gave you yours). "
        "/roles lists it; <code>/revoke {user_id} {role_value}</code> withdraws it."
    ),
    "staff.withdrawn": (
        "✅ The proposed {role} role for {person} (proposed by {by}) is withdrawn; it never "
        "took effect."
    ),
    "staff.refused.own_proposal": (
        "⛔ You proposed {role} for {person} yourself; a second admin must confirm it with the "
        "same /grant. Nothing changed."
    ),
    "staff.refused.confirm_for_self": (
        "⛔ {by} proposed {role} for you; nobody confirms a role for themselves, another admin "
        "must. Nothing changed."
    ),
    "staff.refused.not_independent": (
        "⛔ {by} proposed {role} for {person}, and one of you holds the admin role through a "
        "grant the other proposed or confirmed: that is not two independent admins. An admin "
        "from the settings (ADMIN_IDS), or one whose admin role came from someone else, must "
        "confirm. Nothing changed."
    ),
    "staff.list.confirmed_by": ", confirmed by {by}",
    "staff.list.legacy": (
        " — <b>not sealed</b> (made before grants were sealed, or written outside the bot): it "
        "opens the role's commands but does not count for legal requests or for confirming "
        "grants until two admins grant it again (<code>/grant {user_id} {role}</code>)"
    ),
    "staff.list.pending": (
        "\n\n<b>Proposed, waiting for a second admin</b> (no role until confirmed)\n{pending}"
    ),
    "staff.list.pending_row": (
        "• {person} — {role}, proposed by {by} on {at} UTC; lapses {until} UTC"
    ),
    # Sealed grants: legal and admin grants carry a seal under LEDGER_KEY.
    "staff.granted.replaced": (
        "ℹ️ This sealed grant replaces their earlier unsealed one, which did not count for "
        "legal requests. A legal role counts for approvals after the cool-off "
        "(LEGAL_GRANT_COOL_OFF_HOURS)."
    ),
    "staff.proposed.regrant": (
        "ℹ️ {person} holds this role by a grant that is not sealed (made before grants were "
        "sealed, or written outside the bot): it opens the commands, but does not count for "
        "legal requests or for confirming grants. The confirmation replaces it with a sealed "
        "grant."
    ),
    "staff.refused.no_ledger_key": (
        "⛔ Legal and admin grants are sealed under LEDGER_KEY, which is not set, so {role} "
        "cannot be proposed or confirmed for {person}. Generate one with "
        "<code>report-bot keys generate</code>, add it to the bot's .env as LEDGER_KEY and "
        "restart the bot. Nothing changed."
    ),
    "staff.refused.unsealed_admin": (
        "⛔ Your admin role is held by a grant that is not sealed (made before grants were "
        "sealed, or written outside the bot), so you cannot propose or confirm {role} for "
        "{person}. Two admins must grant you the admin role again (<code>/grant</code>), or "
        "an admin from the settings (ADMIN_IDS) acts. Nothing changed."
    ),
    "staff.refused.unsealed_proposer": (
        "⛔ {by} proposed {role} for {person}, but their admin role is held by a grant that is "
        "not sealed (made before grants were sealed, or written outside the bot), so the "
        "proposal cannot be confirmed. Withdraw it with /revoke and let an admin whose role "
        "verifies propose it. Nothing changed."
    ),
    "staff.refused.unsealed_proposal": (
        "⛔ The proposal of {role} for {person} (in the name of {by}) does not verify: it was "
        "written or changed outside the bot, or made before proposals were sealed. It cannot be "
        "confirmed, and the attempt is on record. Withdraw it with "
        "<code>/revoke {user_id} {role_value}</code>, then propose it again with "
        "<code>/grant {user_id} {role_value}</code>. Nothing changed."
    ),
    # Every legal officer is told of each legal grant and revocation.
    "notify.role.proposed": (
        "👥 <b>Legal role proposed</b> for {person} by admin {by}. It takes effect only when a "
        "second admin confirms it. If you did not expect this, tell the other legal officers "
        "and the admins."
    ),
    "notify.role.confirmed": (
        "👥 <b>New legal officer:</b> {person}, proposed by admin {proposer} and confirmed by "
        "admin {by}. Their approvals count only after the cool-off "
        "(LEGAL_GRANT_COOL_OFF_HOURS), and never on requests registered or approved by the "
        "admins who gave them the role. If you did not expect this, tell the other legal "
        "officers and the admins."
    ),
    "notify.role.withdrawn": (
        "👥 The proposed legal role for {person} (proposed by admin {proposer}) was withdrawn "
        "by admin {by} before it took effect."
    ),
    "notify.role.revoked": (
        "👥 <b>Legal role revoked:</b> {person} is no longer a legal officer (revoked by admin "
        "{by}). Their approvals of requests not yet disclosed no longer count."
    ),
}
