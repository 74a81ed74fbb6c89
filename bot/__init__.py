"""Report bot: wiring, settings, CLI and entry point."""

import os

# python-telegram-bot 22 returns durations (RetryAfter.retry_after, ...) as timedelta when
# this is set, and warns on every int otherwise; v23 makes timedelta the only behaviour.
os.environ.setdefault("PTB_TIMEDELTA", "true")
