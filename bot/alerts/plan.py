"""Applying each chat's policy to a claimed batch: what goes out now, folded how, and what waits until when.

Runs inside the transaction that claimed the batch, so deferring costs no extra commit. Chats with no
policy (the console chat) get every delivery as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.alert import Alert, Notice, Source
from bot.alerts.digest import digests, fold
from bot.alerts.policy import COOLDOWN, DIGEST, QUIET, Policy, cooldown_until, next_digest, quiet_until
from storage import outbox, stories
from storage.models import Chat, Claim, Delivery, Event, Sighting

Message = Alert | Notice


@dataclass(slots=True)
class Outgoing:
    """One message to send; every delivery it covers is marked with its message id."""

    chat_id: int
    topic_id: int
    message: Message
    delivery_ids: list[int]
    attempts: int = 0


@dataclass(slots=True)
class Plan:
    by_chat: dict[int, list[Outgoing]] = field(default_factory=dict)
    deferred: int = 0
    dropped: int = 0
    folded: int = 0

    def delivery_ids(self) -> list[int]:
        return sorted(i for items in self.by_chat.values() for item in items for i in item.delivery_ids)

    def add(self, item: Outgoing) -> None:
        self.by_chat.setdefault(item.chat_id, []).append(item)
        self.folded += len(item.delivery_ids) - 1


async def plan_batch(
    session: AsyncSession,
    due: Sequence[Delivery],
    *,
    now: datetime,
    default_cooldown: float,
    messages: dict[int, Message | None],
) -> Plan:
    plan = Plan()
    unread = [e for e in {d.event_id for d in due} if e not in messages]
    for event in await outbox.get_events(session, unread):
        messages[event.id] = await load_message(session, event)
    live: list[Delivery] = []
    for delivery in due:
        if messages.get(delivery.event_id) is None:
            await outbox.mark_dropped(session, delivery.id, error="what it was about is gone")
            plan.dropped += 1
        else:
            live.append(delivery)
    policies = await _policies(session, {d.chat_id for d in live}, default_cooldown)
    last = await _last_pushes(session, live, policies, messages)
    by_place: dict[tuple[int, int], list[Delivery]] = {}
    for delivery in live:
        by_place.setdefault((delivery.chat_id, delivery.topic_id), []).append(delivery)
    for (chat_id, topic_id), group in by_place.items():
        policy = policies.get(chat_id)
        if policy is None:
            for d in group:
                plan.add(Outgoing(chat_id, topic_id, _msg(messages, d), [d.id], d.attempts))
        elif policy.notify == DIGEST:
            await _digest(session, plan, group, policy, now, messages)
        elif (until := quiet_until(policy, now)) is not None:
            await _defer(session, plan, group, until, QUIET)
        else:
            await _cooldown(session, plan, group, policy, now, messages, last)
    return plan


def _msg(messages: dict[int, Message | None], delivery: Delivery) -> Message:
    message = messages[delivery.event_id]
    assert message is not None
    return message


async def _policies(session: AsyncSession, chat_ids: set[int], default_cooldown: float) -> dict[int, Policy]:
    if not chat_ids:
        return {}
    rows = (await session.execute(select(Chat).where(Chat.id.in_(list(chat_ids))))).scalars()
    return {
        c.id: Policy.of(c.settings or {}, c.timezone, default_cooldown=default_cooldown)
        for c in rows
        if c.kind != "console" and not c.follows_all
    }


async def _last_pushes(
    session: AsyncSession,
    live: list[Delivery],
    policies: dict[int, Policy],
    messages: dict[int, Message | None],
) -> dict[tuple[int, int], datetime]:
    """Last push per (chat, claim), only where a held-back ``recurs`` alert is possible."""
    pairs = {
        (d.chat_id, m.claim_id)
        for d in live
        if isinstance(m := messages[d.event_id], Alert)
        and m.kind == "recurs"
        and (p := policies.get(d.chat_id)) is not None
        and p.notify != DIGEST
        and p.cooldown > 0
    }
    if not pairs:
        return {}
    return await outbox.last_pushes(session, sorted({c for c, _ in pairs}), sorted({k for _, k in pairs}))


async def _defer(
    session: AsyncSession, plan: Plan, group: list[Delivery], until: datetime, reason: str
) -> None:
    for delivery in group:
        await outbox.defer(session, delivery.id, at=until, reason=reason)
    plan.deferred += len(group)


async def _digest(
    session: AsyncSession,
    plan: Plan,
    group: list[Delivery],
    policy: Policy,
    now: datetime,
    messages: dict[int, Message | None],
) -> None:
    """Deliveries that waited for the digest go out as one (or a few) digest messages; new ones wait."""
    ready = [d for d in group if d.status_reason == DIGEST]
    new = [d for d in group if d.status_reason != DIGEST]
    await _defer(session, plan, new, next_digest(policy, now), DIGEST)
    taken = 0
    for notice, count in digests([_msg(messages, d) for d in ready]):
        part = ready[taken : taken + count]
        taken += count
        plan.add(Outgoing(part[0].chat_id, part[0].topic_id, notice, [d.id for d in part]))


async def _cooldown(
    session: AsyncSession,
    plan: Plan,
    group: list[Delivery],
    policy: Policy,
    now: datetime,
    messages: dict[int, Message | None],
    last: dict[tuple[int, int], datetime],
) -> None:
    """One claim's ``recurs`` alerts push once per cooldown: the ones due together fold into one message."""
    recurs: dict[int, list[Delivery]] = {}
    for delivery in group:
        message = _msg(messages, delivery)
        if isinstance(message, Alert) and message.kind == "recurs" and policy.cooldown > 0:
            recurs.setdefault(message.claim_id, []).append(delivery)
            continue
        plan.add(Outgoing(delivery.chat_id, delivery.topic_id, message, [delivery.id], delivery.attempts))
    for claim_id, held in recurs.items():
        until = cooldown_until(policy, last.get((held[0].chat_id, claim_id)))
        if until is not None and until > now:
            await _defer(session, plan, held, until, COOLDOWN)
            continue
        alerts = [m for d in held if isinstance(m := _msg(messages, d), Alert)]
        attempts = max(d.attempts for d in held)
        plan.add(Outgoing(held[0].chat_id, held[0].topic_id, fold(alerts), [d.id for d in held], attempts))


async def load_message(session: AsyncSession, event: Event) -> Alert | Notice | None:
    """What to tell about ``event``; None when what it refers to is gone."""
    if event.kind == "sighting" and event.sighting_id is not None:
        sighting = await session.get(Sighting, event.sighting_id)
        claim = await session.get(Claim, event.claim_id) if event.claim_id is not None else None
        if sighting is None or claim is None:
            return None
        sources: tuple[Source, ...] = ()
        if sighting.story_id is not None:
            sources = tuple(
                Source(name, link) for name, link in await stories.sources_of(session, sighting.story_id)
            )
        return Alert(
            claim_id=claim.id,
            claim_text=claim.text,
            kind=sighting.kind,
            score=sighting.score,
            headline=sighting.story_title,
            link=sighting.story_link,
            sentence=sighting.sentence,
            terms=tuple(sighting.terms),
            changes=tuple(sighting.changes),
            sources=sources,
            sighting_id=sighting.id,
        )
    if event.kind == "feed_deactivated":
        payload = event.payload
        return Notice(
            "Feed switched off",
            f"Feed #{event.feed_id} {payload.get('url', '')} was deactivated: {payload.get('reason', '')}",
        )
    return Notice(event.kind.replace("_", " "), str(event.payload))
