"""Legal drafts: sealed to their officer, dropped after the conversation timeout."""

from __future__ import annotations

from datetime import timedelta

from moderation.legal.drafts import draft_key, expire_drafts, load_draft, save_draft
from storage import Store
from storage.crypto import (
    PersonalDataCipher,
)
from tests.storage.legal_fixtures import NOW, PHONE_FIRST_INSTANT
from tests.storage.stored import outside, stored

IDLE = timedelta(minutes=15)


async def test_an_idle_draft_is_swept_and_a_live_one_kept(
    store: Store, cipher: PersonalDataCipher
) -> None:
    await save_draft(store, cipher, 1, {"target": PHONE_FIRST_INSTANT}, NOW)
    await save_draft(store, cipher, 2, {"authority": "Court"}, NOW + timedelta(minutes=10))
    assert await expire_drafts(store, IDLE, NOW + timedelta(minutes=16)) == 1
    assert await load_draft(store, cipher, 1, IDLE, NOW + timedelta(minutes=16)) is None
    kept = await load_draft(store, cipher, 2, IDLE, NOW + timedelta(minutes=16))
    assert kept == {"authority": "Court"}


async def test_a_draft_moved_to_another_officer_or_edited_does_not_open_and_is_dropped(
    store: Store, cipher: PersonalDataCipher
) -> None:
    await save_draft(store, cipher, 1, {"target": PHONE_FIRST_INSTANT}, NOW)
    await outside(
        store,
        "INSERT INTO bot_state (key, value, updated_at) SELECT ?, value, updated_at "
        "FROM bot_state WHERE key = ?",
        (draft_key(2), draft_key(1)),
    )
    assert await load_draft(store, cipher, 2, IDLE, NOW) is None
    assert await stored(store, "SELECT key FROM bot_state") == [(draft_key(1),)]
    assert await load_draft(store, cipher, 1, IDLE, NOW) == {"target": PHONE_FIRST_INSTANT}
