"""The review queue's rules against a real SQLite store: priority and track records, escalation,
notes and explanations, posting order, provisional hiding and reopening a decided target."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from moderation.reporting.categories import DEFAULT_CATEGORIES, parse_categories
from moderation.reporting.filing import file_report
from moderation.reporting.targets import TargetKind, TargetRef
from moderation.reporting.types import (
    AlreadyUnderReview,
    CaseStatus,
    Filed,
    NewReport,
    ReportLimits,
    ReportSource,
    Standing,
)
from moderation.review.case_actions import (
    ActionRefusal,
    Done,
    Refused,
    add_note,
    escalate,
    queue,
    reject_with_explanation,
    request_post,
)
from moderation.review.decisions import (
    Decided,
    NotAllowed,
    Undone,
    UndoRefusal,
    UndoRefused,
    case_view,
    decide,
    undo,
)
from moderation.review.delivery import (
    backlog_size,
    due_posts,
    mark_shown,
    recheck_post,
    record_post,
)
from moderation.review.priority import CasePolicy
from moderation.review.types import CaseView, Decision, Moderator, PostTask, RejectReason
from storage import Store

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LIMITS = ReportLimits(per_hour=1000, per_day=1000)
POSTED_MESSAGE = 100  # the review-chat message id a posted case gets here
UNDO = timedelta(minutes=5)
CATEGORIES = parse_categories(DEFAULT_CATEGORIES)
MODERATOR = Moderator(900002, "@mona_mod")
OTHER_MODERATOR = Moderator(900004, "@otto_mod")
ADMIN = Moderator(900001, "@ada_admin", is_admin=True)
LEGAL = Moderator(900003, "@lee_legal", is_legal=True, reviews=False)


def policy(**overrides: Any) -> CasePolicy:
    return CasePolicy.from_categories(CATEGORIES, **overrides)


class Desk:
    """The domain functions a handler would call, on one store, one policy and a moving clock."""

    def __init__(self, store: Store, rules: CasePolicy | None = None) -> None:
        self.store = store
        self.rules = rules or policy()
        self.now = START
        self._next_reporter = 5000
        self._earlier = 0

    def tick(self, delta: timedelta = timedelta(seconds=1)) -> datetime:
        self.now += delta
        return self.now

    def reporter(self) -> int:
        self._next_reporter += 1
        return self._next_reporter

    async def file(
        self, name: str, reporter: int, category: str = "scam"
    ) -> Filed | AlreadyUnderReview:
        outcome = await file_report(
            self.store,
            NewReport(
                reporter_id=reporter,
                language_code="en",
                query="cheap things",
                target=TargetRef(TargetKind.PUBLIC, username=name),
                category=category,
                comment=None,
                raw_input=f"@{name}",
                source=ReportSource.ONE_MESSAGE,
            ),
            LIMITS,
            self.tick(),
            self.rules,
        )
        assert isinstance(outcome, Filed | AlreadyUnderReview), outcome
        return outcome

    async def due(self, delta: timedelta = timedelta(seconds=1)) -> dict[int, PostTask]:
        """The posts and edits due after `delta` more (no debounce), by case."""
        return {t.case_id: t for t in await due_posts(self.store, self.tick(delta), timedelta(0))}

    async def post(self, case_id: int, message_id: int = POSTED_MESSAGE) -> None:
        """The delivery worker posted the case's message."""
        task = (await self.due(timedelta(0)))[case_id]
        await record_post(self.store, task, -1001, message_id, self.tick())

    async def new_case(self, name: str, reporters: list[int], category: str = "scam") -> int:
        case_ids = set()
        for reporter in reporters:
            outcome = await self.file(name, reporter, category)
            assert isinstance(outcome, Filed)
            case_ids.add(outcome.case_id)
        assert len(case_ids) == 1
        return case_ids.pop()

    async def decide(
        self,
        case_id: int,
        decision: Decision,
        who: Moderator = MODERATOR,
        reason: RejectReason = RejectReason.NOT_A_VIOLATION,
    ) -> Any:
        return await decide(
            self.store,
            case_id,
            who,
            decision,
            category=None,
            reason=None if decision is Decision.APPROVED else reason,
            undo_window=UNDO,
            now=self.tick(),
            policy=self.rules,
        )

    async def approve(self, case_id: int, who: Moderator = MODERATOR) -> CaseView:
        outcome = await self.decide(case_id, Decision.APPROVED, who)
        assert isinstance(outcome, Decided), outcome
        return outcome.view

    async def reject(self, case_id: int, who: Moderator = MODERATOR) -> CaseView:
        outcome = await self.decide(case_id, Decision.REJECTED, who)
        assert isinstance(outcome, Decided), outcome
        return outcome.view

    async def undo(self, case_id: int, who: Moderator = MODERATOR) -> Any:
        return await undo(
            self.store, case_id, who, undo_window=UNDO, now=self.tick(), policy=self.rules
        )

    async def track_record(self, reporters: list[int], *, approved: int, rejected: int) -> None:
        """Each reporter reports the same earlier targets; moderators decide those cases."""
        for n in range(approved + rejected):
            self._earlier += 1
            case_id = await self.new_case(f"earlier_case_{self._earlier}_x", reporters)
            if n < approved:
                await self.approve(case_id)
            else:
                await self.reject(case_id)

    async def view(self, case_id: int) -> CaseView:
        view = await case_view(self.store, case_id)
        assert view is not None
        return view

    async def queue_ids(self, *, escalated: bool = False) -> list[int]:
        listing = await queue(self.store, escalated=escalated, limit=100)
        return [entry.case_id for entry in listing.entries]

    async def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        async with self.store._db.reading() as conn:  # under the repositories, on either engine
            return [tuple(row) for row in await conn.fetch_all(sql, params)]

    async def priority(self, case_id: int) -> int:
        [(value,)] = await self.rows("SELECT priority FROM cases WHERE id = ?", case_id)
        return int(value)

    async def hiding(self, name: str) -> list[tuple[Any, ...]]:
        """(case id, provisional) of the target's search_blocklist entry, if any."""
        return await self.rows(
            "SELECT case_id, provisional FROM search_blocklist WHERE target_key = ?", f"@{name}"
        )

    async def audit(self, action: str, case_id: int | None = None) -> list[dict[str, Any]]:
        found = await self.rows(
            "SELECT subject_id, details FROM audit_log WHERE action = ? ORDER BY id", action
        )
        return [
            json.loads(details)
            for subject, details in found
            if case_id is None or str(subject) == str(case_id)
        ]


# --- priority -----------------------------------------------------------------------------


async def test_csam_and_terrorism_come_first_whatever_the_reporter_counts(store: Store) -> None:
    desk = Desk(store)
    crowd = [desk.reporter() for _ in range(6)]
    scam = await desk.new_case("crowded_scam_x", crowd, "scam")
    drugs = await desk.new_case("drug_shop_x", crowd[:3], "drugs")
    terror = await desk.new_case("terror_chan_x", [desk.reporter()], "terrorism")
    csam = await desk.new_case("csam_chan_x", [desk.reporter()], "csam")
    assert await desk.queue_ids() == [csam, terror, drugs, scam]


async def test_within_a_category_more_distinct_reporters_come_first(store: Store) -> None:
    desk = Desk(store)
    one = await desk.new_case("one_reporter_x", [desk.reporter()])
    three = await desk.new_case("three_reporters_x", [desk.reporter() for _ in range(3)])
    two = await desk.new_case("two_reporters_x", [desk.reporter() for _ in range(2)])
    assert await desk.queue_ids() == [three, two, one]
    # The same reporter again is refused and adds nothing.
    again = await desk.file("one_reporter_x", desk._next_reporter - 5)
    assert isinstance(again, AlreadyUnderReview)
    assert await desk.queue_ids() == [three, two, one]


async def test_a_reporter_with_approved_reports_outweighs_one_with_rejected_ones(
    store: Store,
) -> None:
    desk = Desk(store)
    good, bad, fresh = desk.reporter(), desk.reporter(), desk.reporter()
    await desk.track_record([good], approved=3, rejected=0)
    await desk.track_record([bad], approved=0, rejected=3)
    # Filed in the opposite order to the expected ranking, so ids cannot explain it.
    by_bad = await desk.new_case("bad_reporter_x", [bad])
    by_fresh = await desk.new_case("fresh_reporter_x", [fresh])
    by_good = await desk.new_case("good_reporter_x", [good])
    assert await desk.queue_ids() == [by_good, by_fresh, by_bad]
    assert (
        await desk.priority(by_good) > await desk.priority(by_fresh) > await desk.priority(by_bad)
    )
    # Two reporters with mostly rejected reports still weigh less than one trusted reporter.
    worse = desk.reporter()
    await desk.track_record([worse], approved=0, rejected=3)
    by_two_bad = await desk.new_case("two_bad_reporters_x", [bad, worse])
    assert await desk.priority(by_two_bad) < await desk.priority(by_good)


async def test_a_decision_moves_its_reporters_other_pending_cases_and_undo_moves_them_back(
    store: Store,
) -> None:
    desk = Desk(store)
    reporter = desk.reporter()
    decided = await desk.new_case("decided_first_x", [reporter])
    waiting = await desk.new_case("waiting_case_x", [reporter])
    neighbour = await desk.new_case("neighbour_case_x", [desk.reporter()])
    assert await desk.queue_ids() == [decided, waiting, neighbour]  # equal scores: by id
    before = await desk.priority(waiting)
    await desk.reject(decided)
    assert await desk.priority(waiting) < before
    assert await desk.queue_ids() == [neighbour, waiting]
    assert isinstance(await desk.undo(decided), Undone)
    assert await desk.priority(waiting) == before
    await desk.approve(decided)
    assert await desk.priority(waiting) > before
    assert (await desk.queue_ids())[0] == waiting


# --- escalation ---------------------------------------------------------------------------


async def test_an_escalated_case_waits_for_an_admin_or_a_legal_officer(store: Store) -> None:
    desk = Desk(store)
    first = await desk.new_case("escalated_one_x", [desk.reporter()])
    second = await desk.new_case("escalated_two_x", [desk.reporter()])
    for case_id in (first, second):
        outcome = await escalate(store, case_id, MODERATOR, None, desk.tick())
        assert isinstance(outcome, Done)
        assert outcome.view.escalated
        assert outcome.view.escalation is not None
        assert outcome.view.escalation.by_name == "@mona_mod"
    refused = await desk.decide(first, Decision.APPROVED, MODERATOR)
    assert isinstance(refused, NotAllowed)
    assert (await desk.view(first)).status is CaseStatus.PENDING
    [press] = await desk.audit("case.press_refused", first)
    assert press["why"] == "escalated"
    assert press["before"] == press["after"] == "escalated"
    assert (await desk.approve(first, ADMIN)).decided_by_name == "@ada_admin"
    assert (await desk.reject(second, LEGAL)).decided_by_name == "@lee_legal"
    [approved] = await desk.audit("case.approved", first)
    assert (approved["before"], approved["after"]) == ("escalated", "approved")
    [rejected] = await desk.audit("case.rejected", second)
    assert (rejected["before"], rejected["after"]) == ("escalated", "rejected")
    [escalated, _] = await desk.audit("case.escalated")
    assert (escalated["before"], escalated["after"]) == ("pending", "escalated")


async def test_a_legal_officer_does_not_decide_the_everyday_queue(store: Store) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("everyday_case_x", [desk.reporter()])
    assert isinstance(await desk.decide(case_id, Decision.APPROVED, LEGAL), NotAllowed)
    assert (await desk.view(case_id)).status is CaseStatus.PENDING


async def test_escalated_cases_have_their_own_queue(store: Store) -> None:
    desk = Desk(store)
    plain = await desk.new_case("plain_case_x", [desk.reporter()], "csam")
    escalated = await desk.new_case("escalated_case_x", [desk.reporter()])
    await escalate(store, escalated, MODERATOR, "Looks organised", desk.tick())
    assert await desk.queue_ids() == [plain]
    assert await desk.queue_ids(escalated=True) == [escalated]
    listing = await queue(store, escalated=True)
    assert (listing.pending, listing.escalated) == (2, 1)


async def test_a_second_escalation_adds_its_note_and_keeps_who_escalated(store: Store) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("noted_case_x", [desk.reporter()])
    await escalate(store, case_id, MODERATOR, None, desk.tick())
    outcome = await escalate(store, case_id, OTHER_MODERATOR, "Court order pending", desk.tick())
    assert isinstance(outcome, Done)
    assert outcome.view.escalation is not None
    assert outcome.view.escalation.by_name == "@mona_mod"
    assert outcome.view.escalation.note == "Court order pending"
    [noted] = await desk.audit("case.escalation_noted", case_id)
    assert (noted["before"], noted["after"], noted["note"]) == (
        "escalated",
        "escalated",
        "Court order pending",
    )


async def test_a_decided_case_cannot_be_escalated(store: Store) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("decided_case_x", [desk.reporter()])
    await desk.reject(case_id)
    outcome = await escalate(store, case_id, MODERATOR, "too late", desk.tick())
    assert isinstance(outcome, Refused)
    assert outcome.reason is ActionRefusal.DECIDED
    assert await desk.audit("case.escalated") == []


# --- notes and explanations ---------------------------------------------------------------


async def test_a_note_is_stored_shown_on_the_case_and_audited(store: Store) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("note_case_x", [desk.reporter()])
    version = (await desk.view(case_id)).version
    outcome = await add_note(store, case_id, MODERATOR, "Only memes so far", desk.tick())
    assert isinstance(outcome, Done)
    assert [(n.author_name, n.text) for n in outcome.view.notes] == [
        ("@mona_mod", "Only memes so far")
    ]
    assert outcome.view.version > version  # the worker brings the case message up to date
    assert await desk.rows("SELECT case_id, author_id, text FROM case_notes") == [
        (case_id, MODERATOR.user_id, "Only memes so far")
    ]
    [audit] = await desk.audit("case.note_added", case_id)
    assert (audit["before"], audit["after"]) == ({"notes": 0}, {"notes": 1})


async def test_empty_or_overlong_notes_are_refused(store: Store) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("bad_note_x", [desk.reporter()])
    empty = await add_note(store, case_id, MODERATOR, "   ", desk.tick())
    long = await add_note(store, case_id, MODERATOR, "x" * 501, desk.tick())
    assert empty == Refused(ActionRefusal.EMPTY)
    assert long == Refused(ActionRefusal.TOO_LONG)
    assert await desk.rows("SELECT count(*) FROM case_notes") == [(0,)]


async def test_reject_with_explanation_rejects_a_pending_case_as_other(store: Store) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("parody_case_x", [desk.reporter()])
    outcome = await reject_with_explanation(
        store, case_id, MODERATOR, "Parody account", undo_window=UNDO, now=desk.tick(),
        policy=desk.rules,
    )  # fmt: skip
    assert isinstance(outcome, Decided)
    assert outcome.view.status is CaseStatus.REJECTED
    assert outcome.view.reject_reason is RejectReason.OTHER
    assert outcome.view.reject_note == "Parody account"
    [audit] = await desk.audit("case.rejected", case_id)
    assert (audit["before"], audit["after"], audit["note"]) == (
        "pending",
        "rejected",
        "Parody account",
    )


async def test_an_explanation_is_added_to_ones_own_other_rejection_while_undo_is_open(
    store: Store,
) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("explained_case_x", [desk.reporter()])
    await desk.decide(case_id, Decision.REJECTED, MODERATOR, RejectReason.OTHER)

    async def explain(who: Moderator, text: str, at: datetime) -> Any:
        return await reject_with_explanation(
            store, case_id, who, text, undo_window=UNDO, now=at, policy=desk.rules
        )

    decided_at = desk.now
    not_yours = await explain(OTHER_MODERATOR, "Not mine", desk.tick())
    assert isinstance(not_yours, Refused)
    assert not_yours.reason is ActionRefusal.NOT_YOURS
    done = await explain(MODERATOR, "Satire, see notes", desk.tick())
    assert isinstance(done, Done)
    assert done.view.reject_note == "Satire, see notes"
    by_admin = await explain(ADMIN, "Satire (confirmed)", desk.tick())
    assert isinstance(by_admin, Done)
    late = await explain(MODERATOR, "Too late", decided_at + UNDO + timedelta(seconds=1))
    assert isinstance(late, Refused)
    assert late.reason is ActionRefusal.EXPIRED
    assert (await desk.view(case_id)).reject_note == "Satire (confirmed)"
    audits = await desk.audit("case.reject_explained", case_id)
    assert [(a["before"], a["after"]) for a in audits] == [
        (None, "Satire, see notes"),
        ("Satire, see notes", "Satire (confirmed)"),
    ]


async def test_an_explanation_does_not_apply_to_another_reason_or_an_approval(
    store: Store,
) -> None:
    desk = Desk(store)
    rejected = await desk.new_case("duplicate_case_x", [desk.reporter()])
    approved = await desk.new_case("approved_case_x", [desk.reporter()])
    await desk.decide(rejected, Decision.REJECTED, MODERATOR, RejectReason.DUPLICATE)
    await desk.approve(approved)
    for case_id in (rejected, approved):
        outcome = await reject_with_explanation(
            store, case_id, MODERATOR, "why", undo_window=UNDO, now=desk.tick(),
            policy=desk.rules,
        )  # fmt: skip
        assert isinstance(outcome, Refused)
        assert outcome.reason is ActionRefusal.DECIDED
    assert (await desk.view(rejected)).reject_note is None


# --- posting order and /queue's post button -----------------------------------------------


async def test_the_worker_posts_asked_for_cases_then_decisions_then_new_cases_by_priority(
    store: Store,
) -> None:
    desk = Desk(store)
    decided = await desk.new_case("decided_posted_x", [desk.reporter()])
    updated = await desk.new_case("updated_posted_x", [desk.reporter()])
    for message_id, case_id in enumerate((decided, updated), start=100):
        [task] = [t for t in await due_posts(store, desk.now, timedelta(0)) if t.case_id == case_id]
        await record_post(store, task, -1001, message_id, desk.tick())
    csam = await desk.new_case("csam_unposted_x", [desk.reporter()], "csam")
    asked = await desk.new_case("asked_for_x", [desk.reporter()], "scam")
    terror = await desk.new_case("terror_unposted_x", [desk.reporter()], "terrorism")
    await desk.reject(decided)
    await desk.file("updated_posted_x", desk.reporter())  # a count update is due
    assert await backlog_size(store) == 3
    outcome = await request_post(store, asked, MODERATOR, desk.tick())
    assert isinstance(outcome, Done)
    due = await due_posts(store, desk.tick(), timedelta(0))
    assert [task.case_id for task in due] == [asked, decided, csam, terror, updated]
    assert [(t.requested, t.decided) for t in due[:2]] == [(True, False), (False, True)]
    [audit] = await desk.audit("case.post_requested", asked)
    assert (audit["before"], audit["after"]) == ("queued", "requested")


async def test_an_older_edit_finishing_after_the_decision_puts_the_post_due_again(
    store: Store,
) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("raced_edit_x", [desk.reporter()])
    await desk.post(case_id)
    await desk.file("raced_edit_x", desk.reporter())  # the worker starts a count edit
    count_version = (await desk.view(case_id)).version
    await desk.reject(case_id)  # the decision's own edit shows the newer version first
    decided_version = (await desk.view(case_id)).version
    await mark_shown(store, case_id, POSTED_MESSAGE, decided_version, desk.tick())
    assert case_id not in await desk.due()
    # the count edit lands last
    await mark_shown(store, case_id, POSTED_MESSAGE, count_version, desk.tick())
    again = (await desk.due())[case_id]
    assert (again.version, again.decided) == (decided_version, True)


async def test_an_edit_that_lost_its_answer_is_made_again_after_the_recheck_time(
    store: Store,
) -> None:
    """Telegram may apply an edit whose answer was lost later, after a newer edit."""
    desk = Desk(store)
    case_id = await desk.new_case("lost_answer_x", [desk.reporter()])
    await desk.post(case_id)
    await desk.reject(case_id)
    decided_version = (await desk.view(case_id)).version
    started = desk.tick()
    await recheck_post(store, case_id, started + timedelta(seconds=30))
    # a retry of it was answered
    await mark_shown(store, case_id, POSTED_MESSAGE, decided_version, started)
    assert case_id not in await desk.due()
    again = (await desk.due(timedelta(seconds=30)))[case_id]
    assert (again.version, again.decided) == (decided_version, True)
    # A later recheck wins over an earlier one; only an edit started after it clears it.
    await recheck_post(store, case_id, desk.now + timedelta(seconds=60))
    await recheck_post(store, case_id, desk.now + timedelta(seconds=5))
    await mark_shown(
        store, case_id, POSTED_MESSAGE, decided_version, desk.tick(timedelta(seconds=10))
    )
    assert case_id not in await desk.due()
    assert case_id in await desk.due(timedelta(seconds=60))
    await mark_shown(store, case_id, POSTED_MESSAGE, decided_version, desk.now)
    assert case_id not in await desk.due(timedelta(hours=1))


async def test_a_recheck_needs_a_posted_message_and_a_new_post_clears_it(store: Store) -> None:
    desk = Desk(store)
    case_id = await desk.new_case("recheck_unposted_x", [desk.reporter()])
    await recheck_post(store, case_id, desk.now)
    assert (await desk.due())[case_id].message_id is None
    await desk.post(case_id)
    assert case_id not in await desk.due(timedelta(hours=1))


async def test_only_an_unposted_pending_case_can_be_asked_for(store: Store) -> None:
    desk = Desk(store)
    posted = await desk.new_case("already_posted_x", [desk.reporter()])
    decided = await desk.new_case("already_decided_x", [desk.reporter()])
    [task] = [t for t in await due_posts(store, desk.now, timedelta(0)) if t.case_id == posted]
    await record_post(store, task, -1001, 100, desk.tick())
    await desk.reject(decided)
    assert await request_post(store, posted, MODERATOR, desk.tick()) == Refused(
        ActionRefusal.POSTED, await desk.view(posted)
    )
    refused = await request_post(store, decided, MODERATOR, desk.tick())
    assert isinstance(refused, Refused)
    assert refused.reason is ActionRefusal.DECIDED
    assert await desk.audit("case.post_requested") == []


# --- provisional hiding -------------------------------------------------------------------


async def test_enough_trusted_reporters_hide_a_target_provisionally(store: Store) -> None:
    desk = Desk(store, policy(provisional_reporters=2))
    first, second = desk.reporter(), desk.reporter()
    await desk.track_record([first, second], approved=3, rejected=0)
    case_id = await desk.new_case("new_shop_x", [first])
    assert await desk.hiding("new_shop_x") == []
    await desk.file("new_shop_x", second)
    assert await desk.hiding("new_shop_x") == [(case_id, 1)]
    view = await desk.view(case_id)
    assert view.provisionally_hidden_at is not None
    assert view.hidden_now
    [audit] = await desk.audit("case.provisionally_hidden", case_id)
    assert (audit["before"], audit["after"], audit["trusted_reporters"]) == (
        "visible",
        "hidden",
        2,
    )


async def test_reporters_short_of_trusted_never_hide_provisionally(store: Store) -> None:
    desk = Desk(store, policy(provisional_reporters=2))
    trusted, mixed, newcomer = desk.reporter(), desk.reporter(), desk.reporter()
    await desk.track_record([trusted], approved=3, rejected=0)
    await desk.track_record([mixed], approved=3, rejected=1)  # 75 % approved
    await desk.new_case("mixed_shop_x", [trusted, mixed, newcomer])
    assert await desk.hiding("mixed_shop_x") == []


async def test_the_default_policy_never_hides_provisionally(store: Store) -> None:
    desk = Desk(store)  # PROVISIONAL_HIDE_REPORTERS=0
    reporters = [desk.reporter() for _ in range(4)]
    await desk.track_record(reporters, approved=5, rejected=0)
    case_id = await desk.new_case("trusted_crowd_x", reporters)
    assert await desk.hiding("trusted_crowd_x") == []
    assert (await desk.view(case_id)).provisionally_hidden_at is None
    assert await desk.audit("case.provisionally_hidden") == []


async def test_a_reject_lifts_provisional_hiding_and_undoing_it_brings_it_back(
    store: Store,
) -> None:
    desk = Desk(store, policy(provisional_reporters=2))
    reporters = [desk.reporter(), desk.reporter()]
    await desk.track_record(reporters, approved=3, rejected=0)
    case_id = await desk.new_case("lifted_shop_x", reporters)
    assert await desk.hiding("lifted_shop_x") == [(case_id, 1)]
    view = await desk.reject(case_id)
    assert await desk.hiding("lifted_shop_x") == []
    assert not view.hidden_now
    [audit] = await desk.audit("case.rejected", case_id)
    assert audit["provisional_hiding_lifted"] is True
    assert isinstance(await desk.undo(case_id), Undone)
    assert await desk.hiding("lifted_shop_x") == [(case_id, 1)]
    assert (await desk.view(case_id)).hidden_now


async def test_an_approve_confirms_provisional_hiding_and_undoing_it_makes_it_provisional(
    store: Store,
) -> None:
    desk = Desk(store, policy(provisional_reporters=2))
    reporters = [desk.reporter(), desk.reporter()]
    await desk.track_record(reporters, approved=3, rejected=0)
    case_id = await desk.new_case("confirmed_shop_x", reporters)
    await desk.approve(case_id)
    assert await desk.hiding("confirmed_shop_x") == [(case_id, 0)]
    assert isinstance(await desk.undo(case_id), Undone)
    assert await desk.hiding("confirmed_shop_x") == [(case_id, 1)]


async def test_reporters_who_become_trusted_hide_their_pending_case(store: Store) -> None:
    desk = Desk(store, policy(provisional_reporters=2))
    reporters = [desk.reporter(), desk.reporter()]
    case_id = await desk.new_case("waiting_shop_x", reporters)
    assert await desk.hiding("waiting_shop_x") == []
    await desk.track_record(reporters, approved=3, rejected=0)  # the third approval tips it
    assert await desk.hiding("waiting_shop_x") == [(case_id, 1)]


async def test_reports_joining_an_approved_case_do_not_make_a_reporter_trusted(
    store: Store,
) -> None:
    """A track record is what moderators decided. Reporting targets that are already hidden
    is free: if it counted, two fresh accounts could hide any target without a moderator."""
    desk = Desk(store, policy(provisional_reporters=2))
    confirmed = []
    for n in range(3):
        case_id = await desk.new_case(f"known_bad_{n}_x", [desk.reporter()])
        await desk.approve(case_id)
        confirmed.append(f"known_bad_{n}_x")
    puppets = [desk.reporter(), desk.reporter()]
    for name in confirmed:
        for puppet in puppets:
            outcome = await desk.file(name, puppet)
            assert isinstance(outcome, Filed)
            assert outcome.standing is Standing.HIDDEN
    victim = await desk.new_case("innocent_shop_x", puppets)
    fresh = await desk.new_case("fresh_reporters_x", [desk.reporter(), desk.reporter()])
    assert await desk.hiding("innocent_shop_x") == []
    assert await desk.priority(victim) == await desk.priority(fresh)


async def test_reports_kept_on_a_rejected_case_do_not_count_against_the_reporter(
    store: Store,
) -> None:
    """A report kept on a recently rejected case was never reviewed by anyone."""
    desk = Desk(store)
    rejected = []
    for n in range(3):
        case_id = await desk.new_case(f"rejected_target_{n}_x", [desk.reporter()])
        await desk.reject(case_id)
        rejected.append(f"rejected_target_{n}_x")
    late = desk.reporter()
    for name in rejected:
        outcome = await desk.file(name, late)
        assert isinstance(outcome, Filed)
        assert outcome.standing is Standing.REVIEWED
    by_late = await desk.new_case("late_reporter_case_x", [late])
    by_fresh = await desk.new_case("fresh_reporter_case_x", [desk.reporter()])
    assert await desk.priority(by_late) == await desk.priority(by_fresh)


# --- reopening a decided target -----------------------------------------------------------


async def test_a_rejected_target_reopens_once_enough_new_reporters_joined(store: Store) -> None:
    desk = Desk(store, policy(reopen_reporters=3))
    first = desk.reporter()
    rejected = await desk.new_case("again_shop_x", [first])
    await desk.reject(rejected)
    backlog = await backlog_size(store)
    desk.tick(timedelta(minutes=1))
    kept = []
    for _ in range(2):
        outcome = await desk.file("again_shop_x", desk.reporter())
        assert isinstance(outcome, Filed)
        assert (outcome.case_id, outcome.new_case, outcome.standing) == (
            rejected,
            False,
            Standing.REVIEWED,
        )
        kept.append(outcome.report_id)
    again = await desk.file("again_shop_x", first)  # the original reporter is not new
    assert again == AlreadyUnderReview(again.report_id, rejected, CaseStatus.REJECTED)
    assert await backlog_size(store) == backlog  # nothing new for the review chat
    assert await desk.queue_ids() == []
    third = await desk.file("again_shop_x", desk.reporter())
    assert isinstance(third, Filed)
    assert third.new_case
    assert third.standing is Standing.OPEN
    reopened = third.case_id
    assert reopened != rejected
    assert await desk.rows("SELECT id FROM reports WHERE case_id = ? ORDER BY id", reopened) == [
        (kept[0],),
        (kept[1],),
        (third.report_id,),
    ]
    assert (await desk.view(rejected)).reports == 1
    assert (await desk.view(reopened)).reporters == 3
    assert await desk.queue_ids() == [reopened]
    assert await backlog_size(store) == backlog + 1  # the review chat gets the reopened case
    [audit] = await desk.audit("case.reopened", reopened)
    assert (audit["before"], audit["after"], audit["rejected_case"]) == (
        "rejected",
        "pending",
        rejected,
    )
    # The original reject cannot be undone now: that would make two open cases.
    undone = await desk.undo(rejected)
    assert isinstance(undone, UndoRefused)
    assert undone.reason is UndoRefusal.NEWER_CASE


async def test_after_the_cool_off_a_single_report_reopens_a_rejected_target(
    store: Store,
) -> None:
    desk = Desk(store, policy(reopen_reporters=3, reopen_cooloff=timedelta(days=30)))
    rejected = await desk.new_case("cooled_shop_x", [desk.reporter()])
    await desk.reject(rejected)
    desk.tick(timedelta(days=30) - timedelta(minutes=1))
    within = await desk.file("cooled_shop_x", desk.reporter())
    assert isinstance(within, Filed)
    assert within.standing is Standing.REVIEWED
    desk.tick(timedelta(minutes=2))
    after = await desk.file("cooled_shop_x", desk.reporter())
    assert isinstance(after, Filed)
    assert after.new_case
    assert after.standing is Standing.OPEN
    assert await desk.queue_ids() == [after.case_id]


async def test_reports_on_an_approved_target_stay_on_its_case(store: Store) -> None:
    desk = Desk(store, policy(reopen_reporters=1, reopen_cooloff=timedelta(days=1)))
    approved = await desk.new_case("hidden_shop_x", [desk.reporter()])
    await desk.approve(approved)
    backlog = await backlog_size(store)
    desk.tick(timedelta(days=400))
    for _ in range(3):
        outcome = await desk.file("hidden_shop_x", desk.reporter())
        assert isinstance(outcome, Filed)
        assert (outcome.case_id, outcome.new_case, outcome.standing) == (
            approved,
            False,
            Standing.HIDDEN,
        )
    assert await desk.rows("SELECT count(*) FROM cases") == [(1,)]
    assert await backlog_size(store) == backlog
    assert await desk.hiding("hidden_shop_x") == [(approved, 0)]
