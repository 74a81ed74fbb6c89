"""`report-bot sandbox`: the whole bot in-process against the loopback Bot API, no token needed.

A scripted walk-through plays a reporter, a moderator and an admin: Mona and Ada, the staff,
have opened the bot's chat before it starts (as real staff do once, so that Telegram lets the
bot set their per-chat command menus at start-up), Rita reports a channel in one message, the
case appears in the review chat, Mona approves it with the buttons, Rita is told the outcome,
and Ada asks for /stats and /health. Everything the people say and the bot
answers (messages, buttons, presses, edits) is printed as it happens. Nothing leaves 127.0.0.1:
the database is a temporary file, the keys are fresh random ones, the token is made up.

Each step waits for the bot's answer for at most `step_timeout` seconds; a step that gets no
answer ends the walk-through with a message naming the step (exit 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import tempfile
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, TypeVar

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bot.logging_setup import configure_logging
from bot.settings import LogFormat, LogLevel, Settings
from handlers.runtime.log_pseudonym import log_key_from
from moderation.reporting.categories import DEFAULT_CATEGORIES
from storage.crypto import new_key_text, new_secret_text

if TYPE_CHECKING:
    from handlers.runtime.context import BotApplication
    from loopback import BotHandle, ChatHandle, LoopbackServer, SentMessage, UserHandle

DEFAULT_STEP_TIMEOUT: Final = 20.0
BOT_USERNAME: Final = "report_sandbox_bot"
ADMIN_ID: Final = 700001
MODERATOR_ID: Final = 700002
UNDO_WINDOW_MINUTES: Final = 1

T = TypeVar("T")


class StepFailed(Exception):
    """A step of the walk-through did not get its answer in time."""


class SandboxClock:
    """Real UTC time that the walk-through can move forward (past the undo window)."""

    def __init__(self) -> None:
        self._offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


class Transcript:
    """Prints the conversation: who says what where, what the bot answers and edits."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out

    def line(self, text: str = "") -> None:
        self._out.write(text + "\n")
        self._out.flush()

    def step(self, title: str) -> None:
        self.line()
        self.line(f"── {title} ──")

    def says(self, who: str, where: str, text: str) -> None:
        self.line(f"[{who} → {where}] {text}")

    def presses(self, who: str, where: str, label: str) -> None:
        self.line(f"[{who} presses “{label}” in {where}]")

    def bot(
        self, where: str, message: SentMessage, *, edited: bool = False, brief: bool = False
    ) -> None:
        """The bot's message as the person sees it; `brief`: its first line only."""
        verb = "edits its message in" if edited else "→"
        body = message.text or message.caption or ""
        if message.photo is not None:
            body = f"🖼 picture ({len(message.photo.data)} bytes){': ' + body if body else ''}"
        if message.document is not None:
            body = f"📎 {message.document.filename}{': ' + body if body else ''}"
        lines = body.splitlines() or [""]
        buttons = message.button_texts()
        if brief:
            more = " …" if len(lines) > 1 or buttons else ""
            self.line(f"[bot {verb} {where}] {lines[0]}{more}")
            return
        self.line(f"[bot {verb} {where}] {lines[0]}")
        for rest in lines[1:]:
            self.line(f"    {rest}" if rest.strip() else "")
        if buttons:
            self.line("    " + " ".join(f"[{label}]" for label in buttons))


class Handled:
    """Which updates the bot has finished handling (the update journal releases each once its
    handler returned, every answer sent): a step's answers are complete then, with no pause
    to wait out for more."""

    def __init__(self) -> None:
        self._done: set[int] = set()
        self._changed = asyncio.Event()

    def released(self, update_ids: Sequence[int]) -> None:
        self._done.update(update_ids)
        self._changed.set()

    async def wait(self, update_id: int) -> None:
        while update_id not in self._done:
            self._changed.clear()
            await self._changed.wait()


@dataclass
class Cast:
    server: LoopbackServer
    account: BotHandle
    reporter: UserHandle
    moderator: UserHandle
    admin: UserHandle
    review: ChatHandle
    handled: Handled


async def within(step: str, seconds: float, waiting: Awaitable[T]) -> T:
    try:
        return await asyncio.wait_for(waiting, seconds)
    except TimeoutError:
        raise StepFailed(f"step “{step}”: no answer from the bot within {seconds:g} s") from None


def made_up_token() -> str:
    """Shaped like a real token, valid only on this loopback server."""
    return f"{secrets.randbelow(9 * 10**8) + 10**8}:{secrets.token_urlsafe(30)}"


class SandboxSettings(Settings):
    """The sandbox's own values alone: neither the environment nor any .env is read, so
    nothing meant for the real bot (a half-filled .env, a bad variable) stops it."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def sandbox_settings(
    server: LoopbackServer, folder: Path, token: str, review_chat_id: int
) -> Settings:
    return SandboxSettings(
        bot_token=token,
        telegram_api_base_url=server.base_url,
        database_path=folder / "sandbox.sqlite3",
        ledger_anchor_dir=folder / "ledger-anchors",  # gone with the rest of the sandbox
        review_chat_id=review_chat_id,
        review_thread_id=None,
        admin_ids=frozenset({ADMIN_ID}),
        moderator_ids=frozenset({MODERATOR_ID}),
        legal_officer_ids=frozenset(),
        report_categories=DEFAULT_CATEGORIES,
        webhook_url=None,
        webhook_secret_token=None,
        metrics_port=None,
        rate_limiter_enabled=False,
        poll_timeout_seconds=1,
        review_message_gap_seconds=0,
        case_edit_debounce_seconds=0,
        undo_window_minutes=UNDO_WINDOW_MINUTES,
        encryption_key=new_key_text("sandbox"),
        blind_index_key=new_secret_text(),
        ledger_key=new_key_text("sandbox-ledger"),
    )


async def run_sandbox(
    out: IO[str], log_stream: IO[str], *, step_timeout: float = DEFAULT_STEP_TIMEOUT
) -> None:
    """Plays the walk-through; raises StepFailed when a step gets no answer in time.

    The loopback server and the Application are imported here, not with the module: bot/cli.py
    imports the module for DEFAULT_STEP_TIMEOUT (its --help shows it) whatever the command."""
    from bot.app import build_application
    from bot.runner import serve
    from bot.update_processor import OrderedPerSenderProcessor
    from loopback import LoopbackServer

    transcript = Transcript(out)
    with tempfile.TemporaryDirectory(prefix="report-bot-sandbox-") as tmp:
        async with LoopbackServer() as server:
            token = made_up_token()
            account = server.add_bot(token=token, username=BOT_USERNAME, first_name="Report Bot")
            reporter = server.add_user(first_name="Rita", username="rita", language_code="en")
            moderator = server.add_user(
                first_name="Mona", username="mona_mod", language_code="en", user_id=MODERATOR_ID
            )
            admin = server.add_user(
                first_name="Ada", username="ada_admin", language_code="en", user_id=ADMIN_ID
            )
            review = server.add_supergroup(
                title="Review", members=[moderator, admin], bot_admin=True
            )
            server.add_channel(title="Example Shop", username="example_shop")
            settings = sandbox_settings(server, Path(tmp), token, review.id)
            configure_logging(
                level=LogLevel.WARNING,
                log_format=LogFormat.CONSOLE,
                secrets=[settings.token()],
                stream=log_stream,
                pseudonym_key=log_key_from(settings),
            )
            clock = SandboxClock()
            application = build_application(settings, clock=clock)
            handled = Handled()
            processor = application.update_processor
            journal = (
                processor.journal if isinstance(processor, OrderedPerSenderProcessor) else None
            )
            if journal is None:
                raise StepFailed("step “start the bot”: the bot was built without its journal")
            journal.on_release(handled.released)
            transcript.line(
                f"Sandbox: the bot runs against a loopback Bot API at {server.base_url[:-4]} "
                f"with a temporary database; nothing reaches Telegram."
            )
            cast = Cast(server, account, reporter, moderator, admin, review, handled)
            staff = [(moderator, "Mona"), (admin, "Ada")]
            opened = await _opened_before(cast, transcript, staff)
            stop, started = asyncio.Event(), asyncio.Event()
            bot_task = asyncio.create_task(serve(application, settings, stop, started))
            try:
                await _until_started(bot_task, started, step_timeout)
                transcript.line("(the bot starts and answers what was sent while it was away)")
                for (user, who), update_id in zip(staff, opened, strict=True):
                    await _answers(
                        cast, transcript, user, who, step_timeout, "/start", update_id, brief=True
                    )
                await _walk_through(cast, application, clock, transcript, step_timeout)
            finally:
                stop.set()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(bot_task, 30)
    transcript.line()
    transcript.line("✔ Walk-through complete: report → review → decision → outcome → /stats.")


async def _opened_before(
    cast: Cast, transcript: Transcript, staff: list[tuple[UserHandle, str]]
) -> list[int]:
    """The staff say /start while the bot is not running yet; it answers once it starts. The
    ids of the updates that carry their /start."""
    transcript.step("0. Before the bot starts, the staff have opened its chat")
    update_ids = []
    for user, who in staff:
        transcript.says(who, f"chat with @{BOT_USERNAME}", "/start")
        update_ids.append(cast.account.update_id_of(await user.send("/start")))
    return update_ids


async def _until_started(task: asyncio.Task[None], started: asyncio.Event, seconds: float) -> None:
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task.done():
        task.result()  # the start-up error, as it is
        raise StepFailed("step “start the bot”: the bot stopped during start-up")
    if not started.is_set():
        raise StepFailed(f"step “start the bot”: not receiving updates within {seconds:g} s")


async def _walk_through(
    cast: Cast,
    application: BotApplication,
    clock: SandboxClock,
    transcript: Transcript,
    seconds: float,
) -> None:
    rita, mona, ada, review = cast.reporter, cast.moderator, cast.admin, cast.review
    private = f"chat with @{BOT_USERNAME}"

    transcript.step("1. A reporter meets the bot")
    await _private(cast, transcript, rita, "/start", "Rita", private, seconds)

    transcript.step("2. She reports a channel in one message")
    await _private(
        cast,
        transcript,
        rita,
        "/report t.me/example_shop drugs cheap pills",
        "Rita",
        private,
        seconds,
    )

    transcript.step("3. The case appears in the review chat")
    case = await within("case posted to the review chat", seconds, review.next_message(seconds))
    transcript.bot("Review chat", case)

    transcript.step("4. A moderator approves it with the buttons")
    menu = await _press(cast, mona, "Mona", case, "✅ Approve", "approve", seconds, transcript)
    category = next((label for label in menu.button_texts() if label.startswith("✓")), None)
    if category is None:
        raise StepFailed("step “approve”: the bot did not offer the reported category")
    await _press(cast, mona, "Mona", menu, category, "confirm the category", seconds, transcript)

    transcript.step(f"5. After the {UNDO_WINDOW_MINUTES}-minute undo window, Rita is told")
    transcript.line(f"(the sandbox moves the bot's clock {UNDO_WINDOW_MINUTES + 1} minutes on)")
    clock.advance(timedelta(minutes=UNDO_WINDOW_MINUTES + 1))
    application.bot_data.services.delivery.wake()
    outcome = await within("outcome sent to the reporter", seconds, rita.next_message(seconds))
    transcript.bot(private.replace("chat with", "Rita's chat with"), outcome)

    transcript.step("6. An admin asks for statistics and the bot's health")
    for command in ("/stats", "/health"):
        await _private(cast, transcript, ada, command, "Ada", private, seconds)


async def _private(
    cast: Cast,
    transcript: Transcript,
    user: UserHandle,
    text: str,
    who: str,
    where: str,
    seconds: float,
) -> list[SentMessage]:
    """Sends `text`, prints every answer the bot gives to it."""
    transcript.says(who, where, text)
    sent = await user.send(text)
    return await _answers(
        cast, transcript, user, who, seconds, text, cast.account.update_id_of(sent)
    )


async def _answers(
    cast: Cast,
    transcript: Transcript,
    user: UserHandle,
    who: str,
    seconds: float,
    text: str,
    update_id: int,
    *,
    brief: bool = False,
) -> list[SentMessage]:
    """Prints the bot's answers to `text` (update `update_id`): every message it sent before
    it finished handling the update."""
    first = await within(f"{who}: {text}", seconds, user.next_message(seconds))
    answers = [first]
    transcript.bot(f"{who}'s chat", first, brief=brief)
    await within(f"{who}: {text} (handled)", seconds, cast.handled.wait(update_id))
    while True:
        try:
            more = await user.next_message(0)  # already sent, or none
        except TimeoutError:
            return answers
        answers.append(more)
        transcript.bot(f"{who}'s chat", more, brief=brief)


async def _press(
    cast: Cast,
    user: UserHandle,
    who: str,
    message: SentMessage,
    label: str,
    step: str,
    seconds: float,
    transcript: Transcript,
) -> SentMessage:
    """Presses a button on a review-chat message; returns the message after the bot's edit."""
    transcript.presses(who, "Review chat", label)
    press = await user.press(message, text=label)
    answer = await within(f"{step} (button answered)", seconds, press.answered(seconds))
    if answer.text:
        transcript.line(f"[bot answers the press] {answer.text}")

    def current() -> SentMessage:
        return next(m for m in cast.review.messages() if m.message_id == message.message_id)

    def edited() -> bool:
        now = current()
        return (now.html, now.reply_markup) != (message.html, message.reply_markup)

    await within(f"{step} (message edited)", seconds, cast.server.wait_for(edited, seconds))
    after = current()
    transcript.bot("Review chat", after, edited=True)
    return after


def run(out: IO[str], log_stream: IO[str], step_timeout: float) -> StepFailed | None:
    """Runs the walk-through in a fresh event loop; the failure, if a step failed."""
    try:
        asyncio.run(run_sandbox(out, log_stream, step_timeout=step_timeout))
    except StepFailed as failed:
        return failed
    return None
