"""Several senders on one PostgreSQL database: one global rate between them, one sender per chat at a time,
no delivery sent twice (issue 6, scale-out)."""

from __future__ import annotations

import asyncio
import bisect
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.alerts.budget import SharedBudget
from bot.alerts.send import Sender
from bot.alerts.throttle import Throttle
from bot.settings import DeliverySettings
from bot.telegram.transport import TelegramTransport
from storage import outbox
from storage.models import Chat, Delivery
from storage.upsert import ignoring_conflicts
from testkit.botapi import TOKEN, BotAPI, Limits, seed_alert
from tests.conftest import Db, make_settings

RATE = 40.0


def _busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))


class _Throttle(Throttle):
    """The real throttle; it tells when its sender has work (``started``) and can hold it (``hold_until``).

    A sender calls ``wait_chat`` only for deliveries it has claimed, and before it books any rate slot.
    """

    def __init__(
        self, settings: DeliverySettings, budget: SharedBudget, hold_until: asyncio.Event | None
    ) -> None:
        super().__init__(settings, budget=budget)
        self.started = asyncio.Event()
        self._hold_until = hold_until

    async def wait_chat(self, chat_id: int) -> None:
        self.started.set()
        if self._hold_until is not None:
            await self._hold_until.wait()
        await super().wait_chat(chat_id)


@pytest.mark.postgres
async def test_two_senders_share_the_global_rate_and_send_each_delivery_once(pg_db: Db) -> None:
    chats = [3000 + i for i in range(200)]
    async with pg_db.sessionmaker.begin() as session:
        await seed_alert(session, [(c, 0) for c in chats])
        await seed_alert(session, [(c, 0) for c in chats[:40]], claim_text="The bridge was closed for a week")
    # The double's own limit check sees arrival times, which a loaded machine bunches (late slots go out
    # together): it only guards against a gross breach here; the rate itself is checked on the booked slots.
    limits = Limits(global_per_second=RATE, slack=1.0, chat_interval=0.5, chat_burst=1)
    slots: list[float] = []
    async with BotAPI(limits=limits) as api:
        settings = make_settings(
            pg_db.url,
            telegram={"token": TOKEN, "api_base": api.base},
            delivery={"global_per_second": RATE, "per_chat_interval": 0.5, "concurrency": 16},
        )
        transports = [TelegramTransport.from_settings(settings) for _ in range(2)]
        try:

            def budget() -> SharedBudget:
                per_second, block = settings.delivery.global_per_second, settings.delivery.budget_block
                shared = SharedBudget(pg_db.sessionmaker, per_second=per_second, block=block)
                take = shared.take

                async def recorded() -> float:
                    slot = await take()
                    slots.append(slot)
                    return slot

                shared.take = recorded  # type: ignore[method-assign]
                return shared

            # Both senders must take part whatever the scheduling: the first sends nothing (and books no
            # slot) until the second has claimed deliveries of its own. Batches of 20 keep the first from
            # claiming more than 40 of the 200 chats meanwhile (the current batch and the one ahead).
            free = _Throttle(settings.delivery, budget(), hold_until=None)
            held = _Throttle(settings.delivery, budget(), hold_until=free.started)
            senders = [
                Sender(pg_db.sessionmaker, t, settings.delivery, throttle=th)
                for t, th in zip(transports, (held, free), strict=True)
            ]
            async with asyncio.timeout(120):  # a guard against a hang, far beyond the ~6 s this takes
                results = await asyncio.gather(senders[0].drain(batch=20), senders[1].drain())
        finally:
            for transport in transports:
                await transport.close()
    times = [s.at for s in api.messages()]
    assert api.too_many == 0
    assert len(times) == 240 and sum(r.sent for r in results) == 240
    assert all(r.sent > 0 for r in results), "both senders took part"
    assert len(slots) == 240 and _busiest_second(slots) <= RATE + 1  # one global rate, booked in the database
    assert max(times) - min(times) >= 239 / RATE * 0.95
    per_chat = Counter(s.chat_id for s in api.messages())
    assert per_chat == Counter({c: 2 if c in chats[:40] else 1 for c in chats})
    for chat in chats[:40]:  # a chat is served by one sender at a time: its own pace holds
        first, second = sorted(s.at for s in api.messages(chat))
        assert second - first >= 0.5 * 0.9
    async with pg_db.sessionmaker() as session:
        rows = (await session.execute(select(Delivery.status, Delivery.message_id))).all()
    assert Counter(status for status, _ in rows) == Counter({"sent": 240})
    assert len({m for _, m in rows}) == 240


@pytest.mark.postgres
async def test_a_chat_claimed_by_one_sender_is_skipped_by_the_other(pg_db: Db) -> None:
    async with pg_db.sessionmaker.begin() as session:
        for text in ("Tanks moved to the border", "The bridge was closed", "Prices doubled in a year"):
            await seed_alert(session, [(7001, 0), (7002, 0)], claim_text=text)
    now = datetime.now(UTC)
    async with pg_db.sessionmaker.begin() as first:
        mine = await outbox.claim_pending(first, now=now, limit=1)
        assert [d.chat_id for d in mine] == [7001]
        async with pg_db.sessionmaker.begin() as second:  # meanwhile: 7001 is locked by the first claim
            theirs = await outbox.claim_pending(second, now=now, limit=10)
        assert [d.chat_id for d in theirs] == [7002] * 3
    async with pg_db.sessionmaker.begin() as third:  # both committed: both chats have deliveries in flight
        assert await outbox.claim_pending(third, now=now, limit=10) == []
    async with pg_db.sessionmaker.begin() as session:
        await outbox.release(session, [d.id for d in mine])
    async with pg_db.sessionmaker.begin() as session:
        again = await outbox.claim_pending(session, now=now, limit=10)
    assert [d.chat_id for d in again] == [7001] * 3 and mine[0].id in {d.id for d in again}


@pytest.mark.postgres
async def test_budgets_on_one_database_hand_out_distinct_evenly_spaced_slots(pg_db: Db) -> None:
    budgets = [SharedBudget(pg_db.sessionmaker, per_second=RATE, block=0.25) for _ in range(3)]

    async def take(budget: SharedBudget, n: int) -> list[float]:
        return [await budget.take() for _ in range(n)]

    slots = sorted(s for got in await asyncio.gather(*(take(b, 30) for b in budgets)) for s in got)
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)]
    assert min(gaps) >= 1 / RATE * 0.5  # one local clock for all three: only the mapping's error shows
    assert _busiest_second(slots) <= RATE + 1


@pytest.mark.postgres
async def test_a_drain_hands_its_unused_slots_back(pg_db: Db) -> None:
    one = SharedBudget(pg_db.sessionmaker, per_second=RATE, block=0.25)  # books 10 slots at once
    taken = [await one.take() for _ in range(3)]
    await one.give_back()
    following = await SharedBudget(pg_db.sessionmaker, per_second=RATE, block=0.25).take()
    assert following - taken[-1] < 2 / RATE  # right after the third, not after the tenth


async def test_a_fan_out_larger_than_one_statement_is_enqueued_whole(db: Db) -> None:
    """6,000 deliveries need 42,000 bound parameters: more than asyncpg or SQLite take in one statement."""
    chats = list(range(10_000, 16_000))
    async with db.sessionmaker.begin() as session:
        await session.execute(ignoring_conflicts(session, Chat), [{"id": c} for c in chats])
        event = await outbox.add_event(session, "sighting")
        assert await outbox.enqueue(session, event.id, [(c, 0) for c in chats]) == 6000
        assert await outbox.enqueue(session, event.id, [(c, 0) for c in chats]) == 0
