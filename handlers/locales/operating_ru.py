"""Russian texts of the operating feature (merged into the ru catalog; keys must not collide)."""

from typing import Final

from handlers.plurals import Plural, Text

TEXTS: Final[dict[str, Text]] = {
    "command.description.health": "Состояние бота: время работы, очередь, последняя ошибка",
    "health.refused": (
        "⛔ /health доступна только администраторам — в личном чате со мной или в чате модерации."
    ),
    "health.report": (
        "<b>🩺 Состояние бота</b>\n"
        "Версия: <code>{version}</code>\n"
        "Работает {uptime} (с {started} UTC)\n"
        "{database}\n"
        "{instances}\n"
        "Очередь модерации: ожидают решения {pending} (эскалировано {escalated}), "
        "ещё не опубликовано {unposted}\n"
        "Исходящие: {outbox}\n"
        "Последняя ошибка Telegram: {last_error}"
    ),
    "health.last_error": "<code>{kind}</code> в {method}, {at} UTC ({ago} назад)",
    "health.no_error": "нет с момента запуска",
    "health.database_file": "База данных: SQLite, {size} (файл {file}, WAL {wal})",
    "health.database_server": "База данных: PostgreSQL <code>{where}</code>, {size}",
    "health.instances": "Экземпляров: {count}; плановые задачи выполняет {leader}",
    "health.instance": "• {process} ({mode}, {version}), работает {uptime}{this}",
    "health.process": "процесс {pid} на хосте <code>{host}</code>",
    "health.this_instance": " ← этот",
    "health.no_leader": "сейчас никто (перехват в течение минуты)",
    "health.duration_days": "{days} дн. {clock}",
    "health.count.outbox": Plural(
        one="{count} сообщение пользователям ещё не отправлено",
        few="{count} сообщения пользователям ещё не отправлены",
        many="{count} сообщений пользователям ещё не отправлено",
    ),
}
