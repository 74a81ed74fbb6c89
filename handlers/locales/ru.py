"""Russian texts."""

from typing import Final

TEXTS: Final[dict[str, str]] = {
    "start.greeting": (
        "👋 Здравствуйте, {name}!\n\n"
        "Я помогаю сделать поиск в Telegram безопасным. Если поиск показал вам канал, группу, "
        "бота, пользователя или публикацию с незаконным содержимым, или сам поисковый запрос "
        "незаконен, сообщите об этом модераторам здесь. Каждую жалобу проверяют, а ваше имя "
        "никогда не показывают тем, на кого вы пожаловались.\n\n"
        "Отправьте /help, чтобы узнать, что я умею."
    ),
    "help.private": (
        "<b>Что я умею</b>\n\n"
        "/report — пожаловаться на опасный результат поиска или незаконный запрос\n"
        "/myreports — ваши последние жалобы и их статус\n"
        "/notify on|off — сообщать ли вам о решениях по жалобам\n"
        "/cancel — отменить жалобу, которую вы заполняете\n"
        "/appeal — обжаловать решение по каналу, группе, боту, пользователю или посту\n"
        "/start — для чего этот бот\n"
        "/help — этот список\n\n"
        "<b>Как пожаловаться быстро</b>\n"
        "• Пришлите мне ссылку (t.me/…) или @имя того, что вы нашли, или перешлите оттуда "
        "сообщение.\n"
        "• Или одним сообщением: <code>/report &lt;ссылка или @имя&gt; &lt;категория&gt; "
        "&lt;что вы искали&gt;</code>\n"
        "  Вместо ссылки напишите <code>term</code>, если незаконен сам поисковый запрос.\n\n"
        "<b>Категории</b> (короткие имена для жалобы одним сообщением)\n{categories}\n\n"
        "Жалобы проверяют модераторы службы доверия и безопасности платформы. Ваше имя "
        "никогда не показывают ни им, ни тем, на кого вы пожаловались. Персональные данные "
        "раскрываются властям только по действительному судебному решению и после "
        "юридической проверки."
    ),
    "help.group": ("Жалобы я принимаю в личных сообщениях. Напишите мне: @{bot_username}"),
    "error.generic": (
        "⚠️ У нас что-то пошло не так. Всё, что вы отправили, сохранено. "
        "Пожалуйста, попробуйте ещё раз через минуту."
    ),
    "command.description.start": "Для чего этот бот",
    "command.description.report": "Пожаловаться на результат поиска",
    "command.description.myreports": "Ваши жалобы и их статус",
    "command.description.notify": "Уведомления о решениях: вкл/выкл",
    "command.description.cancel": "Отменить заполняемую жалобу",
    "command.description.appeal": "Обжаловать решение",
    "command.description.queue": "Открытые дела по приоритету",
    "command.description.reject": "Ответом на дело: отклонить с пояснением",
    "command.description.escalate": "Ответом на дело: передать выше",
    "command.description.help": "Что я умею",
    "command.unknown": "Я не знаю такой команды. Отправьте /help, чтобы узнать, что я умею.",
    # --- buttons ---------------------------------------------------------------------------
    "button.report": "🚩 Пожаловаться",
    "button.cancel": "✖️ Отмена",
    "button.search_term": "Незаконен сам запрос",
    "button.skip": "Пропустить",
    "button.submit": "✅ Отправить",
    "button.edit": "✏️ Изменить",
    "button.edit_query": "Запрос",
    "button.edit_result": "Результат",
    "button.edit_category": "Категория",
    "button.edit_comment": "Комментарий",
    "button.back": "⬅️ Назад",
    "button.open_private": "Открыть личный чат",
    # --- the guided report -----------------------------------------------------------------
    "report.ask.query": ("🔎 <b>Что вы искали?</b>\nПришлите слова, которые вы вводили в поиск."),
    "report.ask.result": (
        "🚩 <b>Какой результат опасен?</b>\nПришлите его ссылку (t.me/…), @имя или "
        "перешлите оттуда сообщение.\nЕсли незаконны сами слова запроса, нажмите кнопку ниже."
    ),
    "report.ask.category": "📂 <b>Что с ним не так?</b> Выберите категорию.{categories}",
    "report.ask.comment": (
        "💬 <b>Что ещё важно знать модераторам?</b>\nПришлите короткий комментарий (до "
        "{comment_max} символов) или нажмите «Пропустить»."
    ),
    "report.ask.edit": "✏️ <b>Что вы хотите изменить?</b>",
    "report.summary": (
        "📋 <b>Проверьте жалобу</b>\n\n"
        "<b>Запрос:</b> {query}\n"
        "<b>Результат:</b> {target}\n"
        "<b>Категория:</b> {category}\n"
        "<b>Комментарий:</b> {comment}\n\n"
        "Нажмите «Отправить», чтобы передать её модераторам."
    ),
    "report.summary.none": "—",
    "report.receipt": (
        "✅ <b>Жалоба №{report_id} получена.</b>\nСпасибо. Модераторы её проверят, а я "
        "сообщу вам решение (отключить: /notify off). Ваши жалобы: /myreports."
    ),
    "report.already_under_review": (
        "ℹ️ Вы уже пожаловались на это (жалоба №{report_id}), и она ещё на проверке, "
        "поэтому повторно я её не отправил. Спасибо за терпение."
    ),
    "report.already_reviewed": (
        "ℹ️ Вы уже пожаловались на это (жалоба №{report_id}), и модераторы её с тех пор "
        "рассмотрели, поэтому повторно я её не отправил. Решение: /myreports."
    ),
    "report.standing.hidden": (
        "Нарушение здесь уже подтверждено, и это скрыто из поиска; ваша жалоба добавлена к делу."
    ),
    "report.standing.reviewed": (
        "Модераторы недавно это проверили и нарушения не нашли. Ваша жалоба сохранена; "
        "если пожалуются и другие, проверка начнётся снова."
    ),
    "report.cancelled": "Жалоба отменена, ничего не отправлено. Чтобы начать заново: /report.",
    "report.nothing_to_cancel": "Сейчас нет заполняемой жалобы. Чтобы начать: /report.",
    "report.nothing_to_skip": "Сейчас нечего пропускать. Чтобы начать жалобу: /report.",
    "report.blocked": (
        "К сожалению, вы не можете отправлять жалобы. Если это ошибка, обратитесь, "
        "пожалуйста, в поддержку платформы."
    ),
    "report.limit_hour": (
        "За последний час вы отправили максимальное число жалоб ({limit}). Снова "
        "пожаловаться можно с {retry_at}. Спасибо за помощь."
    ),
    "report.limit_day": (
        "За последние 24 часа вы отправили максимальное число жалоб ({limit}). Снова "
        "пожаловаться можно с {retry_at}. Спасибо за помощь."
    ),
    "button.unknown": "Это не моя кнопка или она устарела. Ничего не сделано.",
    "report.button_stale": (
        "Эта кнопка относится к завершённой или устаревшей жалобе. Чтобы начать новую: /report."
    ),
    "report.button_step_done": (
        "На этот вопрос вы уже ответили; ответьте, пожалуйста, на последнее сообщение."
    ),
    "report.timed_out": (
        "⌛ Жалоба не была заполнена за {minutes} мин., поэтому я её удалил. Ничего не "
        "отправлено. Чтобы начать заново: /report."
    ),
    "report.group_redirect": (
        "Жалобы подаются в личном чате со мной, чтобы их никто не видел. Нажмите кнопку, "
        "чтобы начать."
    ),
    "report.outside.hint": (
        "Чтобы пожаловаться на опасный результат поиска, отправьте /report или просто "
        "пришлите его ссылку или @имя, или перешлите оттуда сообщение."
    ),
    "report.outside.retry": "Отправьте /report, чтобы заполнить жалобу по шагам.",
    "report.notice.resumed": "У вас есть незаконченная жалоба, продолжим (или /cancel).",
    "report.notice.expired": "⌛ Предыдущая жалоба не была заполнена вовремя и удалена.",
    "report.notice.result_noted": "Понял: {target}. Это будет опасный результат.",
    "report.notice.started_with_result": "Начинаем жалобу: {target}.",
    "report.problem.query_empty": "Мне нужны слова, которые вы искали, текстом.",
    "report.problem.query_too_long": (
        "Это слишком длинно для поискового запроса (не больше {query_max} символов). "
        "Пришлите только слова, которые вы вводили в поиск."
    ),
    "report.problem.text_expected": "Здесь я не могу принять {what}; пришлите текст.",
    "report.problem.result_expected": (
        "Здесь я не могу принять {what}. Пришлите ссылку (t.me/…), @имя или перешлите "
        "сообщение из результата."
    ),
    "report.problem.result_empty": (
        "Сообщение пустое. Пришлите ссылку (t.me/…), @имя или перешлите сообщение из результата."
    ),
    "report.problem.result_not_telegram": (
        "Это не ссылка Telegram и не @имя. Пришлите ссылку вида t.me/name, @имя или "
        "перешлите сообщение из результата."
    ),
    "report.problem.result_bad_username": (
        "Это не похоже на имя пользователя Telegram: в нём 4–32 латинские буквы, цифры или "
        "_, и начинается оно с буквы. Проверьте и пришлите ещё раз."
    ),
    "report.problem.result_phone_link": (
        "Это ссылка на номер телефона, её я принять не могу. Пришлите @имя аккаунта или "
        "перешлите от него сообщение."
    ),
    "report.problem.result_unsupported_link": (
        "Эта ссылка Telegram не ведёт на канал, группу, бота, пользователя или публикацию. "
        "Пришлите ссылку на сам результат или его @имя."
    ),
    "report.problem.result_hidden_user": (
        "Этот человек скрывает аккаунт в пересланных сообщениях, и я не могу понять, кто это. "
        "Пришлите, пожалуйста, его @имя или ссылку."
    ),
    "report.problem.result_private_unknown": (
        "Я не могу определить этот закрытый чат. Пришлите ссылку-приглашение (t.me/+…) или "
        "@имя либо ссылку результата."
    ),
    "report.problem.result_too_long": (
        "Это сообщение слишком длинное для ссылки. Пришлите только ссылку или @имя."
    ),
    "report.problem.category_use_buttons": "Пожалуйста, выберите категорию кнопкой ниже.",
    "report.problem.comment_empty": (
        "Комментарий пустой. Пришлите текст или нажмите «Пропустить»."
    ),
    "report.problem.comment_too_long": (
        "Комментарий слишком длинный (не больше {comment_max} символов). Сократите его или "
        "нажмите «Пропустить»."
    ),
    "report.problem.use_buttons": "Пожалуйста, воспользуйтесь кнопками ниже.",
    "report.problem.skip_not_here": (
        "Пропустить можно только комментарий; ответьте, пожалуйста, на вопрос."
    ),
    "report.one_message.target": "",
    "report.one_message.category": "Не указана категория.",
    "report.one_message.unknown_category": "Я не знаю категорию «{given}».",
    "report.one_message.query": "Не указаны слова запроса.",
    "report.one_message.query_too_long": "Слова запроса слишком длинные (не больше 256 символов).",
    "report.one_message.usage": (
        "Чтобы пожаловаться одним сообщением, отправьте:\n<code>/report &lt;ссылка или "
        "@имя&gt; &lt;категория&gt; &lt;что вы искали&gt;</code>\nнапример "
        "<code>/report @example_channel drugs купить таблетки</code>, или <code>/report term "
        "drugs &lt;слова запроса&gt;</code>, если незаконны сами слова запроса.\n"
        "Или просто отправьте /report, и я спрошу всё по шагам.\n\n"
        "<b>Категории</b>\n{categories}"
    ),
    # --- what people send instead of text -----------------------------------------------
    "media.sticker": "стикер",
    "media.photo": "фото",
    "media.video": "видео",
    "media.animation": "GIF",
    "media.voice": "голосовое сообщение",
    "media.video_note": "видеосообщение",
    "media.audio": "аудиофайл",
    "media.document": "файл",
    "media.contact": "контакт",
    "media.location": "геопозицию",
    "media.venue": "место",
    "media.poll": "опрос",
    "media.dice": "кубик",
    "media.story": "историю",
    "media.game": "игру",
    "media.forward": "пересланное сообщение",
    "media.other": "такое сообщение",
    # --- targets -----------------------------------------------------------------------
    "kind.channel": "канал",
    "kind.group": "группа",
    "kind.bot": "бот",
    "kind.user": "пользователь",
    "kind.post": "публикация",
    "kind.invite": "закрытый чат",
    "kind.public": "аккаунт",
    "kind.search_term": "поисковый запрос",
    "target.linked": '{kind} <a href="{link}">{name}</a>',
    "target.plain": "{kind} {name}",
    "target.term": "{kind} «{term}»",
    "target.post": "публикация {post_id} в {name}",
    "target.invite": "ссылка-приглашение",
    # --- categories (short names are the keys) -----------------------------------------
    "category.drugs": "Наркотики",
    "category.csam": "Сексуальное насилие над детьми",
    "category.terrorism": "Терроризм или насильственный экстремизм",
    "category.scam": "Мошенничество",
    "category.weapons": "Оружие",
    "category.violence": "Насилие или жестокость",
    "category.doxxing": "Персональные данные / доксинг",
    "category.illegal_goods": "Другие незаконные товары или услуги",
    "category.other": "Другое",
    "category.list_line": "<code>{short_name}</code> — {label}",
    # --- /myreports and /notify ------------------------------------------------------------
    "myreports.empty": "Вы ещё не отправляли жалоб. Чтобы пожаловаться: /report.",
    "myreports.title": "<b>Ваши последние жалобы</b> ({count})",
    "myreports.line": "№{report_id} · {date} · {target} · {category} · <b>{status}</b>",
    "myreports.footer": (
        "\nЯ сообщу, когда по жалобе на проверке примут решение (/notify off — не сообщать)."
    ),
    "status.pending": "на проверке",
    "status.approved": "подтверждена",
    "status.rejected": "отклонена",
    "notify.on": "🔔 Я буду сообщать вам решения по вашим жалобам.",
    "notify.off": "🔕 Я не буду сообщать вам решения по вашим жалобам.",
    "notify.usage": "Чтобы изменить, отправьте /notify on или /notify off.",
    # --- the review chat (moderators) --------------------------------------------------------
    "review.case.title": "🚩 <b>Дело №{case_id}</b> · {status}",
    "review.case.target": "<b>Объект:</b> {target}{resolved}",
    "review.case.resolved": " · id <code>{chat_id}</code>",
    "review.case.category": "<b>Категория:</b> {category}",
    "review.case.counts": "<b>Жалоб:</b> {reports} · <b>заявителей:</b> {reporters}",
    "review.case.queries": "<b>Искали:</b> {queries}",
    "review.case.comments": "<b>Комментарии:</b>\n{comments}",
    "review.case.times": "<b>Первая жалоба:</b> {first} · <b>последняя:</b> {last}",
    "review.case.choose_category": "Подтвердить с какой категорией? Нажмите, чтобы подтвердить.",
    "review.case.choose_reason": "По какой причине отклонить?",
    "review.decided.approved": (
        "✅ <b>Подтверждено</b>: {who}, {when} · {category} · скрыто из поиска"
    ),
    "review.decided.rejected": "❌ <b>Отклонено</b>: {who}, {when} · {reason}",
    "review.status.pending": "на проверке",
    "review.status.approved": "подтверждено",
    "review.status.rejected": "отклонено",
    "review.button.approve": "✅ Подтвердить",
    "review.button.reject": "❌ Отклонить",
    "review.button.back": "⬅️ Назад",
    "review.button.undo": "↩️ Отменить",
    "review.reason.not_violation": "Нарушения нет",
    "review.reason.insufficient": "Недостаточно доказательств",
    "review.reason.duplicate": "Дубликат",
    "review.reason.false_report": "Ложная или злонамеренная жалоба",
    "review.reason.other": "Другое",
    "review.alert.not_moderator": "Рассматривать дела могут только модераторы.",
    "review.alert.already": "Уже {decision}: {who}, {when}.",
    "review.alert.stale": "Эта кнопка больше не действует; состояние дела видно в сообщении.",
    "review.alert.undo_expired": "Время на отмену прошло.",
    "review.alert.undo_not_yours": (
        "Отменить может только принявший решение модератор или администратор."
    ),
    "review.alert.undone": "Отменено: дело снова на проверке.",
    "review.alert.not_decided": "По этому делу ещё нет решения.",
    "review.case.escalated": "⚠️ <b>Передано</b> администраторам и юристам: {who}, {when}",
    "review.case.escalation_note": "<b>Пояснение:</b> {note}",
    "review.case.note": "• {who}: {note}",
    "review.case.notes": "<b>Заметки модераторов</b> ({count}):\n{notes}",
    "review.case.provisional": (
        "🔒 <b>Временно скрыто из поиска</b> с {when}: так считают надёжные заявители. "
        "Отклонение снимет скрытие."
    ),
    "review.case.provisional_lifted": "🔓 Временное скрытие снято отклонением.",
    "review.button.escalate": "⚠️ Передать выше",
    "review.button.post": "📤 №{case_id}",
    "review.alert.escalated": (
        "Дело передано выше: решить его теперь может только администратор или юрист."
    ),
    "review.alert.escalated_hint": (
        "Передано администраторам и юристам. Чтобы добавить пояснение, ответьте на сообщение "
        "дела командой /escalate с текстом."
    ),
    "review.alert.other_hint": (
        "Отклонено по причине «другое». Чтобы пояснить, ответьте на сообщение дела командой "
        "/reject с текстом (пока видна кнопка отмены)."
    ),
    "review.alert.posting": "Дело №{case_id} будет опубликовано в чате следующим.",
    "review.alert.busy": (
        "Лимит сообщений Telegram для этого чата пока исчерпан; попробуйте через {seconds} с."
    ),
    "review.newer_case": (
        "Дело №{case_id} нельзя вернуть на проверку: по этой цели открыто более новое дело. "
        "Решите его."
    ),
    "review.digest": (
        "📥 <b>Очередь: {backlog}</b> — столько дел ждут публикации. Telegram позволяет "
        "публиковать здесь около {per_minute} в минуту, поэтому сначала идут самые важные. "
        "Команда /queue покажет их по приоритету и опубликует любое сразу."
    ),
    "review.digest_cleared": "✅ Очередь разобрана: все открытые дела уже в этом чате.",
    "review.queue.title": (
        "<b>Очередь проверки</b> по приоритету · открыто: {pending}, не опубликовано: "
        "{unposted}, передано выше: {escalated} (/queue escalated)"
    ),
    "review.queue.title_escalated": (
        "<b>Переданные выше дела</b> по приоритету · ждут администратора или юриста: {escalated}"
    ),
    "review.queue.entry": (
        "{position}. №{case_id} · {category} · заявителей: {reporters} · {target} · {where}"
    ),
    "review.queue.posted": "опубликовано {link}",
    "review.queue.unposted": "ещё не опубликовано",
    "review.queue.empty": "🎉 Открытых дел нет. Очередь пуста.",
    "review.queue.empty_escalated": "Переданных выше дел нет.",
    "review.queue.escalated_only": "Переданные выше дела видят только администраторы и юристы.",
    "review.queue.not_moderator": "Очередь проверки видят только модераторы.",
    "review.queue.usage": (
        "Отправьте /queue для очереди или /queue escalated для переданных выше дел."
    ),
    "review.reject.usage": (
        "Ответьте на сообщение дела командой /reject с пояснением, чтобы отклонить его "
        "по причине «другое»."
    ),
    "review.escalate.usage": (
        "Ответьте на сообщение дела командой /escalate (пояснение по желанию), чтобы передать "
        "его выше."
    ),
    "review.refused.decided": "По этому делу уже есть решение, так что это больше не применимо.",
    "review.refused.not_yours": (
        "Пояснить отклонение может только отклонивший модератор или администратор."
    ),
    "review.refused.empty": "Текст пустой: напишите что-нибудь после команды.",
    "review.refused.too_long": "Слишком длинно: заметка должна быть короче 500 символов.",
    "review.refused.posted": "Это дело уже есть в чате проверки.",
    # --- appeals --------------------------------------------------------------------------
    "appeal.usage": (
        "Чтобы обжаловать решение, отправьте /appeal, ссылку или @имя канала, группы, бота, "
        "пользователя или поста и объясните, почему решение неверно, например:\n"
        "<code>/appeal @example_channel Мы удалили посты, на которые жаловались.</code>"
    ),
    "appeal.bad_target": (
        "Не могу понять «{given}» как ссылку или @имя. Отправьте /appeal, затем ссылку t.me "
        "или @имя, затем объяснение."
    ),
    "appeal.statement_short": (
        "Объясните, почему решение неверно: не меньше {minimum} символов после ссылки."
    ),
    "appeal.statement_long": "Объяснение слишком длинное: не больше {maximum} символов.",
    "appeal.filed": (
        "⚖️ <b>Апелляция №{appeal_id} получена.</b> Её рассмотрит модератор, который не "
        "принимал исходное решение, а я сообщу вам итог."
    ),
    "appeal.pending": (
        "ℹ️ Вы уже обжаловали это решение (апелляция №{appeal_id}); она ждёт модератора. "
        "Я сообщу вам итог."
    ),
    "appeal.nothing.unknown": (
        "По этой цели нет решения, которое можно обжаловать. Проверьте ссылку."
    ),
    "appeal.nothing.under_review": (
        "Эта цель сейчас на проверке, решения для обжалования пока нет."
    ),
    "appeal.limit": "В день можно подать не больше {limit} апелляций. Попробуйте завтра.",
    "appeal.case.title": "⚖️ <b>Апелляция №{appeal_id}</b> по делу №{case_id} · {status}",
    "appeal.case.original": "<b>Обжалуемое решение:</b> {decision}, {when}",
    "appeal.case.statement": "<b>Объяснение:</b> {statement}",
    "appeal.case.filed": "<b>Подана:</b> {when}",
    "appeal.case.other_moderator": (
        "<i>Решить её должен модератор, который не принимал исходное решение.</i>"
    ),
    "appeal.decided.upheld": "✅ <b>Оставлено в силе</b>: {who}, {when}.",
    "appeal.decided.overturned": (
        "↩️ <b>Отменено</b>: {who}, {when}. Дело №{case_id} снова на проверке, его последствия "
        "сняты."
    ),
    "appeal.status.pending": "ожидает",
    "appeal.status.upheld": "решение оставлено",
    "appeal.status.overturned": "решение отменено",
    "appeal.button.uphold": "✅ Оставить",
    "appeal.button.overturn": "↩️ Отменить",
    "appeal.alert.same_moderator": (
        "Исходное решение принимали вы, поэтому апелляцию должен решить другой модератор."
    ),
    "appeal.refused.same_moderator": (
        "Модератор, принявший исходное решение, не может решать апелляцию на него."
    ),
    "appeal.refused.decision_changed": (
        "Решение изменилось после подачи апелляции, поэтому отменить его нельзя; оставьте его, "
        "чтобы закрыть апелляцию."
    ),
    "appeal.refused.newer_case": (
        "По этой цели открыто более новое дело, поэтому старое решение нельзя вернуть на "
        "проверку. Решите новое дело."
    ),
    "appeal.refused.not_allowed": "Решать апелляции могут только модераторы.",
    "notify.appeal.upheld": (
        "⚖️ Вашу апелляцию №{appeal_id} рассмотрел другой модератор: решение остаётся в силе."
    ),
    "notify.appeal.overturned": (
        "⚖️ Ваша апелляция №{appeal_id} принята: решение отменено, дело снова на проверке."
    ),
    # --- outcomes for reporters -----------------------------------------------------------
    "notify.outcome.approved": (
        "✅ Ваша жалоба №{report_id}: модераторы подтвердили нарушение ({category}). Теперь "
        "это скрыто из поиска. Спасибо, что сообщили."
    ),
    "notify.outcome.rejected": (
        "ℹ️ Ваша жалоба №{report_id} рассмотрена. На этот раз модераторы не нашли нарушения, "
        "по которому можно принять меры. Спасибо, что сообщили."
    ),
}
