"""Inline-button payloads (each under Telegram's 64 bytes): aiogram CallbackData factories."""

from __future__ import annotations

from typing import Literal

from aiogram.filters.callback_data import CallbackData


class Feedback(CallbackData, prefix="fb"):
    """An alert's buttons: ✅ ``ok``, ❌ ``no``, 🔕 ``mute``."""

    action: Literal["ok", "no", "mute"]
    sighting: int
    claim: int


class Duplicate(CallbackData, prefix="dup"):
    """/track found similar claims: follow ``claim`` (``use``) or create the new one (``new``)."""

    action: Literal["use", "new"]
    claim: int = 0


class ClaimsPage(CallbackData, prefix="cl"):
    page: int


class SettingChoice(CallbackData, prefix="set"):
    """/settings: one field set to one value."""

    field: Literal["notify", "digest_hour", "cooldown", "quiet", "tz"]
    value: str


class Stop(CallbackData, prefix="stop"):
    """/stop asks first: delete this chat's data (``yes``) or keep it (``no``)."""

    action: Literal["yes", "no"]
