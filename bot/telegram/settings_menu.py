"""/settings: the chat's notification policy, kept in ``Chat.settings`` (and ``Chat.timezone``).

``notify``: every sighting (``all``), ``changes`` only, or a daily ``digest`` at ``digest_hour``;
``cooldown``: seconds between two ``recurs`` alerts of one claim; ``quiet``: [from, to) local hours.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from bot.telegram.access import ChatAdminButton, place_of, require_chat_admin
from bot.telegram.callbacks import SettingChoice
from bot.telegram.errors import UserError
from bot.telegram.format import esc
from bot.telegram.replies import Reply
from storage.models import Chat, Subscription

NOTIFY = {"all": "Every sighting", "changes": "Changes only", "digest": "Daily digest"}
COOLDOWNS = {"0": "off", "3600": "1h", "21600": "6h", "86400": "24h"}
QUIET = {"off": "off", "22-7": "22–07", "23-8": "23–08", "0-6": "00–06"}
ZONES = ("UTC", "Europe/London", "Europe/Berlin", "Europe/Kyiv", "America/New_York")


def policy(chat: Chat, settings: Settings) -> dict[str, Any]:
    """The chat's policy with defaults filled in."""
    return {
        "notify": "all",
        "digest_hour": 8,
        "cooldown": int(settings.delivery.cooldown),
        "quiet": None,
        **{k: v for k, v in chat.settings.items() if k in ("notify", "digest_hour", "cooldown", "quiet")},
    }


async def show(
    message: Message, command: CommandObject, session: AsyncSession, bot: Bot, settings: Settings
) -> Reply:
    place = await place_of(session, message)
    args = (command.args or "").split()
    if len(args) == 2 and args[0] == "tz":
        await require_chat_admin(bot, message.chat, message.from_user)
        await _apply(session, place.chat, "tz", args[1])
    elif args:
        raise UserError("Use the buttons, or set a time zone: /settings tz Europe/Berlin")
    return message.answer(_text(place.chat, settings), reply_markup=_keyboard(place.chat, settings))


async def change(
    query: CallbackQuery,
    callback_data: SettingChoice,
    message: Message,
    session: AsyncSession,
    settings: Settings,
) -> Reply:
    place = await place_of(session, message)
    await _apply(session, place.chat, callback_data.field, callback_data.value)
    return (
        query.answer("Saved."),
        message.edit_text(_text(place.chat, settings), reply_markup=_keyboard(place.chat, settings)),
    )


async def _apply(session: AsyncSession, chat: Chat, field: str, value: str) -> None:
    new = dict(chat.settings)
    if field == "notify" and value in NOTIFY:
        new["notify"] = value
        await session.execute(
            update(Subscription).where(Subscription.chat_id == chat.id).values(notify=value)
        )
    elif field == "digest_hour" and value.isdigit():
        new["digest_hour"] = int(value) % 24
    elif field == "cooldown" and value in COOLDOWNS:
        new["cooldown"] = int(value)
    elif field == "quiet" and value in QUIET:
        new["quiet"] = None if value == "off" else [int(h) for h in value.split("-")]
    elif field == "tz":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise UserError(f"I don't know the time zone {value!r}; try one like Europe/Berlin.") from None
        chat.timezone = value
    else:
        raise UserError("That choice is not available any more; send /settings again.")
    chat.settings = new


def _text(chat: Chat, settings: Settings) -> str:
    p = policy(chat, settings)
    quiet = "off" if not p["quiet"] else f"{p['quiet'][0]:02d}:00–{p['quiet'][1]:02d}:00"
    digest = f" at {p['digest_hour']:02d}:00" if p["notify"] == "digest" else ""
    cooldown = COOLDOWNS.get(str(p["cooldown"]), f"{p['cooldown']}s")
    return (
        f"<b>Settings</b>\nAlerts: {NOTIFY[p['notify']]}{digest}\n"
        f"Cooldown for recurring sightings: {cooldown}\n"
        f"Quiet hours: {quiet}\nTime zone: {esc(chat.timezone)}"
    )


def _keyboard(chat: Chat, settings: Settings) -> InlineKeyboardMarkup:
    p = policy(chat, settings)

    def row(field: str, options: dict[str, str], current: str) -> list[InlineKeyboardButton]:
        return [
            InlineKeyboardButton(
                text=("• " if key == current else "") + label,
                callback_data=SettingChoice(field=field, value=key).pack(),
            )
            for key, label in options.items()
        ]

    hour = int(p["digest_hour"])
    hours = {str((hour - 1) % 24): "−1h", str(hour): f"digest {hour:02d}:00", str((hour + 1) % 24): "+1h"}
    quiet = "off" if not p["quiet"] else f"{p['quiet'][0]}-{p['quiet'][1]}"
    return InlineKeyboardMarkup(
        inline_keyboard=[
            row("notify", NOTIFY, p["notify"]),
            row("digest_hour", hours, str(hour)),
            row("cooldown", COOLDOWNS, str(p["cooldown"])),
            row("quiet", QUIET, quiet),
            row("tz", {z: z.split("/")[-1].replace("_", " ") for z in ZONES[:3]}, chat.timezone),
            row("tz", {z: z.split("/")[-1].replace("_", " ") for z in ZONES[3:]}, chat.timezone),
        ]
    )


def make_router() -> Router:
    """A fresh router (a router joins one dispatcher only)."""
    router = Router(name=__name__)
    router.message.register(show, Command("settings"))
    router.callback_query.register(
        change, SettingChoice.filter(), ChatAdminButton("That menu is too old; send /settings again.")
    )
    return router
