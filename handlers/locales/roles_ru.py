"""Russian texts of the roles feature (merged into the ru catalog; keys must not collide)."""

from typing import Final

TEXTS: Final[dict[str, str]] = {
    # Staff menus (handlers/runtime/menus.py); /health's description lives with the operating texts.
    "command.description.block": "Заблокировать заявителя: /block id|@имя [причина]",
    "command.description.unblock": "Снова разрешить заявителю жаловаться",
    "command.description.grant": "Выдать роль",
    "command.description.revoke": "Отозвать выданную роль",
    "command.description.roles": "Кто в команде и кто что выдал",
    "command.description.stats": "Жалобы, дела и решения в цифрах",
    "command.description.legal": "Юридические запросы",
    "command.description.lookup": "Найти нарушителя по юридическому запросу",
    "command.description.transparency": "Отчёт о прозрачности",
    # Roles as people read them.
    "role.moderator": "модератор",
    "role.legal": "юрист",
    "role.admin": "администратор",
    "role.none": "нет (заявитель)",
    # How a person is shown: @username when we know it, always the id.
    "staff.person.named": "@{username} (<code>{user_id}</code>)",
    "staff.person.id": "<code>{user_id}</code>",
    # Refusals for people without the role.
    "staff.refused.grant": "⛔ Выдавать роли могут только администраторы.",
    "staff.refused.revoke": "⛔ Отзывать роли могут только администраторы.",
    "staff.refused.roles": "⛔ Список команды доступен только администраторам.",
    "staff.refused.block": "⛔ Блокировать заявителей могут только администраторы и модераторы.",
    "staff.refused.unblock": (
        "⛔ Разблокировать заявителей могут только администраторы и модераторы."
    ),
    # Usage lines.
    "staff.usage.grant": (
        "Использование: <code>/grant &lt;id пользователя или @username&gt; "
        "moderator|legal|admin</code>"
    ),
    "staff.usage.revoke": (
        "Использование: <code>/revoke &lt;id пользователя или @username&gt; "
        "moderator|legal|admin</code>"
    ),
    "staff.usage.roles": "Использование: <code>/roles</code>",
    "staff.usage.block": (
        "Использование: <code>/block &lt;id пользователя или @username&gt; [причина]</code>"
    ),
    "staff.usage.unblock": (
        "Использование: <code>/unblock &lt;id пользователя или @username&gt;</code>"
    ),
    "staff.unknown_username": (
        "⚠️ Я не знаю @{username}. Этот человек должен сначала написать мне (отправить /start "
        "в личном чате со мной), либо укажите его числовой id."
    ),
    # Grant and revoke.
    "staff.granted": "✅ {person} теперь {role}. Роли: {roles}.",
    "staff.revoked": "✅ {person} больше не {role}. Роли: {roles}.",
    "staff.menu_not_set": (
        "ℹ️ Меню команд этого человека пока не обновлено: он ещё не открывал чат со мной. "
        "Оно появится, когда он отправит мне /start."
    ),
    "staff.refused.already_has": "{person} уже {role}. Ничего не изменилось.",
    "staff.refused.already_has_bootstrap": (
        "{person} уже {role} по настройкам бота ({setting}). Ничего не изменилось."
    ),
    "staff.refused.bootstrap": (
        "⛔ {person} — {role} по настройкам бота ({setting}); это нельзя отозвать из бота. "
        "Измените {setting} и перезапустите бота."
    ),
    "staff.refused.not_granted": "У {person} нет выданной роли «{role}», отзывать нечего.",
    # /roles
    "staff.list": (
        "<b>Команда</b>\n\n<b>Из настроек</b> (из бота не отозвать)\n{bootstrap}"
        "\n\n<b>Выданы в боте</b>\n{granted}"
    ),
    "staff.list.bootstrap_row": "• {person} — {role}",
    "staff.list.granted_row": "• {person} — {role}, выдал {by} {at} UTC",
    "staff.list.none": "нет",
    "staff.list.more": "… и ещё {count}",
    # Block and unblock.
    "staff.blocked": "🚫 {person} заблокирован: больше не может отправлять жалобы.",
    "staff.blocked_reason": (
        "🚫 {person} заблокирован: больше не может отправлять жалобы.\nПричина: {reason}"
    ),
    "staff.unblocked": "✅ {person} разблокирован и снова может отправлять жалобы.",
    "staff.refused.staff": "⛔ {person} в команде ({roles}); членов команды блокировать нельзя.",
    "staff.refused.already_blocked": "{person} уже заблокирован. Ничего не изменилось.",
    "staff.refused.not_blocked": "{person} не заблокирован. Ничего не изменилось.",
    "staff.refused.reason_too_long": (
        "⚠️ Слишком длинная причина: не больше {limit} символов. Ничего не изменилось."
    ),
}
