"""The Mini App's init data check (moderation/console/init_data.py) against data signed as
Telegram signs it (tests/console.py): what passes, and each way it must not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote

from moderation.console.init_data import InitData, InitDataRefusal, check_init_data
from tests.console import init_data_hash, signed_init_data, telegram_user

TOKEN = "123456789:TEST-loopback-token-not-a-secret-0000"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def signed(**kwargs: object) -> str:
    user = telegram_user(4242, "Мона", "ru")
    return signed_init_data(TOKEN, user, auth_date=int(NOW.timestamp()) - 60, **kwargs)  # type: ignore[arg-type]


def check(raw: str, token: str = TOKEN, now: datetime = NOW) -> InitData | InitDataRefusal:
    return check_init_data(raw, token, now=now, max_age=HOUR)


def test_init_data_as_telegram_signs_it_passes() -> None:
    checked = check(signed(extra={"chat_instance": "-4711", "signature": "abc"}))
    assert isinstance(checked, InitData)
    assert (checked.user_id, checked.first_name, checked.username) == (4242, "Мона", "user4242")
    assert checked.language_code == "ru"
    assert checked.name == "@user4242"
    assert checked.auth_date == NOW - timedelta(minutes=1)


def test_a_changed_value_fails() -> None:
    raw = signed().replace("%22id%22%3A4242", "%22id%22%3A4243")
    assert "4243" in raw
    assert check(raw) is InitDataRefusal.INVALID


def test_the_hash_of_another_bots_token_fails() -> None:
    assert check(signed(), token="987654321:another-bot-token-not-a-secret-000") is (
        InitDataRefusal.INVALID
    )


def test_old_init_data_is_expired_and_future_data_too() -> None:
    assert check(signed(), now=NOW + HOUR) is InitDataRefusal.EXPIRED
    assert check(signed(), now=NOW - timedelta(hours=2)) is InitDataRefusal.EXPIRED


def test_without_a_hash_or_with_a_field_twice_it_fails() -> None:
    raw = signed()
    without = "&".join(part for part in raw.split("&") if not part.startswith("hash="))
    assert check(without) is InitDataRefusal.INVALID
    assert check(raw + "&auth_date=1") is InitDataRefusal.INVALID
    assert check("") is InitDataRefusal.INVALID
    assert check("not init data") is InitDataRefusal.INVALID


def test_a_reserialised_user_fails_even_with_the_same_meaning() -> None:
    """The check runs over the raw string: the user JSON re-written with spaces or in another
    key order (what a parsed-then-dumped copy would be) no longer matches the signature."""
    raw = signed()
    pairs = dict(parse_qsl(raw))
    for respelt in (
        pairs["user"].replace(",", ", "),
        "{" + ",".join(reversed(pairs["user"][1:-1].split(","))) + "}",
    ):
        changed = raw.replace(quote(pairs["user"], safe="-_.!~*'()"), quote(respelt, safe=""))
        assert changed != raw
        assert check(changed) is InitDataRefusal.INVALID


def test_a_hash_over_a_re_serialised_copy_is_not_what_telegram_signs() -> None:
    """The signer is the spec: its hash over the pairs as sent verifies, one over other
    values does not."""
    raw = signed()
    pairs = dict(parse_qsl(raw))
    assert init_data_hash(TOKEN, pairs) == pairs["hash"]
    pairs["user"] = pairs["user"].replace(",", ", ")
    assert init_data_hash(TOKEN, pairs) != dict(parse_qsl(raw))["hash"]
