"""Inline keyboards; every label that shows user text is shortened and plain (buttons are not HTML)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.alerts.alert import Alert
from bot.alerts.render import shorten
from bot.telegram.callbacks import ClaimsPage, Duplicate, Feedback


def alert_keyboard(alert: Alert) -> InlineKeyboardMarkup | None:
    if alert.sighting_id is None:
        return None
    return feedback_keyboard(alert.claim_id, alert.sighting_id)


def feedback_keyboard(claim_id: int, sighting_id: int, chosen: str | None = None) -> InlineKeyboardMarkup:
    """✅ / ❌ / 🔕 for one sighting; the chosen answer (``relevant`` or ``wrong``) is marked."""

    def button(text: str, action: str) -> InlineKeyboardButton:
        data = Feedback(action=action, sighting=sighting_id, claim=claim_id)
        return InlineKeyboardButton(text=text, callback_data=data.pack())

    ok = "✅ Relevant" + (" ✓" if chosen == "relevant" else "")
    no = "❌ Not this claim" + (" ✓" if chosen == "wrong" else "")
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(ok, "ok"), button(no, "no")], [button("🔕 Mute", "mute")]]
    )


def duplicates_keyboard(similar: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=f"Track #{claim_id}: {shorten(text, 40)}",
                callback_data=Duplicate(action="use", claim=claim_id).pack(),
            )
        ]
        for claim_id, text in similar
    ]
    rows.append(
        [InlineKeyboardButton(text="Create a new claim", callback_data=Duplicate(action="new").pack())]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def pages_keyboard(page: int, pages: int) -> InlineKeyboardMarkup | None:
    if pages <= 1:
        return None
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(text="‹ Previous", callback_data=ClaimsPage(page=page - 1).pack()))
    row.append(InlineKeyboardButton(text=f"{page + 1}/{pages}", callback_data=ClaimsPage(page=page).pack()))
    if page + 1 < pages:
        row.append(InlineKeyboardButton(text="Next ›", callback_data=ClaimsPage(page=page + 1).pack()))
    return InlineKeyboardMarkup(inline_keyboard=[row])
