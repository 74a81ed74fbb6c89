"""Russian texts of the moderators' console's API (merged into the ru catalog)."""

from typing import Final

from handlers.plurals import Text

TEXTS: Final[dict[str, Text]] = {
    "console.error.init_data_invalid": (
        "Данные входа от Telegram для этой страницы не прошли проверку. Закройте консоль и "
        "откройте её снова из бота."
    ),
    "console.error.init_data_expired": (
        "Данные входа от Telegram устарели. Закройте консоль и откройте её снова из бота."
    ),
    "console.error.init_data_replayed": (
        "Этот вход уже использован. Закройте консоль и откройте её снова из бота."
    ),
    "console.error.not_staff": (
        "Консоль — для модераторов, администраторов и юристов. Если вам нужна роль, попросите "
        "администратора."
    ),
    "console.error.no_session": "Вы не вошли. Откройте консоль снова из бота.",
    "console.error.session_expired": (
        "Сеанс консоли закончился. Закройте консоль и откройте её снова из бота."
    ),
    "console.error.session_forged": (
        "Эту сессию консоли бот не выдавал. Закройте консоль и откройте её снова из бота."
    ),
    "console.error.forbidden": (
        "Ваша роль этого не позволяет. Если считаете, что должна, обратитесь к администратору."
    ),
    "console.error.unknown_field": "В запросе есть поле «{field}», которого консоль не принимает.",
    "console.error.missing_field": "В запросе нет поля «{field}».",
    "console.error.bad_field": "Поле «{field}» не заполнено или здесь недопустимо.",
    "console.error.not_json": "Запрос — не объект JSON.",
    "console.error.not_found": "Здесь ничего нет. Перезагрузите консоль.",
    "console.error.method_not_allowed": "Эта часть консоли так не используется.",
    "console.error.too_large": "Запрос слишком большой.",
    "console.error.internal": (
        "На стороне бота что-то пошло не так; этот запрос ничего не изменил. Попробуйте ещё раз "
        "чуть позже."
    ),
    "console.error.no_case": "Такого дела нет. Обновите очередь.",
    "console.error.confirm": "Массовое решение нужно подтвердить: подтвердите и отправьте снова.",
    "console.error.bulk_ids": "Для массового решения выберите от 1 до {most} дел.",
    "console.error.bad_kind": (
        "Тип цели «{kind}» очереди неизвестен; используйте один из: {kinds}."
    ),
    "console.error.bad_filter": (
        "Фильтр очереди «{field}» недопустим; сбросьте его и попробуйте снова."
    ),
    "console.decided.approved": "Дело №{case_id} подтверждено.",
    "console.decided.rejected": "Дело №{case_id} отклонено.",
    "console.escalated": "Дело №{case_id} передано администраторам и юристам.",
}
