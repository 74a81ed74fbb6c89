"""Russian texts of the console's legal and admin answers (merged into the ru catalog).

Shown as plain text by the page (never as HTML): no tags here."""

from typing import Final

from handlers.plurals import Text

TEXTS: Final[dict[str, Text]] = {
    "console.legal.recorded": (
        "Ваше одобрение запроса #{id} записано ({approvals}/{needed}). Нужно одобрение "
        "ещё одного юриста."
    ),
    "console.legal.due": (
        "Запрос #{id} одобрен ({approvals}/{needed}). Раскрытие в консоли не показывается: "
        "отправьте боту /legal disclose {id} в личном чате, чтобы получить его."
    ),
    "console.legal.rejected": "Запрос #{id} отклонён. По нему ничего не будет раскрыто.",
    "console.legal.refused": "Не выполнено: {reason}",
    "console.legal.bad_vote": (
        'Отправьте {{"vote": "approve"}} или {{"vote": "reject", "reason": "…"}}: '
        "отклонению нужна причина."
    ),
    "console.legal.target.phone": "номер телефона (зашифрован; как в документе запроса)",
    "console.legal.target.ip": "IP-адрес (зашифрован; как в документе запроса)",
    "console.stats.bad_window": "Окна {given} нет: укажите 7d, 30d или all.",
}
