"""The console transport: with no Telegram token, alerts are printed to stdout (logs go to stderr).

What is printed passes :func:`bot.plaintext.plain` and is capped like a Telegram message: a stored title
or a notice can never move the cursor, retitle the terminal or flood it.
"""

from __future__ import annotations

import sys
from typing import TextIO

from bot.alerts.alert import Alert, Notice
from bot.alerts.render import TELEGRAM_LIMIT, notice_text, to_text
from bot.plaintext import plain


class ConsoleTransport:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self.printed = 0

    async def send(self, chat_id: int, topic_id: int, message: Alert | Notice) -> int | None:
        stream = self._stream or sys.stdout
        text = to_text(message) if isinstance(message, Alert) else notice_text(message)
        print(plain(text, TELEGRAM_LIMIT), file=stream, flush=True)
        self.printed += 1
        return None
