"""A loopback Telegram Bot API server that answers and fails like the real one.

Tests, benchmarks and the sandbox run the bot's real python-telegram-bot Application over
HTTP against it; nothing ever reaches Telegram.
"""

from bot.loopback.faults import FaultInjector, FaultRule
from bot.loopback.flood_control import FloodLimits
from bot.loopback.handles import BotHandle, ChatHandle, Press
from bot.loopback.records import ApiCall, CallbackAnswer, SentFile, SentMessage
from bot.loopback.server import LoopbackServer
from bot.loopback.user_handle import UserHandle

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
