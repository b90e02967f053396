"""Chats and their subscriptions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Chat, Subscription
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
