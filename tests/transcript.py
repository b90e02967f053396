"""Prints a short real conversation with the bot: the unmodified bot against the Bot API double.

    .venv/bin/python -m tests.transcript

The README's example conversation is this script's output (replies shown as plain text, as a user sees
them; buttons in brackets).
"""

from __future__ import annotations

import asyncio
import html
import re
import tempfile
from pathlib import Path

from bot.telegram.polling import run_polling
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from testkit.botapi import TOKEN, BotAPI, Limits, Sent
from tests.conftest import make_settings

USER = 501
STEPS = ["/start", "/track Russia moved hundreds of tanks to the border", "/claims", "/mute 1 2h", "/stop"]


def plain(sent: Sent) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", "", sent.text))
    buttons = "  ".join(f"[{label}]" for label, _ in sent.buttons())
    return text + (f"\n{buttons}" if buttons else "")


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'claimbot.db'}"
        engine = create_engine(url)
        await upgrade(engine)
        sessionmaker = create_sessionmaker(engine)
        async with BotAPI(limits=Limits(chat_burst=100)) as api:
            telegram = {"token": TOKEN, "api_base": api.base, "polling_timeout": 1}
            settings = make_settings(url, telegram=telegram)
            bot = asyncio.create_task(run_polling(settings, sessionmaker))
            try:
                for text in STEPS:
                    reply = await api.reply_to(USER, text)
                    print(f"> {text}\n{plain(reply)}\n")
                before = len(api.calls_to("answerCallbackQuery"))
                api.push_button(reply, reply.buttons()[0][1])
                await api.wait_for(lambda: len(api.calls_to("answerCallbackQuery")) > before)
                edited = await api.wait_for(lambda: [s for s in api.sent if s.method == "editMessageText"])
                print(f"> (taps {reply.buttons()[0][0]})\n{plain(edited[-1])}")
            finally:
                bot.cancel()
                await asyncio.gather(bot, return_exceptions=True)
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
