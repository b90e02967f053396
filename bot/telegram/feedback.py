"""An alert's buttons: ✅ and ❌ are stored on the sighting and move this subscription's threshold offset.

A claim is shared by every chat that tracks it, and so is the answer on an alert: the latest ✅ or ❌,
from any chat or admin, decides. ❌ on a ``changed`` alert undoes the change it reported (the claim is back
to its state before, and the next story is compared with that); a later ✅ brings the change back.

Each ❌ raises the offset by ``telegram.feedback_step`` (never above ``telegram.feedback_cap``); each ✅
moves it one step back toward zero (never below); the same answer again changes nothing. 🔕 mutes
the claim here for ``telegram.mute_button_hours``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from bot.telegram.access import ChatAdminButton, topic_of
from bot.telegram.callbacks import Feedback
from bot.telegram.errors import UserError
from bot.telegram.keyboards import feedback_keyboard
from bot.telegram.replies import Reply
from storage import chats
from storage.claims import answer_state
from storage.models import Subscription
from storage.sightings import get_sighting

ANSWERS = {"ok": "relevant", "no": "wrong"}


def moved_offset(offset: float, answer: str, previous: str | None, step: float, cap: float) -> float:
    """The threshold offset after ``answer`` (``relevant``/``wrong``) replaced ``previous``."""
    if previous == answer:
        return offset
    offset = offset + step if answer == "wrong" else offset - step
    return round(min(max(offset, 0.0), cap), 2)


async def on_feedback(
    query: CallbackQuery, callback_data: Feedback, message: Message, session: AsyncSession, settings: Settings
) -> Reply:
    sub = await chats.get_subscription(
        session, message.chat.id, callback_data.claim, topic_id=topic_of(message)
    )
    sighting = await get_sighting(session, callback_data.sighting)
    if sub is None or sighting is None or sighting.claim_id != callback_data.claim:
        raise UserError(f"This chat no longer tracks claim #{callback_data.claim}.")
    if callback_data.action == "mute":
        return query.answer(_mute(sub, settings))
    answer = ANSWERS[callback_data.action]
    tg = settings.telegram
    sub.threshold_offset = moved_offset(
        sub.threshold_offset, answer, sighting.feedback, tg.feedback_step, tg.feedback_cap
    )
    sighting.feedback = answer
    state = await answer_state(session, sighting.id, wrong=answer == "wrong")
    bar = settings.matching.alert_threshold + sub.threshold_offset
    undone = " The change it reported is undone." if state is not None and answer == "wrong" else ""
    return (
        query.answer(f"Thanks.{undone} Claim #{sub.claim_id} now alerts here from score {bar:.0f}."),
        message.edit_reply_markup(
            reply_markup=feedback_keyboard(callback_data.claim, callback_data.sighting, answer)
        ),
    )


def _mute(sub: Subscription, settings: Settings) -> str:
    hours = settings.telegram.mute_button_hours
    sub.muted_until = datetime.now(UTC) + timedelta(hours=hours)
    return f"🔕 #{sub.claim_id} muted for {hours:g}h here. /unmute {sub.claim_id} to undo."


def make_router() -> Router:
    """A fresh router (a router joins one dispatcher only)."""
    router = Router(name=__name__)
    router.callback_query.register(
        on_feedback, Feedback.filter(), ChatAdminButton("That alert is too old to answer.")
    )
    return router
