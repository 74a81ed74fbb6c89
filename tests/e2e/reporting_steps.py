"""A reporter driving the guided report through the loopback server, step by step."""

from __future__ import annotations

from dataclasses import dataclass

from loopback import CallbackAnswer, LoopbackServer, SentMessage, UserHandle
from tests.engines import rows as rows  # the e2e tests' look at the tables


@dataclass
class Reporter:
    user: UserHandle
    server: LoopbackServer

    async def say(self, text: str) -> SentMessage:
        """Sends text and returns the bot's answer (a new message)."""
        await self.user.send(text)
        return await self.user.next_message(timeout=15)

    def current(self, message: SentMessage) -> SentMessage:
        """The message as it is now (button presses edit it in place)."""
        return self.user.message(message)

    async def tap(self, message: SentMessage, label: str) -> SentMessage:
        """Taps a button and returns the message after the bot edited it."""
        revision = self.user.revision(message)
        press = await self.user.press(message, text=label)
        await press.answered(timeout=15)
        await self.user.wait_until(lambda: self.user.revision(message) > revision, timeout=15)
        return self.current(message)

    async def tap_for_reply(self, message: SentMessage, label: str) -> SentMessage:
        """Taps a button whose answer is a new message (Continue / Cancel under a notice)."""
        press = await self.user.press(self.current(message), text=label)
        await press.answered(timeout=15)
        return await self.user.next_message(timeout=15)

    async def tap_for_alert(self, message: SentMessage, label: str) -> CallbackAnswer:
        press = await self.user.press(self.current(message), text=label)
        return await press.answered(timeout=15)

    async def report(
        self,
        result: str,
        *,
        query: str = "cheap pills",
        category: str = "Illegal drugs",
        comment: str | None = None,
    ) -> SentMessage:
        """The whole guided report; returns the receipt (the edited summary message)."""
        await self.say("/report")
        await self.say(query)
        prompt = await self.say(result)
        prompt = await self.tap(prompt, category)
        if comment is None:
            summary = await self.tap(prompt, "Skip")
        else:
            summary = await self.say(comment)
        return await self.tap(summary, "✅ Submit")
