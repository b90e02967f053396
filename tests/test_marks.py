"""MarkBuffer on a real database: sent marks are committed in batches, stamped by the injected clock, and
kept and retried while the database refuses them."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, exc, select

from bot.alerts.marks import MarkBuffer
from storage.models import Delivery
from testkit.botapi import seed_alert
from tests.conftest import Db

SENT_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NEVER = 3600.0  # a mark interval no test waits for: only the batch size or the shutdown flushes


def _clock() -> datetime:
    return SENT_AT


async def _deliveries(db: Db, n: int) -> list[int]:
    async with db.sessionmaker.begin() as session:
        await seed_alert(session, [(5000 + i, 0) for i in range(n)])
    async with db.sessionmaker() as session:
        return list((await session.scalars(select(Delivery.id).order_by(Delivery.id))).all())


async def _rows(db: Db) -> list[tuple[str, int | None, datetime | None]]:
    async with db.sessionmaker() as session:
        query = select(Delivery.status, Delivery.message_id, Delivery.sent_at).order_by(Delivery.id)
        rows = (await session.execute(query)).all()
    return [
        (s, m, t.astimezone(UTC) if t is not None and t.tzinfo else t and t.replace(tzinfo=UTC))
        for s, m, t in rows
    ]


class Statements:
    """Counts the UPDATEs marking deliveries sent; the first ``refuse`` fail as on a locked database."""

    def __init__(self, db: Db, refuse: int = 0) -> None:
        self.marks, self.refuse = 0, refuse
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._before)

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE DELIVERIES"):
            self.marks += 1
            if self.marks <= self.refuse:
                raise exc.OperationalError(statement, {}, Exception("database is locked"))


async def test_marks_wait_for_a_full_batch_then_commit_together_with_the_clocks_time(db: Db) -> None:
    ids = await _deliveries(db, 3)
    statements = Statements(db)
    async with (
        asyncio.timeout(30),
        MarkBuffer(db.sessionmaker, interval=NEVER, batch=3, clock=_clock) as marks,
    ):
        first = asyncio.create_task(marks.sent([ids[0]], 11))
        second = asyncio.create_task(marks.sent([ids[1]], 12))
        await asyncio.sleep(0)  # both are waiting; two of three: no commit yet
        assert not first.done() and not second.done() and statements.marks == 0
        await marks.sent([ids[2]], 13)  # the third fills the batch
        await asyncio.gather(first, second)
    assert statements.marks == 1
    assert await _rows(db) == [("sent", 11, SENT_AT), ("sent", 12, SENT_AT), ("sent", 13, SENT_AT)]


async def test_a_lone_mark_is_committed_after_the_interval(db: Db) -> None:
    ids = await _deliveries(db, 1)
    async with (
        asyncio.timeout(30),
        MarkBuffer(db.sessionmaker, interval=0.01, batch=8, clock=_clock) as marks,
    ):
        await marks.sent(ids, None)
    assert await _rows(db) == [("sent", None, SENT_AT)]


async def test_marks_still_waiting_at_shutdown_are_committed(db: Db) -> None:
    ids = await _deliveries(db, 2)
    async with asyncio.timeout(30):
        async with MarkBuffer(db.sessionmaker, interval=NEVER, batch=8, clock=_clock) as marks:
            waiting = asyncio.create_task(marks.sent(ids, 21))
            await asyncio.sleep(0)
            assert not waiting.done()
        await waiting
    assert await _rows(db) == [("sent", 21, SENT_AT), ("sent", 21, SENT_AT)]


async def test_marks_the_database_refuses_are_kept_and_retried(
    db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    ids = await _deliveries(db, 2)
    statements = Statements(db, refuse=2)
    buffer = MarkBuffer(db.sessionmaker, interval=NEVER, batch=1, clock=_clock, retry=0.0)
    with caplog.at_level(logging.WARNING, logger="bot.alerts.marks"):
        async with asyncio.timeout(30), buffer as marks:
            await asyncio.gather(marks.sent([ids[0]], 31), marks.sent([ids[1]], 32))
    assert statements.marks >= 3  # refused twice, then committed
    assert await _rows(db) == [("sent", 31, SENT_AT), ("sent", 32, SENT_AT)]
    assert sum("cannot record" in r.getMessage() for r in caplog.records) == 2
