"""Russian texts of the transparency report (merged into the ru catalog)."""

from typing import Final

TEXTS: Final[dict[str, str]] = {
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
        "Посчитано по реестру раскрытий: раскрытий за период — {entries}, разных "
        "пользователей — {users}; повторно отправленных копий — {copies}."
    ),
    "transparency.report_empty": (
        "<b>Отчёт о прозрачности {period}</b> (с {start} по {end}, UTC){to_date}\n"
        "За этот период юридических запросов не получено, не исполнено и не отклонено."
    ),
    "transparency.more": (
        "\n… и ещё стран: {count}, они учтены в итоге (все страны: "
        "<code>report-bot transparency export</code>)"
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
