"""The global send rate shared by several senders on one PostgreSQL database.

Each sender books the global slots it sends in from one database row (storage/rates.py), a block at a time:
the booking pushes the budget's next free slot forward from ``max(next free slot, now)``, so blocks never
overlap and N senders together keep ``delivery.global_per_second`` whatever N. Slots are on the database's
clock and mapped to this process's monotonic clock by the "now" each booking returns, which lies between
the local times the booking was sent and answered: the tightest such bounds seen are kept (renewed every
minute, as clocks drift), so a booking that waited on another's row lock does not skew the mapping.

A slot nobody was ready for is skipped once it has passed by more than one spacing (or the last booking's
round trip, so a slow database slows sending rather than stopping it): a late sender never sends a bunch
of old slots at once. A drain's unused tail is handed back when nobody has booked after it, and a block is
sized by demand (twice what the last one used, up to ``delivery.budget_block`` seconds of the rate), so a
sender pacing one slow chat does not hoard slots the others could use. The next block is booked while
half of the current one is left, so a busy sender never waits on the database between blocks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import rates

logger = logging.getLogger(__name__)

_BOUNDS_LIFE = 60.0  # seconds the clock mapping's bounds are trusted before they are measured afresh


class SharedBudget:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        per_second: float,
        block: float,
        name: str = "global",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessionmaker, self._name, self._clock = sessionmaker, name, clock
        self._spacing = max(1, round(1e6 / per_second))
        self._max_block = max(1, round(per_second * block))
        self._tolerance = self._spacing / 1e6  # a slot this late is still used; later ones are skipped ...
        self.late = self._tolerance  # ... or as late as the last booking took (a slow database still sends)
        self._slots: deque[int] = deque()  # booked, unused, on the database clock (µs)
        self._offset = 0.0  # local monotonic seconds minus database seconds: the middle of the bounds
        self._bounds: tuple[float, float, float] | None = None  # (lower, upper, since when)
        self._last: tuple[int, int] | None = None  # the last block booked: (first slot, end)
        self._used = 0  # slots taken since the last booking
        self.taken = self.skipped = self.booked = 0  # slots, for the record
        self._lock = asyncio.Lock()
        self._booking: asyncio.Task[None] | None = None

    async def take(self) -> float:
        """Book the next global slot; returns when it is, on the local monotonic clock."""
        async with self._lock:  # slots go out in order, one taker at a time
            while not self._fresh():
                await self._book()
            slot = self._slots.popleft()
            self._used += 1
            self.taken += 1
            if len(self._slots) <= self._max_block // 2 and self._booking is None:
                self._start_booking()
            return self._offset + slot / 1e6

    async def give_back(self) -> None:
        """Return the unused part of the last block (a drain is over), if nobody has booked after it."""
        if self._booking is not None:
            await asyncio.gather(self._booking, return_exceptions=True)
        self._fresh()
        if not self._slots or self._last is None:
            return
        first, end = self._last
        start = max(self._slots[0], first)  # never before the block: other senders' slots may lie there
        logger.debug(
            "send budget: %d slots booked, %d taken, %d passed unused, %d left",
            self.booked,
            self.taken,
            self.skipped,
            len(self._slots),
        )
        self._slots.clear()
        try:
            async with self._sessionmaker.begin() as session:
                await rates.give_back(session, self._name, start=start, end=end)
        except Exception as exc:  # only an optimisation: the slots just go unused
            logger.warning("cannot hand back unused send slots (%s)", exc)

    def _fresh(self) -> bool:
        """Drop the slots that passed unused; True if one is left."""
        oldest = (self._clock() - self._offset - self.late) * 1e6
        while self._slots and self._slots[0] < oldest:
            self._slots.popleft()
            self.skipped += 1
        return bool(self._slots)

    async def _book(self) -> None:
        if self._booking is None:
            self._start_booking()
        assert self._booking is not None
        await asyncio.shield(self._booking)  # a cancelled taker leaves the booking to finish

    def _start_booking(self) -> None:
        count = self._max_block if self._last is None else min(self._max_block, max(1, 2 * self._used))
        self._used = 0
        self._booking = asyncio.create_task(self._fetch(count), name="send-budget")
        self._booking.add_done_callback(self._booked)

    def _booked(self, task: asyncio.Task[None]) -> None:
        self._booking = None
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.warning("cannot book send slots from the shared budget (%s)", exc)

    async def _fetch(self, count: int) -> None:
        async with self._sessionmaker.begin() as session:
            await session.connection()  # connected first: the bounds span the booking's round trip only
            before = self._clock()
            first, now = await rates.book(session, self._name, count=count, spacing=self._spacing)
            after = self._clock()
        self._map(before - now / 1e6, after - now / 1e6)
        self.late = max(self._tolerance, after - before)
        self._last = (first, first + count * self._spacing)
        self._slots.extend(first + i * self._spacing for i in range(count))
        self.booked += count

    def _map(self, lower: float, upper: float) -> None:
        if self._bounds is not None:
            low, high, since = self._bounds
            if lower <= high and upper >= low and self._clock() - since < _BOUNDS_LIFE:
                lower, upper = max(lower, low), min(upper, high)
                self._bounds = (lower, upper, since)
                self._offset = (lower + upper) / 2
                return
        self._bounds = (lower, upper, self._clock())
        self._offset = (lower + upper) / 2
