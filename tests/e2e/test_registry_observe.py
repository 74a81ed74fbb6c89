"""What the bot observes about confirmed violators itself, through the loopback Bot API: their
chats re-read with getChat, and their profile when they message the bot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from handlers.registry_jobs import BotProfileReader
from loopback import ChatHandle, LoopbackServer, UserHandle
from moderation.registry.observing import observe_violators
from storage.crypto import new_key_text, new_secret_text
from tests.conftest import ENGINES, MODERATOR_ID, RunningBot
from tests.e2e.reporting_steps import Reporter
from tests.e2e.test_review import Review
from tests.helpers import FakeClock

# The flow runs on both engines (tests/conftest.py: ENGINES).
pytestmark = pytest.mark.engines(*ENGINES)


@pytest.fixture
async def review(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> Review:
    moderator = loopback.add_user(
        first_name="Mona", username="mona_mod", language_code="en", user_id=MODERATOR_ID
    )
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    clock = FakeClock()
    settings = make_settings(
        review_chat_id=chat.id,
        case_edit_debounce_seconds=0,
        encryption_key=new_key_text("k1"),
        blind_index_key=new_secret_text(),
    )
    bot: RunningBot = await start_bot(settings, clock=clock)
    return Review(bot, chat, moderator, clock, loopback)


async def approve(review: Review, target: str) -> None:
    reporter = Reporter(review.server.add_user(first_name="Rita"), review.server)
    receipt = await reporter.say(f"/report {target} drugs cheap pills")
    assert "received" in receipt.text
    posted = await review.chat.next_message(timeout=15)
    menu = await review.tap(review.moderator, posted, "✅ Approve")
    await review.tap(review.moderator, menu, "✓ Illegal drugs")


async def timeline(review: Review) -> list[tuple[str, str, str]]:
    services = review.bot.application.bot_data.services
    async with services.store.reading() as uow:
        rows = await uow.registry.timeline(1)
    return [(r.kind.value, r.sealed.value or "", r.source.value) for r in rows]


async def observe(review: Review) -> None:
    services = review.bot.application.bot_data.services
    assert services.cipher is not None
    await observe_violators(
        services.store,
        services.cipher,
        BotProfileReader(review.bot.application.bot),
        services.clock.now(),
        interval=timedelta(hours=24),
        limit=50,
    )


async def test_the_observation_job_records_a_channel_renaming(review: Review) -> None:
    # A channel the bot can read by id (it is a member): after a rename the old @username
    # no longer leads anywhere, exactly as on Telegram.
    channel: ChatHandle = review.server.add_channel(
        title="Pill Shop", username="pill_shop_x", bot_member=True
    )
    await approve(review, "@pill_shop_x")
    await observe(review)
    assert await timeline(review) == []  # as reported: nothing new
    channel.record.username = "pill_shop_new"
    channel.record.title = "Totally Legal Vitamins"
    review.clock.advance(timedelta(hours=25))
    await observe(review)
    assert await timeline(review) == [
        ("username", "pill_shop_new", "bot"),
        ("display_name", "Totally Legal Vitamins", "bot"),
    ]
    await observe(review)  # not due again yet, and nothing changed
    review.clock.advance(timedelta(hours=25))
    await observe(review)
    assert len(await timeline(review)) == 2


async def test_a_violator_messaging_the_bot_has_profile_changes_recorded(
    review: Review,
) -> None:
    seller: UserHandle = review.server.add_user(
        first_name="Sam", last_name="Seller", username="sam_sells_x"
    )
    await approve(review, "@sam_sells_x")  # known by @username only: no id yet
    await Reporter(seller, review.server).say("/help")  # the bot learns the id ...
    assert await timeline(review) == []  # ... and nothing has changed yet
    review.server.world.users[seller.id].username = "sam_renamed_x"
    await Reporter(seller, review.server).say("/help")  # ... and so recognises the renamed user
    assert await timeline(review) == [("username", "sam_renamed_x", "bot")]
    services = review.bot.application.bot_data.services
    async with services.store.reading() as uow:
        assert await uow.registry.by_telegram_id(seller.id) == [1]
        assert await uow.registry.by_username("sam_sells_x") == [1]  # the old name still finds it
