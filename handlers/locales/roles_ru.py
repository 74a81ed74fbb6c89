"""Russian texts of the roles feature (merged into the ru catalog; keys must not collide)."""

from typing import Final

TEXTS: Final[dict[str, str]] = {
    # Staff menus (handlers/runtime/menus.py); /health's description lives with the operating texts.
    "command.description.block": "Заблокировать заявителя: /block id|@имя [причина]",
    "command.description.unblock": "Снова разрешить заявителю жаловаться",
    "command.description.grant": "Выдать роль (юрист, админ: подтверждает второй админ)",
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
    # Четыре глаза — это два человека: роли юриста и администратора подтверждает второй админ.
    "staff.proposed": (
        "⏳ {person} <b>ещё не</b> {role}: выдача предложена. Роль юриста или администратора "
        "действует, только когда её подтвердит второй администратор, чтобы один человек не "
        "мог сам себе обеспечить «четыре глаза». Другой администратор подтверждает командой "
        "<code>/grant {user_id} {role_value}</code> до {until} UTC: не вы, не {person} и не "
        "администратор, чью роль администратора вы предложили или подтвердили (или кто дал "
        "её вам). Её видно в /roles; <code>/revoke {user_id} {role_value}</code> отзывает "
        "предложение."
    ),
    "staff.withdrawn": (
        "✅ Предложенная роль «{role}» для {person} (предложил {by}) отозвана; она так и не "
        "вступила в силу."
    ),
    "staff.refused.own_proposal": (
        "⛔ Роль «{role}» для {person} предложили вы сами; подтвердить её должен второй "
        "администратор той же командой /grant. Ничего не изменилось."
    ),
    "staff.refused.confirm_for_self": (
        "⛔ {by} предложил вам роль «{role}»; свою роль никто не подтверждает сам, это делает "
        "другой администратор. Ничего не изменилось."
    ),
    "staff.refused.not_independent": (
        "⛔ {by} предложил роль «{role}» для {person}, а один из вас — администратор по выдаче, "
        "которую предложил или подтвердил другой: это не два независимых администратора. "
        "Подтвердить должен администратор из настроек (ADMIN_IDS) или тот, чья роль получена "
        "от кого-то ещё. Ничего не изменилось."
    ),
    "staff.list.confirmed_by": ", подтвердил {by}",
    "staff.list.legacy": (
        " — <b>без печати</b> (выдана до того, как выдачи стали запечатываться, или записана "
        "в обход бота): открывает команды роли, но не учитывается в юридических запросах и при "
        "подтверждении выдач, пока два администратора не выдадут её заново "
        "(<code>/grant {user_id} {role}</code>)"
    ),
    "staff.granted.replaced": (
        "ℹ️ Эта запечатанная выдача заменяет прежнюю выдачу без печати, которая не "
        "учитывалась в юридических запросах. Роль юриста учитывается для одобрений после "
        "периода ожидания (LEGAL_GRANT_COOL_OFF_HOURS)."
    ),
    "staff.proposed.regrant": (
        "ℹ️ У {person} эта роль по выдаче без печати (выдана до того, как выдачи стали "
        "запечатываться, или записана в обход бота): она открывает команды, но не учитывается "
        "в юридических запросах и при подтверждении выдач. Подтверждение заменит её "
        "запечатанной выдачей."
    ),
    "staff.refused.no_ledger_key": (
        "⛔ Выдачи ролей юриста и администратора запечатываются ключом LEDGER_KEY, а он не "
        "задан, поэтому роль «{role}» для {person} нельзя предложить или подтвердить. Создайте "
        "ключ командой <code>report-bot keys generate</code>, добавьте его в .env бота как "
        "LEDGER_KEY и перезапустите бота. Ничего не изменилось."
    ),
    "staff.refused.unsealed_admin": (
        "⛔ Ваша роль администратора получена по выдаче без печати (выдана до того, как выдачи "
        "стали запечатываться, или записана в обход бота), поэтому вы не можете предложить или "
        "подтвердить роль «{role}» для {person}. Два администратора должны заново выдать вам "
        "роль администратора (<code>/grant</code>), или действует администратор из настроек "
        "(ADMIN_IDS). Ничего не изменилось."
    ),
    "staff.refused.unsealed_proposer": (
        "⛔ {by} предложил роль «{role}» для {person}, но его роль администратора получена по "
        "выдаче без печати (выдана до того, как выдачи стали запечатываться, или записана в "
        "обход бота), поэтому предложение нельзя подтвердить. Отзовите его командой /revoke, "
        "и пусть его предложит администратор с проверяемой ролью. Ничего не изменилось."
    ),
    "staff.refused.unsealed_proposal": (
        "⛔ Предложение роли «{role}» для {person} (от имени {by}) не проходит проверку: оно "
        "записано или изменено в обход бота или сделано до того, как предложения стали "
        "запечатываться. Подтвердить его нельзя, попытка записана в журнал. Отзовите его "
        "командой <code>/revoke {user_id} {role_value}</code> и предложите заново командой "
        "<code>/grant {user_id} {role_value}</code>. Ничего не изменилось."
    ),
    "staff.list.pending": (
        "\n\n<b>Предложены, ждут второго администратора</b> (роли нет до подтверждения)\n{pending}"
    ),
    "staff.list.pending_row": (
        "• {person} — {role}, предложил {by} {at} UTC; истекает {until} UTC"
    ),
    # Каждому юристу сообщается о каждой выдаче и отзыве роли юриста.
    "notify.role.proposed": (
        "👥 <b>Предложена роль юриста</b> для {person}, предложил администратор {by}. Она "
        "вступит в силу, только когда её подтвердит второй администратор. Если вы этого не "
        "ждали, сообщите другим юристам и администраторам."
    ),
    "notify.role.confirmed": (
        "👥 <b>Новый юрист:</b> {person}, предложил администратор {proposer}, подтвердил "
        "администратор {by}. Его одобрения учитываются только после выдержки "
        "(LEGAL_GRANT_COOL_OFF_HOURS) и никогда — по запросам, которые зарегистрировали или "
        "одобрили выдавшие ему роль администраторы. Если вы этого не ждали, сообщите другим "
        "юристам и администраторам."
    ),
    "notify.role.withdrawn": (
        "👥 Предложенная роль юриста для {person} (предложил администратор {proposer}) "
        "отозвана администратором {by} до вступления в силу."
    ),
    "notify.role.revoked": (
        "👥 <b>Роль юриста отозвана:</b> {person} больше не юрист (отозвал администратор "
        "{by}). Его одобрения ещё не раскрытых запросов больше не учитываются."
    ),
}
