"""Phone / IP normalisation and the personal-data cipher (AES-GCM + blind index)."""

from __future__ import annotations

import pytest

from moderation.personal_data import NotPersonalData, canonical_ip, normalize_phone
from storage.crypto import (
    DecryptionFailed,
    KeyProblem,
    PersonalDataCipher,
    decode_secret,
    new_key_text,
    new_secret_text,
    parse_key,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("+44 20 7946 0000", "+442079460000"),
        ("442079460000", "+442079460000"),
        ("+1 (555) 010-0000", "+15550100000"),
    ],
)
def test_phone_numbers_normalise_to_e164(given: str, expected: str) -> None:
    assert normalize_phone(given) == expected


@pytest.mark.parametrize("given", ["", "hello", "+1 2", "+999 12345678"])
def test_impossible_phone_numbers_are_refused(given: str) -> None:
    with pytest.raises(NotPersonalData):
        normalize_phone(given)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("192.0.2.7", "192.0.2.7"),
        (" 2001:DB8:0:0::1 ", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
    ],
)
def test_ip_addresses_are_canonical(given: str, expected: str) -> None:
    assert canonical_ip(given) == expected


def test_not_an_ip_is_refused() -> None:
    with pytest.raises(NotPersonalData):
        canonical_ip("192.0.2.300")


def cipher(current: str, *previous: str) -> PersonalDataCipher:
    index = decode_secret(new_secret_text(), "BLIND_INDEX_KEY")
    return PersonalDataCipher(parse_key(current), [parse_key(p) for p in previous], index)


def test_values_round_trip_under_their_key_and_kind_only() -> None:
    box = cipher(new_key_text("k1"))
    key_id, blob = box.encrypt("+442079460000", "phone")
    assert key_id == "k1"
    assert b"442079460000" not in blob
    assert box.decrypt(key_id, blob, "phone") == "+442079460000"
    with pytest.raises(DecryptionFailed):
        box.decrypt(key_id, blob, "ip")  # the kind is bound as associated data
    assert box.encrypt("x", "ip")[1] != box.encrypt("x", "ip")[1]  # a fresh nonce each time


def test_previous_keys_still_decrypt_after_a_new_key_takes_over() -> None:
    old_key = new_key_text("old")
    old = cipher(old_key)
    key_id, blob = old.encrypt("192.0.2.7", "ip")
    rotated = cipher(new_key_text("new"), old_key)
    assert rotated.decrypt(key_id, blob, "ip") == "192.0.2.7"
    assert rotated.encrypt("192.0.2.7", "ip")[0] == "new"
    with pytest.raises(DecryptionFailed):
        cipher(new_key_text("new")).decrypt(key_id, blob, "ip")


def test_the_blind_index_is_stable_per_value_and_kind() -> None:
    box = cipher(new_key_text("k1"))
    assert box.blind_index("ip", "192.0.2.7") == box.blind_index("ip", "192.0.2.7")
    assert box.blind_index("ip", "192.0.2.7") != box.blind_index("phone", "192.0.2.7")
    assert len(box.blind_index("ip", "192.0.2.7")) == 32


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("", "must look like"),
        ("nobase64", "must look like"),
        ("id with space:AAAA", "must look like"),
        ("k1:not base64!", "not valid base64"),
        ("k1:AAAA", "32 bytes"),
    ],
)
def test_malformed_keys_are_named_without_echoing_them(spec: str, problem: str) -> None:
    with pytest.raises(KeyProblem, match=problem) as caught:
        parse_key(spec)
    if ":" in spec and spec.split(":", 1)[1]:
        assert spec.split(":", 1)[1] not in str(caught.value)


def test_key_settings_build_the_cipher_and_refuse_mistakes() -> None:
    from bot.settings import SettingsError, load_settings

    current, old, index = new_key_text("k2"), new_key_text("k1"), new_secret_text()
    settings = load_settings(
        encryption_key=current, encryption_previous_keys=old, blind_index_key=index
    )
    box = settings.cipher()
    assert box.current.key_id == "k2"
    assert box.key_ids == {"k1", "k2"}
    with pytest.raises(SettingsError, match="ENCRYPTION_KEY: required"):
        load_settings().cipher()
    with pytest.raises(SettingsError, match="repeats the id"):
        load_settings(encryption_key=current, encryption_previous_keys=new_key_text("k2"))
    with pytest.raises(SettingsError, match="separate key") as caught:
        load_settings(encryption_key=current, blind_index_key=current.split(":", 1)[1])
    assert current.split(":", 1)[1] not in str(caught.value)
    with pytest.raises(SettingsError, match="ENCRYPTION_KEY") as caught:
        load_settings(encryption_key="k1:tooshort")
    assert "tooshort" not in str(caught.value)
