"""/start, /help and /stop, and the command list registered with Telegram."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import BotCommand, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.telegram.access import place_of, require_chat_admin
from bot.telegram.callbacks import Stop
from bot.telegram.errors import UserError
from bot.telegram.replies import Reply
from storage import chats

HELP: list[tuple[str, str, str]] = [
    ("start", "what this bot does", "/start"),
    ("help", "every command with an example", "/help"),
    ("track", "track a claim (3–500 characters)", "/track Russia moved hundreds of tanks to the border"),
    ("claims", "the claims this chat tracks", "/claims"),
    ("claim", "one claim's history and sightings", "/claim 12"),
    ("untrack", "stop tracking a claim", "/untrack 12"),
    ("mute", "pause a claim's alerts (for a while)", "/mute 12 3d"),
    ("unmute", "resume a claim's alerts", "/unmute 12"),
    (
        "settings",
        "every sighting, changes only or a daily digest; cooldown, quiet hours, time zone",
        "/settings",
    ),
    ("feeds", "the feeds and their health", "/feeds"),
    ("stop", "unsubscribe and delete this chat's data", "/stop"),
]
ADMIN_HELP: list[tuple[str, str, str]] = [
    ("addfeed", "add a feed", "/addfeed https://example.com/rss"),
    ("removefeed", "remove a feed", "/removefeed 3"),
    ("import", "add the feeds of an OPML file (send it with this caption)", "/import"),
    ("export", "the feeds as an OPML file", "/export"),
    ("stats", "feeds, outbox and last tick", "/stats"),
]
COMMANDS = [BotCommand(command=name, description=about) for name, about, _ in HELP]

WELCOME = (
    "I watch news feeds for the claims you track and tell you when one recurs or changes.\n"
    "Each alert says why it fired; answer ✅ or ❌ and I learn what you care about.\n"
    "Begin with <code>/track &lt;claim&gt;</code> — /help lists everything."
)


async def start(message: Message, session: AsyncSession) -> Reply:
    await place_of(session, message)
    return message.answer(WELCOME)


async def help_(message: Message) -> Reply:
    lines = ["<b>Commands</b>"]
    lines += [f"/{name} — {about}\n    <code>{example}</code>" for name, about, example in HELP]
    lines.append("\nAdmins: " + ", ".join(f"/{name}" for name, _, _ in ADMIN_HELP))
    return message.answer("\n".join(lines))


async def stop(message: Message, session: AsyncSession, bot: Bot) -> Reply:
    await require_chat_admin(bot, message.chat, message.from_user)
    count = await chats.count_subscriptions(session, message.chat.id)
    tracked = f"the {count} claim{'' if count == 1 else 's'} it tracks" if count else "its settings"
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="🗑 Delete everything", callback_data=Stop(action="yes").pack()),
                InlineKeyboardButton(text="Keep", callback_data=Stop(action="no").pack()),
            ]
        ]
    )
    return message.answer(
        f"Stop and delete this chat's data ({tracked})? This cannot be undone.", reply_markup=keyboard
    )


async def confirm_stop(query: CallbackQuery, callback_data: Stop, session: AsyncSession, bot: Bot) -> Reply:
    if not isinstance(query.message, Message):
        raise UserError("That question is too old; send /stop again.")
    await require_chat_admin(bot, query.message.chat, query.from_user)
    if callback_data.action == "no":
        return query.answer(), query.message.edit_text("Nothing was deleted.")
    await chats.delete_chat(session, query.message.chat.id)
    done = "Stopped: this chat's subscriptions and settings are deleted. /start to come back."
    return query.answer(), query.message.edit_text(done)


def make_router() -> Router:
    """A fresh router (a router joins one dispatcher only)."""
    router = Router(name=__name__)
    router.message.register(start, CommandStart())
    router.message.register(help_, Command("help"))
    router.message.register(stop, Command("stop"))
    router.callback_query.register(confirm_stop, Stop.filter())
    return router
