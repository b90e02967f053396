"""Chats and their subscriptions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Chat, Delivery, Subscription
from storage.upsert import insert_ignore

CONSOLE_CHAT_ID = 0


async def ensure_chat(
    session: AsyncSession, chat_id: int, *, kind: str = "private", title: str = "", follows_all: bool = False
) -> Chat:
    await session.execute(
        insert_ignore(
            session, Chat, [{"id": chat_id, "kind": kind, "title": title, "follows_all": follows_all}]
        )
    )
    chat = await session.get(Chat, chat_id)
    assert chat is not None
    return chat


async def ensure_console_chat(session: AsyncSession) -> Chat:
    """The built-in chat that prints every alert when no Telegram token is set."""
    return await ensure_chat(session, CONSOLE_CHAT_ID, kind="console", title="console", follows_all=True)


async def subscribe(session: AsyncSession, chat_id: int, claim_id: int, *, topic_id: int = 0) -> bool:
    """True when the subscription is new."""
    stmt = insert_ignore(
        session, Subscription, [{"chat_id": chat_id, "claim_id": claim_id, "topic_id": topic_id}]
    ).returning(Subscription.id)
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def unsubscribe(session: AsyncSession, chat_id: int, claim_id: int, *, topic_id: int = 0) -> bool:
    result = await session.execute(
        delete(Subscription).where(
            Subscription.chat_id == chat_id,
            Subscription.claim_id == claim_id,
            Subscription.topic_id == topic_id,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def subscriptions_of(session: AsyncSession, chat_id: int) -> Sequence[Subscription]:
    query = select(Subscription).where(Subscription.chat_id == chat_id).order_by(Subscription.claim_id)
    return (await session.execute(query)).scalars().all()


async def set_console_active(session: AsyncSession, active: bool) -> None:
    chat = await session.get(Chat, CONSOLE_CHAT_ID)
    if chat is not None:
        chat.active = active
        await session.flush()


async def get_chat(session: AsyncSession, chat_id: int) -> Chat | None:
    return await session.get(Chat, chat_id)


async def deactivate_chat(session: AsyncSession, chat_id: int) -> None:
    """The chat blocked us or is gone: nothing more is owed to it (its subscriptions stay, inert)."""
    await session.execute(update(Chat).where(Chat.id == chat_id).values(active=False))


async def delete_chat(session: AsyncSession, chat_id: int) -> bool:
    """Forget the chat: its subscriptions and deliveries go with it (ON DELETE CASCADE)."""
    await session.execute(delete(Subscription).where(Subscription.chat_id == chat_id))
    await session.execute(delete(Delivery).where(Delivery.chat_id == chat_id))
    result = await session.execute(delete(Chat).where(Chat.id == chat_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def migrate_chat(session: AsyncSession, old_id: int, new_id: int) -> int:
    """A group became a supergroup: its subscriptions move to ``new_id``; returns how many moved."""
    old = await session.get(Chat, old_id)
    kind, title, settings = ("supergroup", "", {}) if old is None else ("supergroup", old.title, old.settings)
    await ensure_chat(session, new_id, kind=kind, title=title)
    new = await session.get(Chat, new_id)
    assert new is not None
    new.active, new.settings = True, dict(settings)
    if old is not None:
        new.timezone = old.timezone
    moved = 0
    for sub in await subscriptions_of(session, old_id):
        values = {
            "chat_id": new_id,
            "topic_id": sub.topic_id,
            "claim_id": sub.claim_id,
            "muted_until": sub.muted_until,
            "threshold_offset": sub.threshold_offset,
            "notify": sub.notify,
        }
        stmt = insert_ignore(session, Subscription, [values]).returning(Subscription.id)
        moved += (await session.execute(stmt)).scalar_one_or_none() is not None
    await session.execute(delete(Subscription).where(Subscription.chat_id == old_id))
    await session.execute(update(Chat).where(Chat.id == old_id).values(active=False))
    await session.flush()
    return moved


async def get_subscription(
    session: AsyncSession, chat_id: int, claim_id: int, *, topic_id: int = 0
) -> Subscription | None:
    query = select(Subscription).where(
        Subscription.chat_id == chat_id, Subscription.claim_id == claim_id, Subscription.topic_id == topic_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def count_subscriptions(session: AsyncSession, chat_id: int) -> int:
    query = select(func.count(Subscription.id)).where(Subscription.chat_id == chat_id)
    return int(await session.scalar(query) or 0)


async def subscriptions_in(session: AsyncSession, chat_id: int, topic_id: int) -> Sequence[Subscription]:
    query = (
        select(Subscription)
        .where(Subscription.chat_id == chat_id, Subscription.topic_id == topic_id)
        .order_by(Subscription.claim_id)
    )
    return (await session.execute(query)).scalars().all()


async def reactivate(session: AsyncSession, chat_id: int, *, kind: str, title: str) -> Chat:
    """Register the chat (or bring it back after a block): /start."""
    chat = await ensure_chat(session, chat_id, kind=kind, title=title)
    chat.active, chat.kind, chat.title = True, kind, title[:256]
    await session.flush()
    return chat
