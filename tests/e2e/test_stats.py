"""/stats end to end: reports and decisions made through the real flows at known (fake) times,
then asked for by an admin over the loopback Bot API.

The history, with NOW the moment /stats is asked:
  NOW-40d  @shop_a reported (drugs) by r1; approved by Mona an hour later   -> only "all"
  NOW-20d  @shop_b reported (scam) by r2; rejected by Ada two hours later   -> "30d" and up
  NOW-3d   @shop_c reported (drugs) by r3 and, 10 min later, by r4;
           approved by Mona 30 min after the first report                   -> "7d" and up
  NOW-2h   @shop_d reported (weapons) by r5; still pending                  -> every window
Legal requests go in through the legal repository: one registered at NOW-40d, one registered
at NOW-15d and rejected at NOW-4d.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from matplotlib.image import imread

from handlers.outbound.delivery_worker import DeliveryWorker
from loopback import ChatHandle, LoopbackServer, SentMessage, UserHandle
from moderation.legal.types import OrderType, RequestForm, Target, TargetKind
from storage.codec import encode_time
from storage.location import Location
from tests.conftest import ADMIN_ID, ENGINES, MODERATOR_ID, RunningBot
from tests.engines import execute, rows
from tests.helpers import FakeClock

# The flow runs on both engines (tests/conftest.py: ENGINES).
pytestmark = pytest.mark.engines(*ENGINES)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RUSSIAN_ADMIN_ID = 900031


@dataclass
class History:
    bot: RunningBot
    server: LoopbackServer
    chat: ChatHandle
    moderator: UserHandle
    admin: UserHandle
    clock: FakeClock
    reporters: list[UserHandle] = field(default_factory=list)
    russian_admin: UserHandle | None = None

    async def report(self, target: str, category: str) -> None:
        reporter = self.server.add_user(
            first_name=f"Reporter{len(self.reporters) + 1}", language_code="en"
        )
        self.reporters.append(reporter)
        await reporter.send(f"/report {target} {category} cheap pills")
        receipt = await reporter.next_message(timeout=15)
        assert "received" in receipt.text

    async def flush(self) -> None:
        services = self.bot.application.bot_data.services
        assert isinstance(services.delivery, DeliveryWorker)
        await services.delivery.run_once()

    async def case_message(self, case_id: int) -> SentMessage:
        await self.flush()

        def posted() -> SentMessage | None:
            found = [m for m in self.chat.messages() if f"Case #{case_id}" in m.text]
            return found[-1] if found else None

        await self.server.wait_for(lambda: posted() is not None, timeout=15)
        message = posted()
        assert message is not None
        return message

    async def tap(self, user: UserHandle, message: SentMessage, label: str) -> SentMessage:
        before = next(m for m in self.chat.messages() if m.message_id == message.message_id)
        press = await user.press(before, text=label)
        await press.answered(timeout=15)

        def current() -> SentMessage:
            return next(m for m in self.chat.messages() if m.message_id == message.message_id)

        await self.server.wait_for(
            lambda: (current().html, current().reply_markup) != (before.html, before.reply_markup),
            timeout=15,
        )
        return current()

    async def approve(self, user: UserHandle, case_id: int, category_label: str) -> None:
        menu = await self.tap(user, await self.case_message(case_id), "✅ Approve")
        decided = await self.tap(user, menu, f"✓ {category_label}")
        assert "Approved by" in decided.text

    async def reject(self, user: UserHandle, case_id: int) -> None:
        reasons = await self.tap(user, await self.case_message(case_id), "❌ Reject")
        decided = await self.tap(user, reasons, "Not a violation")
        assert "Rejected by" in decided.text

    async def legal_request(
        self, reference: str, *, rejected_after: timedelta | None = None
    ) -> None:
        services = self.bot.application.bot_data.services
        form = RequestForm(
            authority="Court",
            country="DE",
            reference=reference,
            order_type=OrderType.COURT_ORDER,
            issued_on=date(2026, 10, 1),
            offence="fraud",
            target=Target(TargetKind.USERNAME, "shop_a"),
            period_start=date(2026, 9, 1),
            period_end=date(2026, 9, 30),
        )
        now = self.clock.now()
        async with services.store.transaction() as uow:
            request_id = await uow.legal.next_request_id()
            await uow.legal.add_request(request_id, form, None, ADMIN_ID, now)
            if rejected_after is not None:
                await uow.legal.reject(request_id, "no basis", ADMIN_ID, now + rejected_after)

    async def stats(self, *args: str, user: UserHandle | None = None) -> list[SentMessage]:
        """The admin (or `user`) sends /stats in a private chat; the answers, in order."""
        asker = user or self.admin
        before = len(asker.messages())
        await asker.send(" ".join(["/stats", *args]))
        await asker.wait_until(lambda: len(asker.messages()) > before, timeout=15)
        if "⛔" in asker.messages()[before].text or "⚠️" in asker.messages()[before].text:
            return asker.messages()[before:]
        await asker.wait_until(lambda: len(asker.messages()) >= before + 2, timeout=30)
        return asker.messages()[before : before + 2]


@pytest.fixture
async def history(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> History:
    moderator = loopback.add_user(
        first_name="Mona", username="mona_mod", language_code="en", user_id=MODERATOR_ID
    )
    admin = loopback.add_user(
        first_name="Ada", username="ada_admin", language_code="en", user_id=ADMIN_ID
    )
    russian_admin = loopback.add_user(
        first_name="Ася", language_code="ru", user_id=RUSSIAN_ADMIN_ID
    )
    chat = loopback.add_supergroup(title="Review", members=[moderator, admin], bot_admin=True)
    clock = FakeClock()
    settings = make_settings(
        review_chat_id=chat.id,
        case_edit_debounce_seconds=0,
        admin_ids=frozenset({ADMIN_ID, RUSSIAN_ADMIN_ID}),
    )
    bot: RunningBot = await start_bot(settings, clock=clock)
    world = History(bot, loopback, chat, moderator, admin, clock, russian_admin=russian_admin)
    hour, day = timedelta(hours=1), timedelta(days=1)
    await world.legal_request("A")  # NOW-40d
    await world.report("@shop_a", "drugs")  # case 1, NOW-40d
    clock.advance(hour)
    await world.approve(moderator, 1, "Illegal drugs")
    clock.advance(20 * day - hour)
    await world.report("@shop_b", "scam")  # case 2, NOW-20d
    clock.advance(2 * hour)
    await world.reject(admin, 2)
    clock.advance(5 * day - 2 * hour)
    await world.legal_request("B", rejected_after=11 * day)  # NOW-15d, rejected NOW-4d
    clock.advance(12 * day)
    await world.report("@shop_c", "drugs")  # case 3, NOW-3d
    clock.advance(timedelta(minutes=10))
    await world.report("t.me/shop_c", "drugs")
    clock.advance(timedelta(minutes=20))
    await world.approve(moderator, 3, "Illegal drugs")
    clock.advance(3 * day - 30 * timedelta(minutes=1) - 2 * hour)
    await world.report("@shop_d", "weapons")  # case 4, NOW-2h
    clock.advance(2 * hour)
    await world.flush()
    return world


def lines(message: SentMessage) -> list[str]:
    return message.text.splitlines()


def section(message: SentMessage, title: str) -> list[str]:
    """The lines under a bold section title, up to the next blank line."""
    text = lines(message)
    start = text.index(title) + 1
    end = text.index("", start) if "" in text[start:] else len(text)
    return text[start:end]


EXPECTED: dict[str, dict[str, Any]] = {
    "24h": {
        "reports": "Reports: 1 from 1 reporter about 1 target; by their case's status: "
        "pending 1 · approved 0 · rejected 0",
        "cases": "Cases opened: 1; pending 1 · approved 0 · rejected 0",
        "categories": ["• Weapons: 1 report; 1 case: pending 1 · approved 0 · rejected 0"],
        "decisions": "Decisions: 0; approved 0 · rejected 0 · approval rate —",
        "times": "Time from report to decision: median — · 90th percentile —",
        "moderators": ["none"],
        "targets": ["1. account @shop_d: 1 report, 1 reporter"],
        "violators": "Confirmed violators: 0 new · 0 confirmations · 2 in total",
        "legal": "Legal requests: 0 received · 0 rejected · 0 disclosures · 1 open now",
    },
    "7d": {
        "reports": "Reports: 3 from 3 different reporters about 2 targets; by their case's status: "
        "pending 1 · approved 2 · rejected 0",
        "cases": "Cases opened: 2; pending 1 · approved 1 · rejected 0",
        "categories": [
            "• Illegal drugs: 2 reports; 1 case: pending 0 · approved 1 · rejected 0",
            "• Weapons: 1 report; 1 case: pending 1 · approved 0 · rejected 0",
        ],
        "decisions": "Decisions: 1; approved 1 · rejected 0 · approval rate 100%",
        "times": "Time from report to decision: median 30 min · 90th percentile 30 min",
        "moderators": ["• @mona_mod (id 900002): 1; approved 1 · rejected 0"],
        "targets": [
            "1. account @shop_c: 2 reports, 2 reporters",
            "2. account @shop_d: 1 report, 1 reporter",
        ],
        "violators": "Confirmed violators: 1 new · 1 confirmation · 2 in total",
        "legal": "Legal requests: 0 received · 1 rejected · 0 disclosures · 1 open now",
    },
    "30d": {
        "reports": "Reports: 4 from 4 different reporters about 3 targets; by their case's status: "
        "pending 1 · approved 2 · rejected 1",
        "cases": "Cases opened: 3; pending 1 · approved 1 · rejected 1",
        "categories": [
            "• Illegal drugs: 2 reports; 1 case: pending 0 · approved 1 · rejected 0",
            "• Scam or fraud: 1 report; 1 case: pending 0 · approved 0 · rejected 1",
            "• Weapons: 1 report; 1 case: pending 1 · approved 0 · rejected 0",
        ],
        "decisions": "Decisions: 2; approved 1 · rejected 1 · approval rate 50%",
        "times": "Time from report to decision: median 30 min · 90th percentile 2 h 0 min",
        "moderators": [
            "• @mona_mod (id 900002): 1; approved 1 · rejected 0",
            "• @ada_admin (id 900001): 1; approved 0 · rejected 1",
        ],
        "targets": [
            "1. account @shop_c: 2 reports, 2 reporters",
            "2. account @shop_b: 1 report, 1 reporter",
            "3. account @shop_d: 1 report, 1 reporter",
        ],
        "violators": "Confirmed violators: 1 new · 1 confirmation · 2 in total",
        "legal": "Legal requests: 1 received · 1 rejected · 0 disclosures · 1 open now",
    },
    "all": {
        "reports": "Reports: 5 from 5 different reporters about 4 targets; by their case's status: "
        "pending 1 · approved 3 · rejected 1",
        "cases": "Cases opened: 4; pending 1 · approved 2 · rejected 1",
        "categories": [
            "• Illegal drugs: 3 reports; 2 cases: pending 0 · approved 2 · rejected 0",
            "• Scam or fraud: 1 report; 1 case: pending 0 · approved 0 · rejected 1",
            "• Weapons: 1 report; 1 case: pending 1 · approved 0 · rejected 0",
        ],
        "decisions": "Decisions: 3; approved 2 · rejected 1 · approval rate 67%",
        "times": "Time from report to decision: median 1 h 0 min · 90th percentile 2 h 0 min",
        "moderators": [
            "• @mona_mod (id 900002): 2; approved 2 · rejected 0",
            "• @ada_admin (id 900001): 1; approved 0 · rejected 1",
        ],
        "targets": [
            "1. account @shop_c: 2 reports, 2 reporters",
            "2. account @shop_a: 1 report, 1 reporter",
            "3. account @shop_b: 1 report, 1 reporter",
            "4. account @shop_d: 1 report, 1 reporter",
        ],
        "violators": "Confirmed violators: 2 new · 2 confirmations · 2 in total",
        "legal": "Legal requests: 2 received · 1 rejected · 0 disclosures · 1 open now",
    },
}


@pytest.mark.parametrize("window", ["24h", "7d", "30d", "all"])
async def test_each_window_counts_exactly_what_happened_in_it(
    history: History, window: str
) -> None:
    text, _ = await history.stats(window)
    expected = EXPECTED[window]
    shown = lines(text)
    for key in ("reports", "cases", "decisions", "times", "violators", "legal"):
        assert expected[key] in shown, key
    assert section(text, "By category") == expected["categories"]
    assert section(text, "Decisions per moderator") == expected["moderators"]
    assert section(text, "Most reported targets") == expected["targets"]
    assert "Pending now: 1; oldest: case #4 (Weapons), waiting 2 h 0 min" in shown


async def test_stats_count_in_words_and_name_categories_by_their_label(history: History) -> None:
    """issue 28, point 12: real plural forms (Russian: one, few, many), the categories by the
    label the case shows and full words instead of "pend appr rej", and the most reported
    targets called that in Russian, not "most appealed"."""
    english, _ = await history.stats("all")
    assert section(english, "By category")[0] == (
        "• Illegal drugs: 3 reports; 2 cases: pending 0 · approved 2 · rejected 0"
    )
    assert "(s)" not in english.text
    text, _ = await history.stats("all", user=history.russian_admin)
    shown = lines(text)
    assert (
        "Жалобы: 5 от 5 заявителей на 4 объекта; по статусу дела: на рассмотрении 1 · "
        "подтверждено 3 · отклонено 1"
    ) in shown
    assert section(text, "По категориям") == [
        "• Наркотики: 3 жалобы; 2 дела: на рассмотрении 0 · подтверждено 2 · отклонено 0",
        "• Мошенничество: 1 жалоба; 1 дело: на рассмотрении 0 · подтверждено 0 · отклонено 1",
        "• Оружие: 1 жалоба; 1 дело: на рассмотрении 1 · подтверждено 0 · отклонено 0",
    ]
    assert section(text, "Объекты, на которые жалуются чаще всего")[:2] == [
        "1. аккаунт @shop_c: 2 жалобы, 2 заявителя",
        "2. аккаунт @shop_a: 1 жалоба, 1 заявитель",
    ]
    assert "обжалу" not in text.text
    assert "Подтверждённые нарушители: новых 2 · 2 подтверждения · всего 2" in shown
    assert (
        "Запросы правоохранительных органов: получено 2 · отклонено 1 · 0 раскрытий · "
        "открыто сейчас 1"
    ) in shown


async def test_the_default_window_is_seven_days(history: History) -> None:
    text, _ = await history.stats()
    assert "Statistics, last 7 days" in text.text
    assert EXPECTED["7d"]["reports"] in lines(text)


async def test_no_reporter_identity_is_shown(history: History) -> None:
    text, _ = await history.stats("all")
    for reporter in history.reporters:
        assert reporter.first_name not in text.text
        assert str(reporter.id) not in text.text


async def test_the_chart_is_a_png_of_readable_size(history: History) -> None:
    _, chart = await history.stats("30d")
    assert chart.photo is not None
    assert chart.photo.data.startswith(PNG_SIGNATURE)
    height, width, _channels = imread(io.BytesIO(chart.photo.data), format="png").shape
    assert (width, height) == (800, 400)
    assert chart.caption == "📈 Reports and decisions per day, last 30 days"


async def test_an_admin_may_ask_in_the_review_chat(history: History) -> None:
    before = len(history.chat.messages())
    await history.admin.send("/stats 24h", chat=history.chat)
    await history.server.wait_for(lambda: len(history.chat.messages()) >= before + 2, timeout=30)
    text, chart = history.chat.messages()[before : before + 2]
    assert EXPECTED["24h"]["reports"] in lines(text)
    assert chart.photo is not None


async def test_a_moderator_is_refused_and_the_attempt_is_audited(history: History) -> None:
    answers = await history.stats("7d", user=history.moderator)
    assert [m.text for m in answers] == [
        "⛔ /stats is for admins, in a private chat with me or in the review chat."
    ]
    assert audit_denials(history) == [(MODERATOR_ID, '{"chat_type":"private","command":"stats"}')]


async def test_a_reporter_is_refused(history: History) -> None:
    answers = await history.stats(user=history.reporters[0])
    assert len(answers) == 1
    assert answers[0].text.startswith("⛔ /stats is for admins")
    assert audit_denials(history)[0][0] == history.reporters[0].id


async def test_an_admin_in_another_group_is_refused(history: History) -> None:
    other = history.server.add_supergroup(title="Elsewhere", members=[history.admin])
    await history.admin.send("/stats", chat=other)
    answer = await other.next_message(timeout=15)
    assert answer.text.startswith("⛔ /stats is for admins")


async def test_an_unknown_window_is_answered_with_the_usage(history: History) -> None:
    answers = await history.stats("<b>week</b>")
    assert len(answers) == 1
    assert answers[0].text.startswith("⚠️ I don't know the window “<b>week</b>”.")
    assert "/stats 24h" in answers[0].text


async def test_extra_arguments_are_answered_with_the_usage(history: History) -> None:
    answers = await history.stats("7d", "30d")
    assert answers[0].text.startswith("⚠️ I don't know the window “7d 30d”.")


async def test_many_targets_and_moderators_stay_within_telegram_limits(
    start_bot: Callable[..., Any], make_settings: Callable[..., Any], loopback: LoopbackServer
) -> None:
    admin = loopback.add_user(first_name="Ada", language_code="en", user_id=ADMIN_ID)
    clock = FakeClock()
    settings = make_settings()
    await start_bot(settings, clock=clock)
    crowd(settings.database, clock.now() - timedelta(hours=1), targets=300, moderators=40)
    await admin.send("/stats")
    text = await admin.next_message(timeout=15)
    chart = await admin.next_message(timeout=30)
    assert len(text.text) <= 4096
    assert len(text.html.encode("utf-16-le")) // 2 <= 4096  # even counted before parsing
    assert "Reports: 600 from 600 different reporters about 300 targets" in text.text
    targets = section(text, "Most reported targets")
    assert targets[0].startswith("1. search term “&<>")
    assert targets[-1] == f"… and {300 - (len(targets) - 1)} more"
    assert section(text, "Decisions per moderator")[-1] == "… and 25 more"
    assert chart.photo is not None


def crowd(database: Location, when: datetime, *, targets: int, moderators: int) -> None:
    """Targets named by long search terms full of characters HTML must escape, two reports
    each, every case decided by one of many moderators with long names."""
    at = encode_time(when)
    terms = [(n, f"{'&<>' * 30} {n}") for n in range(1, targets + 1)]
    execute(
        database,
        "INSERT INTO targets (id, key, kind, term, created_at, updated_at) "
        "VALUES (?, ?, 'search_term', ?, ?, ?)",
        *((n, f"term:{term}", term, at, at) for n, term in terms),
    )
    execute(
        database,
        "INSERT INTO cases (id, target_id, status, category, opened_at, updated_at, "
        "decided_at, decided_by, decided_by_name) VALUES (?, ?, 'rejected', ?, ?, ?, ?, ?, ?)",
        *(
            (n, n, f"custom_{n % 30}", at, at, at, 5000 + n % moderators, f"<b>Mod & {'x' * 40}")
            for n, _ in terms
        ),
    )
    execute(
        database,
        "INSERT INTO reports (case_id, target_id, reporter_id, category, query, "
        "raw_input, source, created_at) VALUES (?, ?, ?, ?, 'q', 'r', 'shortcut', ?)",
        *((n, n, 10_000 + 2 * n + k, f"custom_{n % 30}", at) for n, _ in terms for k in range(2)),
    )


def audit_denials(history: History) -> list[tuple[int, str]]:
    return rows(
        history.bot.settings.database,
        "SELECT actor_id, details FROM audit_log WHERE action = 'access.denied' ORDER BY id",
    )
