"""Russian texts of the stats feature (merged into the ru catalog; keys must not collide)."""

from typing import Final

from handlers.plurals import Plural, Text

TEXTS: Final[dict[str, Text]] = {
    "stats.refused": (
        "⛔ /stats доступна только администраторам — в личном чате со мной или в чате модерации."
    ),
    "stats.usage": (
        "⚠️ Не знаю период «{given}».\n"
        "Используйте <code>/stats 24h</code>, <code>/stats 7d</code> (по умолчанию), "
        "<code>/stats 30d</code> или <code>/stats all</code>."
    ),
    "stats.window.24h": "последние 24 часа",
    "stats.window.7d": "последние 7 дней",
    "stats.window.30d": "последние 30 дней",
    "stats.window.all": "всё время",
    "stats.period": "{start} – {end} UTC",
    "stats.period_all": "по {end} UTC",
    "stats.report": (
        "📊 <b>Статистика: {window}</b>\n"
        "{period}\n\n"
        "<b>Жалобы:</b> {reports} {reporters} {targets}; "
        "по статусу дела: на рассмотрении {reports_pending} · подтверждено {reports_approved} · "
        "отклонено {reports_rejected}\n"
        "<b>Открыто дел:</b> {cases}; на рассмотрении {cases_pending} · подтверждено "
        "{cases_approved} · отклонено {cases_rejected}\n"
        "{categories}\n"
        "<b>Решения:</b> {decisions}; подтверждено {approved} · отклонено {rejected} · "
        "доля подтверждённых {rate}\n"
        "Время от жалобы до решения: медиана {median} · 90-й перцентиль {p90}\n"
        "<b>Ждут решения сейчас:</b> {pending_now}{oldest}\n\n"
        "<b>Решения по модераторам</b>\n{moderators}\n\n"
        "<b>Объекты, на которые жалуются чаще всего</b>\n{targets_list}\n\n"
        "<b>Подтверждённые нарушители:</b> новых {violators_new} · {violators_confirmations} · "
        "всего {violators_total}\n"
        "<b>Запросы правоохранительных органов:</b> получено {legal_received} · отклонено "
        "{legal_rejected} · {legal_disclosed} · открыто сейчас {legal_open}"
    ),
    "stats.categories": "<b>По категориям</b>",
    "stats.category": (
        "• {category}: {reports}; {cases}: на рассмотрении {pending} · подтверждено "
        "{approved} · отклонено {rejected}"
    ),
    "stats.count.cases": Plural(one="{count} дело", few="{count} дела", many="{count} дел"),
    "stats.oldest": "; самое старое: дело #{case_id} ({category}), ждёт {age}",
    "stats.none": "нет",
    "stats.no_rate": "—",
    "stats.rate": "{percent}%",
    "stats.moderator": "• {who}: {total}; подтверждено {approved} · отклонено {rejected}",
    "stats.moderator_named": "{name} (id {moderator_id})",
    "stats.moderator_unnamed": "id {moderator_id}",
    "stats.target": "{rank}. {target}: {reports}, {reporters}",
    "stats.count.from_reporters": Plural(
        one="от {count} заявителя", few="от {count} заявителей", many="от {count} заявителей"
    ),
    "stats.count.about_targets": Plural(
        one="на {count} объект", few="на {count} объекта", many="на {count} объектов"
    ),
    "stats.count.reports": Plural(one="{count} жалоба", few="{count} жалобы", many="{count} жалоб"),
    "stats.count.reporters": Plural(
        one="{count} заявитель", few="{count} заявителя", many="{count} заявителей"
    ),
    "stats.count.confirmations": Plural(
        one="{count} подтверждение", few="{count} подтверждения", many="{count} подтверждений"
    ),
    "stats.count.disclosures": Plural(
        one="{count} раскрытие", few="{count} раскрытия", many="{count} раскрытий"
    ),
    "stats.more": "… и ещё {count}",
    "stats.duration.days": "{days} д {hours} ч",
    "stats.duration.hours": "{hours} ч {minutes} мин",
    "stats.duration.minutes": "{minutes} мин",
    "stats.duration.seconds": "{seconds} с",
    "stats.chart_caption": "📈 Жалобы и решения по дням: {window}",
    "stats.chart.title": "Жалобы и решения по дням ({window}, UTC)",
    "stats.chart.reports": "жалобы",
    "stats.chart.decisions": "решения",
}
