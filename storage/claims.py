"""Claims and their states over time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Claim, ClaimState, Sighting, utcnow, valid_id


async def add_claim(
    session: AsyncSession,
    text: str,
    facts: dict[str, Any],
    *,
    slug: str | None = None,
    aliases: Sequence[str] = (),
    source: str = "",
    source_date: str | None = None,
    created_by_chat: int | None = None,
) -> Claim:
    """A new claim with its first state (facts read from its text)."""
    claim = Claim(
        text=text,
        slug=slug,
        aliases=list(aliases),
        source=source,
        source_date=source_date,
        created_by_chat=created_by_chat,
    )
    session.add(claim)
    await session.flush()
    session.add(ClaimState(claim_id=claim.id, facts=facts, note="from the claim's text"))
    await session.flush()
    return claim


async def get_claim(session: AsyncSession, claim_id: int) -> Claim | None:
    return await session.get(Claim, claim_id) if valid_id(claim_id) else None


async def get_claim_by_slug(session: AsyncSession, slug: str) -> Claim | None:
    return (await session.execute(select(Claim).where(Claim.slug == slug))).scalar_one_or_none()


async def find_claim(session: AsyncSession, ref: str) -> Claim | None:
    """A claim by id (``12``, ``#12``) or slug."""
    ref = ref.strip().lstrip("#")
    if ref.isascii() and ref.isdigit():
        return await get_claim(session, int(ref)) if len(ref) <= 19 else None
    return await get_claim_by_slug(session, ref)


async def list_claims(session: AsyncSession, *, include_archived: bool = False) -> Sequence[Claim]:
    query = select(Claim).order_by(Claim.id)
    if not include_archived:
        query = query.where(Claim.archived.is_(False))
    return (await session.execute(query)).scalars().all()


async def sighting_stats(session: AsyncSession) -> dict[int, tuple[int, datetime | None, int, int]]:
    """claim id → (sightings, last seen, ✅ feedback, ❌ feedback)."""
    query = select(
        Sighting.claim_id,
        func.count(Sighting.id),
        func.max(Sighting.created_at),
        func.count(Sighting.id).filter(Sighting.feedback == "relevant"),
        func.count(Sighting.id).filter(Sighting.feedback == "wrong"),
    ).group_by(Sighting.claim_id)
    rows = (await session.execute(query)).all()
    return {cid: (n, _aware(last), good, bad) for cid, n, last, good, bad in rows}


def _aware(value: datetime | None) -> datetime | None:
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


async def current_state(session: AsyncSession, claim_id: int) -> ClaimState:
    query = (
        select(ClaimState)
        .where(ClaimState.claim_id == claim_id, ClaimState.reverted_at.is_(None))
        .order_by(ClaimState.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one()


async def current_states(session: AsyncSession) -> dict[int, ClaimState]:
    """Each active claim's current state, in one query."""
    newest = (
        select(func.max(ClaimState.id))
        .join(Claim, Claim.id == ClaimState.claim_id)
        .where(ClaimState.reverted_at.is_(None), Claim.archived.is_(False))
        .group_by(ClaimState.claim_id)
    )
    rows = (await session.execute(select(ClaimState).where(ClaimState.id.in_(newest)))).scalars()
    return {state.claim_id: state for state in rows}


async def states_of(session: AsyncSession, claim_id: int) -> Sequence[ClaimState]:
    query = select(ClaimState).where(ClaimState.claim_id == claim_id).order_by(ClaimState.id)
    return (await session.execute(query)).scalars().all()


async def add_state(
    session: AsyncSession,
    claim_id: int,
    facts: dict[str, Any],
    *,
    story_id: int | None,
    story_published_at: datetime | None,
    sighting_id: int | None,
    note: str = "",
) -> ClaimState:
    state = ClaimState(
        claim_id=claim_id,
        facts=facts,
        story_id=story_id,
        story_published_at=story_published_at,
        sighting_id=sighting_id,
        note=note,
    )
    session.add(state)
    await session.flush()
    return state


async def add_states(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Record many new current states in one executemany (columns of :class:`ClaimState` by name)."""
    if rows:
        await session.execute(insert(ClaimState), list(rows))


async def revert_state(session: AsyncSession, claim_id: int) -> ClaimState | None:
    """Undo the current state (never the first one); returns the state now current, or None."""
    states = [s for s in await states_of(session, claim_id) if s.reverted_at is None]
    if len(states) < 2:
        return None
    states[-1].reverted_at = utcnow()
    await session.flush()
    return states[-2]


async def answer_state(session: AsyncSession, sighting_id: int, *, wrong: bool) -> ClaimState | None:
    """Undo (``wrong``) or restore the state a sighting made, if it made one; the latest answer decides.

    Undone, the claim's current state is again the one before it, so the next story is compared with that.
    """
    query = select(ClaimState).where(ClaimState.sighting_id == sighting_id)
    state = (await session.execute(query)).scalars().first()
    if state is None:
        return None
    if wrong and state.reverted_at is None:
        state.reverted_at = utcnow()
    elif not wrong and state.reverted_at is not None:
        state.reverted_at = None
    await session.flush()
    return state


async def claims_signature(session: AsyncSession) -> tuple[Any, ...]:
    """Changes whenever a claim or state changes: the matcher's index is rebuilt when it does."""
    claims = (await session.execute(select(func.count(Claim.id), func.max(Claim.updated_at)))).one()
    states = (
        await session.execute(
            select(func.count(ClaimState.id), func.max(ClaimState.id)).where(ClaimState.reverted_at.is_(None))
        )
    ).one()
    return (*claims, *states)
