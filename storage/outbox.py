"""Events and the outbox of deliveries they fan out to."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, bindparam, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.chats import ensure_chat
from storage.models import Chat, Delivery, Event, Sighting, Subscription
from storage.upsert import ignoring_conflicts


async def add_event(session: AsyncSession, kind: str, **values: Any) -> Event:
    event = Event(kind=kind, **values)
    session.add(event)
    await session.flush()
    return event


@dataclass(frozen=True, slots=True)
class Audience:
    """The subscriptions of some claims and the follow-all chats, read once; who is owed which alert.

    Subscriptions that are muted, want changes only (for ``recurs``), or whose threshold offset puts the
    score below their bar (alert threshold + offset) are left out; chats following every claim are in.
    """

    subscriptions: dict[int, list[Subscription]]
    followers: list[int]

    @classmethod
    async def load(cls, session: AsyncSession, claim_ids: Iterable[int]) -> Audience:
        query = (
            select(Subscription)
            .join(Chat, Chat.id == Subscription.chat_id)
            .where(Subscription.claim_id.in_(list(claim_ids)), Chat.active.is_(True))
            .order_by(Subscription.id)
        )
        subscriptions: dict[int, list[Subscription]] = {}
        for sub in (await session.execute(query)).scalars():
            subscriptions.setdefault(sub.claim_id, []).append(sub)
        return cls(subscriptions, await follower_chats(session))

    def recipients(
        self, claim_id: int, *, score: float, kind: str, alert_threshold: float, now: datetime
    ) -> list[tuple[int, int]]:
        pairs = [
            (sub.chat_id, sub.topic_id)
            for sub in self.subscriptions.get(claim_id, [])
            if not (sub.muted_until is not None and sub.muted_until > now)
            and not (sub.notify == "changes" and kind != "changed")
            and score >= alert_threshold + sub.threshold_offset
        ]
        pairs.extend((chat_id, 0) for chat_id in self.followers)
        return list(dict.fromkeys(pairs))


async def add_sighting_events(session: AsyncSession, sightings: dict[int, int]) -> dict[int, int]:
    """One ``sighting`` event per sighting (``{sighting id: claim id}``); the events' ids by sighting id."""
    if not sightings:
        return {}
    rows = [
        {"kind": "sighting", "claim_id": claim, "sighting_id": sid, "payload": {}}
        for sid, claim in sightings.items()
    ]
    stmt = insert(Event).returning(Event.sighting_id, Event.id)
    return dict((await session.execute(stmt, rows)).all())  # type: ignore[arg-type]


async def enqueue_many(session: AsyncSession, owed: Sequence[tuple[int, int, int]]) -> int:
    """Owe each (event, chat, topic) once, in one executemany; returns how many deliveries are new."""
    if not owed:
        return 0
    rows = [{"event_id": event, "chat_id": chat, "topic_id": topic} for event, chat, topic in owed]
    stmt = ignoring_conflicts(session, Delivery).returning(Delivery.id)
    return len((await session.execute(stmt, rows)).all())


async def add_feed_notice(
    session: AsyncSession, feed_id: int, *, url: str, reason: str, admins: Sequence[int]
) -> None:
    """A ``feed_deactivated`` event owed to ``admins`` and to the chats that follow everything."""
    event = await add_event(
        session, "feed_deactivated", feed_id=feed_id, payload={"url": url, "reason": reason}
    )
    for admin in admins:
        await ensure_chat(session, admin)
    recipients = [(admin, 0) for admin in admins]
    recipients += [(chat_id, 0) for chat_id in await follower_chats(session)]
    await enqueue(session, event.id, recipients)


async def claim_recipients(
    session: AsyncSession, claim_id: int, *, score: float, kind: str, alert_threshold: float, now: datetime
) -> list[tuple[int, int]]:
    """(chat, topic) pairs owed an alert for a sighting of ``claim_id`` (rules: :class:`Audience`)."""
    audience = await Audience.load(session, [claim_id])
    return audience.recipients(claim_id, score=score, kind=kind, alert_threshold=alert_threshold, now=now)


async def follower_chats(session: AsyncSession) -> list[int]:
    """Active chats that receive every event (the console chat)."""
    query = select(Chat.id).where(Chat.follows_all.is_(True), Chat.active.is_(True))
    return list((await session.execute(query)).scalars())


async def enqueue(session: AsyncSession, event_id: int, recipients: Sequence[tuple[int, int]]) -> int:
    """Owe ``event_id`` to each (chat, topic) once; returns how many deliveries are new."""
    if not recipients:
        return 0
    table = cast(Table, Delivery.__table__)
    # One cached statement sent in pages (SQLAlchemy's insertmanyvalues): a fan-out to tens of thousands
    # of chats stays under the drivers' bound-parameter caps and is not compiled row by row.
    stmt = ignoring_conflicts(session, Delivery).returning(table.c.id)
    rows = [{"event_id": event_id, "chat_id": chat, "topic_id": topic} for chat, topic in recipients]
    return len((await session.execute(stmt, rows)).all())


async def claim_pending(
    session: AsyncSession, *, now: datetime, limit: int, lease: float = 60.0
) -> Sequence[Delivery]:
    """Up to ``limit`` deliveries due now, leased so a second sender skips them.

    On PostgreSQL, where several senders may share the outbox, a chat is also sent to by one sender at a
    time: chats with a delivery in flight are skipped, and a transaction-scoped advisory lock per chat
    keeps two concurrent claims from taking the same chat (the second passes it over, and once the first
    has committed, sees its deliveries in flight).
    """
    due = (
        or_(Delivery.status == "pending", Delivery.status == "sending"),
        Delivery.next_attempt_at <= now,
        or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
    )
    query = select(Delivery).where(*due).order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        deliveries = await _claim_by_chat(session, query, due, now=now, limit=limit)
    else:
        deliveries = (await session.execute(query.with_for_update(skip_locked=True))).scalars().all()
    for delivery in deliveries:
        delivery.status = "sending"
        delivery.claimed_until = now + timedelta(seconds=lease)
    await session.flush()
    return deliveries


def _busy_chats(now: datetime) -> Select[int]:
    """Chats with a delivery in flight (claimed, lease running)."""
    return select(Delivery.chat_id).where(Delivery.status == "sending", Delivery.claimed_until >= now)


_LOCK_CHATS = text(
    "SELECT c FROM unnest(CAST(:chats AS BIGINT[])) AS c"
    " WHERE pg_try_advisory_xact_lock(hashtextextended('claimbot.chat:' || c, 0))"
)


async def _claim_by_chat(
    session: AsyncSession,
    query: Select[Delivery],
    due: tuple[ColumnElement[bool], ...],
    *,
    now: datetime,
    limit: int,
) -> Sequence[Delivery]:
    """The due deliveries of idle chats this transaction could lock; chats locked elsewhere, or found busy
    once locked (their claim committed meanwhile), are passed over, so a sender starting next to a busy one
    finds the chats that one did not take."""
    passed: list[int] = []
    while True:
        candidates = (
            select(Delivery.chat_id)
            .where(*due, Delivery.chat_id.not_in(_busy_chats(now)), Delivery.chat_id.not_in(passed))
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
        )
        chats = list(dict.fromkeys((await session.execute(candidates)).scalars()))
        if not chats:
            return []
        locked = list((await session.execute(_LOCK_CHATS, {"chats": chats})).scalars())
        if locked:
            # A statement of its own, so it sees what the claims that held these locks committed.
            mine = query.where(Delivery.chat_id.in_(locked), Delivery.chat_id.not_in(_busy_chats(now)))
            deliveries = (await session.execute(mine.with_for_update(skip_locked=True))).scalars().all()
            if deliveries:
                return deliveries
        passed.extend(chats)


async def mark_sent(
    session: AsyncSession, delivery_id: int, *, message_id: int | None, now: datetime
) -> None:
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(status="sent", message_id=message_id, sent_at=now, claimed_until=None)
    )


MAYBE_SENT = "maybe sent: "
"""Marks ``status_reason`` of a delivery whose send may have gone out; the mark stays until it is settled."""


def _with_mark(old: str | None, error: str) -> str:
    """``error``, still marked "maybe sent" if the delivery was: the mark outlives later errors."""
    if (old or "").startswith(MAYBE_SENT) and not error.startswith(MAYBE_SENT):
        return MAYBE_SENT + error
    return error


async def mark_maybe_sent(session: AsyncSession, delivery_id: int, *, error: str, at: datetime) -> bool:
    """The answer to a send could not be read, so it may have gone out: an attempt either way.

    The first time the delivery is sent once more (a lost message is worse than a rare double); the
    second time it is settled as ``unsure`` and never sent again. Returns whether it will be resent.
    """
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None:
        return False
    again = not (delivery.status_reason or "").startswith(MAYBE_SENT)
    delivery.attempts += 1
    delivery.status_reason = MAYBE_SENT + error.removeprefix(MAYBE_SENT)
    delivery.claimed_until = None
    delivery.next_attempt_at = at
    delivery.status = "pending" if again else "unsure"
    await session.flush()
    return again


async def mark_retry(
    session: AsyncSession, delivery_id: int, *, error: str, at: datetime, max_attempts: int
) -> None:
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None:
        return
    delivery.attempts += 1
    delivery.status_reason = _with_mark(delivery.status_reason, error)
    delivery.claimed_until = None
    delivery.next_attempt_at = at
    delivery.status = "failed" if delivery.attempts >= max_attempts else "pending"
    await session.flush()


async def mark_dropped(session: AsyncSession, delivery_id: int, *, error: str) -> None:
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(status="dropped", status_reason=error, claimed_until=None)
    )


async def backlog(session: AsyncSession) -> tuple[int, datetime | None]:
    """Pending deliveries and the creation time of the oldest."""
    query = select(func.count(Delivery.id), func.min(Delivery.created_at)).where(
        Delivery.status.in_(("pending", "sending"))
    )
    count, oldest = (await session.execute(query)).one()
    return int(count), oldest


async def get_event(session: AsyncSession, event_id: int) -> Event | None:
    return await session.get(Event, event_id)


async def release(session: AsyncSession, delivery_ids: Sequence[int]) -> None:
    """Give claimed but unsent deliveries back (a sender stopping), due at once."""
    if delivery_ids:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(list(delivery_ids)), Delivery.status == "sending")
            .values(status="pending", claimed_until=None)
        )


async def defer(session: AsyncSession, delivery_id: int, *, at: datetime, reason: str) -> None:
    """Hold a delivery until ``at`` without counting an attempt (429 flood wait, quiet hours, digest)."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(status="pending", next_attempt_at=at, claimed_until=None, status_reason=reason)
    )


async def drop_pending_for_chat(session: AsyncSession, chat_id: int, *, error: str) -> int:
    """Give up every unsent delivery to a chat that is gone; returns how many."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == chat_id, Delivery.status.in_(("pending", "sending", "failed")))
        .values(status="dropped", status_reason=error, claimed_until=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def move_pending(session: AsyncSession, old_chat: int, new_chat: int) -> int:
    """Re-address unsent deliveries to a migrated chat, due at once; ones already owed there are dropped."""
    pending = (
        (
            await session.execute(
                select(Delivery).where(
                    Delivery.chat_id == old_chat, Delivery.status.in_(("pending", "sending"))
                )
            )
        )
        .scalars()
        .all()
    )
    moved = 0
    for delivery in pending:
        clash = await session.scalar(
            select(Delivery.id).where(
                Delivery.event_id == delivery.event_id,
                Delivery.chat_id == new_chat,
                Delivery.topic_id == delivery.topic_id,
            )
        )
        if clash is not None:
            delivery.status, delivery.status_reason, delivery.claimed_until = "dropped", "chat migrated", None
            continue
        delivery.chat_id, delivery.status, delivery.claimed_until = new_chat, "pending", None
        moved += 1
    await session.flush()
    return moved


async def deliveries_by_status(session: AsyncSession) -> dict[str, int]:
    query = select(Delivery.status, func.count(Delivery.id)).group_by(Delivery.status)
    return {status: int(n) for status, n in (await session.execute(query)).all()}


async def mark_sent_many(
    session: AsyncSession, marks: Sequence[tuple[int, int | None]], *, now: datetime
) -> None:
    """Mark each (delivery id, Telegram message id) sent, in one statement."""
    if not marks:
        return
    table = cast(Table, Delivery.__table__)
    stmt = (
        update(table)
        .where(table.c.id == bindparam("delivery_id"))
        .values(status="sent", message_id=bindparam("telegram_id"), sent_at=now, claimed_until=None)
    )
    params = [{"delivery_id": d, "telegram_id": m} for d, m in marks]
    await (await session.connection()).execute(stmt, params)


async def last_pushes(
    session: AsyncSession, chat_ids: Sequence[int], claim_ids: Sequence[int], *, kind: str = "recurs"
) -> dict[tuple[int, int], datetime]:
    """When each (chat, claim) last got an alert about a sighting of that ``kind``."""
    if not chat_ids or not claim_ids:
        return {}
    query = (
        select(Delivery.chat_id, Event.claim_id, func.max(Delivery.sent_at))
        .join(Event, Event.id == Delivery.event_id)
        .join(Sighting, Sighting.id == Event.sighting_id)
        .where(
            Sighting.kind == kind,
            Event.claim_id.in_(list(claim_ids)),
            Delivery.chat_id.in_(list(chat_ids)),
            Delivery.status == "sent",
        )
        .group_by(Delivery.chat_id, Event.claim_id)
    )
    rows = (await session.execute(query)).all()
    return {(c, k): at for c, k, at in rows if at is not None and k is not None}


async def get_events(session: AsyncSession, event_ids: Sequence[int]) -> Sequence[Event]:
    if not event_ids:
        return []
    return (await session.execute(select(Event).where(Event.id.in_(list(event_ids))))).scalars().all()
