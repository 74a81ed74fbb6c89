"""Russian texts of the transparency report (merged into the ru catalog)."""

from typing import Final

from handlers.plurals import Plural, Text

TEXTS: Final[dict[str, Text]] = {
    "transparency.refused": (
        "⛔ Отчёт о прозрачности — для администраторов и юристов, в личном чате со мной "
        "(администраторам — также в чате модерации)."
    ),
    "transparency.private_only": (
        "⛔ Запросите отчёт о прозрачности в личном чате со мной (администраторы могут также "
        "в чате модерации)."
    ),
    "transparency.bad_period": (
        "⚠️ Не понимаю период «{given}». Пишите так: <code>2026Q3</code> (квартал), "
        "<code>2026H1</code> (полугодие) или <code>2026</code> (год), годы с 2000 по 2999; "
        "без периода — текущий квартал.\n"
        "Пример: <code>/transparency 2026Q3</code>"
    ),
    "transparency.to_date": " — на сегодня, период ещё не закончился",
    "transparency.report": (
        "<b>Отчёт о прозрачности {period}</b> (с {start} по {end}, UTC){to_date}\n"
        "Юридические запросы по странам: получено (зарегистрировано за период), исполнено "
        "(данные раскрыты за период), отклонено (за период) и пользователей, чьи данные "
        "раскрыты.\n"
        "<pre>{table}</pre>{more}\n"
        "Посчитано по реестру раскрытий: за период {entries} ({users}); {copies}."
    ),
    "transparency.report_empty": (
        "<b>Отчёт о прозрачности {period}</b> (с {start} по {end}, UTC){to_date}\n"
        "За этот период юридических запросов не получено, не исполнено и не отклонено."
    ),
    "transparency.more": Plural(
        one=(
            "\n… и ещё {count} страна, она учтена в итоге (все страны: "
            "<code>report-bot transparency export</code>)"
        ),
        few=(
            "\n… и ещё {count} страны, они учтены в итоге (все страны: "
            "<code>report-bot transparency export</code>)"
        ),
        many=(
            "\n… и ещё {count} стран, они учтены в итоге (все страны: "
            "<code>report-bot transparency export</code>)"
        ),
    ),
    "transparency.count.entries": Plural(
        one="{count} раскрытие", few="{count} раскрытия", many="{count} раскрытий"
    ),
    "transparency.count.users": Plural(
        one="о {count} пользователе",
        few="о {count} разных пользователях",
        many="о {count} разных пользователях",
    ),
    "transparency.count.copies": Plural(
        one="{count} копия прежнего раскрытия отправлена повторно",
        few="{count} копии прежних раскрытий отправлены повторно",
        many="{count} копий прежних раскрытий отправлено повторно",
    ),
    "transparency.total": "всего",
    "transparency.col.received": "получено",
    "transparency.col.fulfilled": "исполнено",
    "transparency.col.rejected": "отклонено",
    "transparency.col.users": "польз.",
    "transparency.chart.title": "Юридические запросы по странам, {period}",
    "transparency.chart.title_top": "Юридические запросы по странам, {period} (первые {count})",
    "transparency.chart.axis": "запросы",
    "transparency.chart_caption": "Юридические запросы по странам, {period}",
}
