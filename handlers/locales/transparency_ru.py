"""Russian texts of the transparency report (merged into the ru catalog)."""

from typing import Final

TEXTS: Final[dict[str, str]] = {
    "transparency.refused": (
        "⛔ Отчёт о прозрачности — для администраторов и юристов (юристам — в личном чате со мной)."
    ),
    "transparency.bad_period": "⚠️ {problem}. Пример: <code>/transparency 2026Q3</code>",
    "transparency.more": "… и ещё стран: {count} (полный список: report-bot transparency export)",
    "transparency.report": (
        "<b>Отчёт о прозрачности {period}</b> (с {start} по {end})\n"
        "Юридические запросы по странам: получено (received), исполнено (fulfilled, данные "
        "раскрыты), отклонено (rejected) и пользователей, чьи данные раскрыты (users).\n"
        "<pre>{table}</pre>\n"
        "Посчитано по реестру раскрытий: раскрытий за период — {entries}."
    ),
    "transparency.chart": "Юридические запросы по странам, {period}",
}
