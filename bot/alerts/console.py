"""The console transport: with no Telegram token, alerts are printed to stdout (logs go to stderr)."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.alerts.render import Alert, Notice, notice_text, to_text


class ConsoleTransport:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self.printed = 0

    async def send(self, chat_id: int, topic_id: int, message: Alert | Notice) -> int | None:
        stream = self._stream or sys.stdout
        text = to_text(message) if isinstance(message, Alert) else notice_text(message)
        print(text, file=stream, flush=True)
        self.printed += 1
        return None
