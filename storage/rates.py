"""Rate budgets shared through the database (PostgreSQL): slots on the database's clock, in microseconds."""

from __future__ import annotations

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RateBudget

# One statement books a block: from the budget's next free slot or the database's now, whichever is later.
# The row lock it takes serialises bookings, so no two blocks overlap, whatever the number of senders.
_BOOK = text(
    """
    WITH c AS (SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT) AS now)
    INSERT INTO rate_budgets (name, next_slot) SELECT :name, c.now + :span FROM c
    ON CONFLICT (name) DO UPDATE
        SET next_slot = GREATEST(rate_budgets.next_slot + :span, EXCLUDED.next_slot)
    RETURNING next_slot, (SELECT now FROM c)
    """
)


async def book(session: AsyncSession, name: str, *, count: int, spacing: int) -> tuple[int, int]:
    """Book ``count`` slots ``spacing`` µs apart; returns (first slot, database now), µs since the epoch."""
    span = count * spacing
    end, now = (await session.execute(_BOOK, {"name": name, "span": span})).one()
    return int(end) - span, int(now)


async def give_back(session: AsyncSession, name: str, *, start: int, end: int) -> bool:
    """Return the unused slots ``start``..``end`` if nobody has booked after them; True if they were."""
    result = await session.execute(
        update(RateBudget).where(RateBudget.name == name, RateBudget.next_slot == end).values(next_slot=start)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
