"""Russian texts of legal requests and /lookup (merged into the ru catalog)."""

from typing import Final

from handlers.plurals import Plural, Text

TEXTS: Final[dict[str, Text]] = {
    "legal.refused": "⛔ Юридическими запросами занимаются только юристы.",
    "legal.usage": (
        "<b>Юридические запросы</b>\n"
        "/legal — открытые запросы\n"
        "/legal new — зарегистрировать судебное решение (я спрошу каждое поле)\n"
        "/legal show &lt;id&gt; — запрос, проверки и документ\n"
        "/legal analysis &lt;id&gt; &lt;текст&gt; — ваш письменный юридический анализ\n"
        "/legal approve &lt;id&gt; — одобрить (два юриста, кроме зарегистрировавшего; второе "
        "одобрение раскрывает данные)\n"
        "/legal reject &lt;id&gt; &lt;причина&gt; — отклонить\n"
        "/legal override &lt;id&gt; &lt;причина&gt; — администраторы: пропустить "
        "непройденные проверки\n"
        "/legal file &lt;id&gt; — раскрытие ещё раз\n"
        "/legal close &lt;id&gt; — закрыть (снимает удержание данных нарушителя)\n"
        "/lookup &lt;id запроса&gt; &lt;violator|telegram_id|username|phone|ip&gt; "
        "&lt;значение&gt; — найти нарушителя по запросу"
    ),
    "legal.refused_step": "⚠️ Не выполнено: {reason}",
    "legal.bad_id": "⚠️ Номер запроса — это число, например <code>/legal show 12</code>.",
    "legal.list": (
        "<b>Открытые юридические запросы</b>\n{rows}\n\n/legal show &lt;id&gt; — подробнее."
    ),
    "legal.list.empty": "Открытых запросов нет. /legal new — зарегистрировать.",
    "legal.list.row": (
        "#{id} · {state} · {country} · {reference} · одобрений {approvals}/{needed}"
        " · непройденных проверок {failed}"
    ),
    "legal.ask.authority": "<b>{step}/{steps}</b> Какой орган выдал решение?",
    "legal.ask.country": (
        "<b>{step}/{steps}</b> Страна — код ISO 3166-1 alpha-2 (например DE, BR, IN)."
    ),
    "legal.ask.reference": "<b>{step}/{steps}</b> Номер документа.",
    "legal.ask.order_type": (
        "<b>{step}/{steps}</b> Тип: court_order, judicial_warrant, subpoena, emergency "
        "(экстренный запрос) или other."
    ),
    "legal.ask.issued_on": "<b>{step}/{steps}</b> Дата выдачи (ГГГГ-ММ-ДД).",
    "legal.ask.offence": (
        "<b>{step}/{steps}</b> Преступление, например drug_trafficking, terrorism, fraud."
    ),
    "legal.ask.target": (
        "<b>{step}/{steps}</b> Цель: @username или ссылка t.me, числовой id Telegram, "
        "телефон с + или IP-адрес."
    ),
    "legal.ask.period": (
        "<b>{step}/{steps}</b> Период запрашиваемых данных, первый и последний день: "
        "<code>2026-01-01..2026-06-30</code>"
    ),
    "legal.ask.document": (
        "<b>Последний шаг.</b> Пришлите документ файлом (PDF или скан, до 20 МБ)."
    ),
    "legal.draft.started": "📝 Новый юридический запрос. /cancel — прервать в любой момент.",
    "legal.draft.resumed": "📝 Продолжаем начатый запрос. /cancel — удалить его.",
    "legal.draft.cancelled": "Незавершённый юридический запрос удалён.",
    "legal.draft.text_expected": "⚠️ Ответьте, пожалуйста, текстом.",
    "legal.draft.bad_field": "⚠️ {problem}.",
    "legal.draft.document_expected": "⚠️ Пришлите документ файлом (📎 → Файл) или /cancel.",
    "legal.draft.document_too_big": "⚠️ Файл больше 20 МБ; пришлите скан поменьше.",
    "legal.draft.document_failed": ("⚠️ Не удалось скачать файл из Telegram. Пришлите его ещё раз."),
    "legal.check.line": "{mark} {name}: {reason}",
    "legal.check.judicial_authority": "Судебный орган",
    "legal.check.target_resolves": "Цель — один подтверждённый нарушитель",
    "legal.check.offence_maps": "Преступление нарушает Условия использования",
    "legal.check.country_allowed": "Страна не в запретном списке",
    "legal.check.period_bounded": "Период ограничен и не в будущем",
    "legal.card": (
        "<b>Юридический запрос #{id}</b> · {state}\n"
        "{authority}, {country_name} ({country})\n"
        "Номер: {reference} · {order_type} от {issued_on}\n"
        "Преступление: {offence}\n"
        "Цель: {target} · нарушитель {violator}\n"
        "Период: с {period_start} по {period_end}\n"
        "SHA-256 документа: <code>{sha256}</code>\n\n"
        "<b>Проверки юридического анализа</b>\n{checks}\n\n"
        "Одобрений: {approvals}/{needed}"
    ),
    "legal.card.analysis": "<b>Письменный анализ</b>\n{text}",
    "legal.card.override": "<b>Решение администратора</b>\n{text}",
    "legal.card.rejected": "<b>Отклонён</b>\n{text}",
    "legal.card.voided": "Одобрение {officer} аннулировано {at}: {reason}",
    "legal.next.received": (
        "Дальше: напишите анализ: <code>/legal analysis {id} &lt;текст&gt;</code>"
    ),
    "legal.next.under_analysis": (
        "Дальше: два других юриста одобряют (<code>/legal approve {id}</code>) или "
        "отклоняют (<code>/legal reject {id} &lt;причина&gt;</code>)."
    ),
    "legal.next.approved": (
        "Одобрен. Если файлы раскрытия не пришли: <code>/legal disclose {id}</code>"
    ),
    "legal.next.disclosed": (
        "Раскрыт. <code>/legal file {id}</code> — прислать снова; "
        "<code>/legal close {id}</code> — когда дело завершено."
    ),
    "legal.next.rejected": "Отклонён; ничего не раскрывается.",
    "legal.next.closed": "Закрыт.",
    "legal.state.received": "получен",
    "legal.state.under_analysis": "на анализе",
    "legal.state.approved": "одобрен",
    "legal.state.rejected": "отклонён",
    "legal.state.disclosed": "раскрыт",
    "legal.state.closed": "закрыт",
    "legal.order.court_order": "судебное решение",
    "legal.order.judicial_warrant": "судебный ордер",
    "legal.order.subpoena": "повестка",
    "legal.order.emergency": "экстренный запрос",
    "legal.order.other": "другой документ",
    "legal.document_caption": "Документ · SHA-256 {sha256}",
    "legal.approved_one": (
        "✅ Ваше одобрение запроса #{id} записано ({approvals}/{needed}). Нужно одобрение "
        "ещё одного юриста."
    ),
    "legal.disclosed": (
        "🔐 Запрос #{id} одобрен двумя юристами и раскрыт: {phones}, {ips} за запрошенный "
        "период. Запись реестра {seq}, SHA-256 содержимого "
        "<code>{sha256}</code>. Файлы ниже; храните их надёжно."
    ),
    "notify.ledger.checkpoint": (
        "🔗 Запись {seq} в реестре раскрытий: {what} по юридическому запросу #{request_id}, "
        "получатель {by}.\nХеш записи: <code>{hash}</code>\nСохраните это сообщение: "
        "<code>report-bot ledger verify --head {seq}:{hash}</code> проверяет, что реестр "
        "по-прежнему содержит эту запись без изменений. Если вы её не ждали, сообщите другим "
        "юристам."
    ),
    "notify.ledger.head": (
        "🔏 Вершина реестра раскрытий, подписанная ботом: последняя запись реестра — {seq}, "
        "хеш <code>{hash}</code> ({at}).\nПодписанная вершина: <code>{signed}</code>\n"
        "Сохраните это сообщение: <code>report-bot ledger verify --head {signed}</code> "
        "проверяет, что реестр с тех пор не обрезали и не переписали (или сохраните сообщения "
        "о реестре в файл и запустите <code>report-bot ledger verify --heads FILE</code>)."
    ),
    "notify.ledger.head_behind": (
        "⚠️ Реестр больше не содержит запись {previous} такой, какой её назвала предыдущая "
        "подписанная вершина: его могли обрезать или переписать. Запустите "
        "<code>report-bot ledger verify --heads FILE</code> с вашими прежними сообщениями о "
        "реестре и сообщите другим юристам."
    ),
    "notify.ledger.disclosure": "раскрытие",
    "notify.ledger.copy": "копия раскрытия",
    "legal.withheld": Plural(
        one=(
            "⚠️ {count} значение не открылось в своей строке (изменено или перенесено из другой "
            "строки); оно не раскрыто, файл его называет. Сообщите администраторам: базу данных "
            "могли изменить."
        ),
        few=(
            "⚠️ {count} значения не открылись в своих строках (изменены или перенесены из "
            "других строк); они не раскрыты, файл их перечисляет. Сообщите администраторам: "
            "базу данных могли изменить."
        ),
        many=(
            "⚠️ {count} значений не открылись в своих строках (изменены или перенесены из "
            "других строк); они не раскрыты, файл их перечисляет. Сообщите администраторам: "
            "базу данных могли изменить."
        ),
    ),
    "legal.count.phones": Plural(
        one="{count} телефон", few="{count} телефона", many="{count} телефонов"
    ),
    "legal.count.ips": Plural(
        one="{count} IP-адрес", few="{count} IP-адреса", many="{count} IP-адресов"
    ),
    "legal.file_caption": "Раскрытие по юридическому запросу #{id} · SHA-256 {sha256}",
    "legal.closed": "Запрос #{id} закрыт; удержание данных нарушителя снято.",
    "legal.rejected": "Запрос #{id} отклонён. По нему ничего не будет раскрыто.",
    "review.legal_request": (
        "Дело №{case_id} нельзя отменить: по подтверждённому им нарушителю есть юридический "
        "запрос, и решение — часть этого дела."
    ),
    "appeal.refused.legal_request": (
        "Решение нельзя отменить: по нарушителю есть юридический запрос. Обратитесь к юристу."
    ),
    "lookup.refused": "⛔ /lookup — только для юристов, с номером юридического запроса.",
    "lookup.usage": (
        "Использование: <code>/lookup &lt;id запроса&gt; "
        "&lt;violator|telegram_id|username|phone|ip&gt; &lt;значение&gt;</code>"
    ),
    "lookup.none": (
        "Совпадений с нарушителем запроса #{request} нет: поиск отвечает только о нарушителе, "
        "названном в запросе (поиск записан)."
    ),
    "lookup.header": Plural(
        one="<b>{count} нарушитель</b> · записано для запроса #{request}",
        few="<b>{count} нарушителя</b> · записано для запроса #{request}",
        many="<b>{count} нарушителей</b> · записано для запроса #{request}",
    ),
    "lookup.hold": " · удержание",
    "lookup.violator": (
        "<b>Нарушитель #{id}</b> {target} · {category} · подтверждён {confirmed}{hold}\n"
        "Дела: {cases}\n"
        "История ({shown} из {total}, последние внизу):\n<pre>{timeline}</pre>\n{sealed}"
    ),
    "lookup.sealed": (
        "🔒 Скрыто: {phones}, {ips} за период с {first} по {last} "
        "(всего {all_phones} и {all_ips}). Телефоны и IP-адреса показываются только в "
        "раскрытии, после двух одобрений запроса #{request}."
    ),
}
