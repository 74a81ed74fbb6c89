"""Russian texts of review in a private chat (/review; merged into the ru catalog)."""

from typing import Final

TEXTS: Final[dict[str, str]] = {
    "command.description.review": "Разбирать дела здесь по одному (/review stop — закончить)",
    "review.private.not_moderator": (
        "Разбирать дела могут только модераторы, администраторы, администраторы чата проверки "
        "и юристы. Чтобы сообщить о нарушении, используйте /report."
    ),
    "review.private.claimed": (
        "🔒 Ваше до {until}: пока никому другому это дело не выдаётся. Решите его или нажмите "
        "«Пропустить»."
    ),
    "review.private.decided": "Решено здесь. Сообщение в чате проверки и заявители узнают об этом.",
    "review.private.empty": (
        "✅ Сейчас для вас нет дел. Нажмите «Дальше», чтобы проверить снова, или отправьте "
        "/review позже."
    ),
    "review.private.stopped": (
        "⏹ Разбор закончен: дело, которое было за вами, вернулось в очередь. Отправьте /review, "
        "чтобы начать снова."
    ),
    "review.private.escalated": (
        "⚠️ Передано выше: дело ждёт администратора или юриста. Нажмите «Дальше», чтобы "
        "получить следующее."
    ),
    "review.private.button.start": "🗂 Разбирать дела",
    "review.private.button.skip": "⏭ Пропустить",
    "review.private.button.next": "➡️ Дальше",
    "review.private.button.stop": "⏹ Закончить",
    "review.private.decided_next": (
        "☑️ Дело #{case_id}: {status} здесь; пост в чате модерации и авторы жалоб узнают "
        "об этом. Следующее:"
    ),
    "review.private.button.undo_case": "↩️ Отменить #{case_id} (до {until})",
    "review.private.explain_ask": (
        "☑️ Дело #{case_id} отклонено здесь как «другое».\n\n✍️ Почему? Отправьте объяснение "
        "следующим сообщением (до {limit} символов): оно сохранится в деле для команды. /cancel"
        " — оставить без объяснения; дело останется отклонённым."
    ),
    "review.private.explained": "✍️ Объяснение к делу #{case_id} записано. Следующее:",
    "review.private.explain_cancelled": (
        "Дело #{case_id} остаётся отклонённым как «другое», без объяснения. Следующее:"
    ),
    "review.private.explain_too_long": (
        "Слишком длинно: объяснение — до {limit} символов (у вас {length}). Отправьте покороче "
        "или /cancel, чтобы оставить без объяснения."
    ),
    "review.private.explain_undone": (
        "Решение по делу #{case_id} тем временем отменено: оно снова ждёт решения."
    ),
    "review.private.explain_dropped": "Объяснение к делу #{case_id} не записано. Следующее:",
}
