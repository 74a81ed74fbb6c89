"""A loopback Telegram Bot API server that answers and fails like the real one.

Tests, benchmarks and the sandbox run the bot's real python-telegram-bot Application over
HTTP against it; nothing ever reaches Telegram::

    async with LoopbackServer() as server:
        server.add_bot(token="123456:TEST_abcdefghijklmnopqrst", username="report_test_bot")
        alice = server.add_user(first_name="Alice")
        await alice.send("/start")            # queued as an Update for the bot
        reply = await alice.next_message()    # what the bot sent back, parsed

Groups default to Telegram's privacy mode: a bot that is not an admin only gets commands,
replies to it and mentions of it (add_bot(privacy_mode=False) turns that off).
"""

from loopback.faults import FaultInjector, FaultRule
from loopback.flood_control import FloodLimits
from loopback.handles import BotHandle, ChatHandle, Press
from loopback.records import ApiCall, CallbackAnswer, SentFile, SentMessage
from loopback.server import LoopbackServer
from loopback.user_handle import UserHandle

__all__ = [
    "ApiCall",
    "BotHandle",
    "CallbackAnswer",
    "ChatHandle",
    "FaultInjector",
    "FaultRule",
    "FloodLimits",
    "LoopbackServer",
    "Press",
    "SentFile",
    "SentMessage",
    "UserHandle",
]
