"""GroupCommit on a real database, driven by events rather than time (it has no clock: a batch is whatever
was queued while the writer was busy)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.pipeline.groupcommit import GroupCommit, ItemError
from tests.conftest import Db


class Writer:
    """Writes each item as a row in one table; records the batches; fails items named ``bad``."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate: asyncio.Event | None = None  # set: the next write waits for it
        self.entered = asyncio.Event()

    async def write(self, session: AsyncSession, items: Sequence[str]) -> list[int]:
        self.batches.append(list(items))
        self.entered.set()
        if self.gate is not None:
            gate, self.gate = self.gate, None
            await gate.wait()
        for index, item in enumerate(items):
            try:
                if item.startswith("bad"):
                    raise ValueError(item)
                await session.execute(text("INSERT INTO gc_items (name) VALUES (:n)"), {"n": item})
            except ValueError as exc:
                raise ItemError(index) from exc
        return [len(item) for item in items]

    async def opaque(self, session: AsyncSession, items: Sequence[str]) -> list[int]:
        """Fails the whole batch without saying which item broke it."""
        if any(item.startswith("bad") for item in items):
            self.batches.append(list(items))
            raise RuntimeError("the batch failed")
        return await self.write(session, items)


@pytest.fixture
async def table(db: Db) -> Db:
    async with db.sessionmaker.begin() as session:
        await session.execute(text("CREATE TABLE gc_items (name VARCHAR(20) PRIMARY KEY)"))
    return db


async def _stored(db: Db) -> set[str]:
    async with db.sessionmaker() as session:
        return set((await session.scalars(text("SELECT name FROM gc_items"))).all())


async def _queued_behind_a_busy_writer(
    commit: GroupCommit[str, int], writer: Writer, first: str, rest: list[str]
) -> list[int | BaseException]:
    """Submit ``first``; while its write is held, queue ``rest``; then let everything go."""
    writer.gate = gate = asyncio.Event()
    head = asyncio.create_task(commit.submit(first))
    await writer.entered.wait()
    tail = [asyncio.create_task(commit.submit(item)) for item in rest]
    await asyncio.sleep(0)  # each queued its item and waits on the writer
    gate.set()
    return await asyncio.gather(head, *tail, return_exceptions=True)


async def test_items_queued_while_the_writer_is_busy_share_one_transaction(table: Db) -> None:
    writer = Writer()
    commit: GroupCommit[str, int] = GroupCommit(table.sessionmaker.begin, writer.write)
    results = await _queued_behind_a_busy_writer(commit, writer, "a", ["bb", "ccc", "dddd"])
    assert results == [1, 2, 3, 4]
    assert writer.batches == [["a"], ["bb", "ccc", "dddd"]]
    assert await _stored(table) == {"a", "bb", "ccc", "dddd"}


async def test_a_batch_takes_at_most_max_items(table: Db) -> None:
    writer = Writer()
    commit: GroupCommit[str, int] = GroupCommit(table.sessionmaker.begin, writer.write, max_items=2)
    await _queued_behind_a_busy_writer(commit, writer, "a", ["b", "c", "d", "e"])
    assert writer.batches == [["a"], ["b", "c"], ["d", "e"]]


async def test_the_item_that_broke_the_batch_fails_alone_and_the_rest_are_written(table: Db) -> None:
    writer = Writer()
    commit: GroupCommit[str, int] = GroupCommit(table.sessionmaker.begin, writer.write)
    results = await _queued_behind_a_busy_writer(commit, writer, "a", ["b", "bad1", "c"])
    assert results[:2] == [1, 1] and results[3] == 1
    assert isinstance(results[2], ValueError) and str(results[2]) == "bad1"  # the cause, not the ItemError
    assert writer.batches == [["a"], ["b", "bad1", "c"], ["b", "c"]]
    assert await _stored(table) == {"a", "b", "c"}  # the broken batch's rows were rolled back, then rewritten


async def test_a_batch_failing_without_naming_an_item_is_retried_item_by_item(table: Db) -> None:
    writer = Writer()
    commit: GroupCommit[str, int] = GroupCommit(table.sessionmaker.begin, writer.opaque)
    results = await _queued_behind_a_busy_writer(commit, writer, "a", ["b", "bad", "c"])
    assert results[0] == 1 and results[1] == 1 and results[3] == 1
    assert isinstance(results[2], RuntimeError)
    assert writer.batches == [["a"], ["b", "bad", "c"], ["b"], ["bad"], ["c"]]
    assert await _stored(table) == {"a", "b", "c"}


async def test_a_write_cancelled_midway_fails_the_items_it_carried_instead_of_stranding_them(
    table: Db,
) -> None:
    writer = Writer()
    commit: GroupCommit[str, int] = GroupCommit(table.sessionmaker.begin, writer.write)
    writer.gate = asyncio.Event()  # never set: the first write hangs until cancelled
    head = asyncio.create_task(commit.submit("a"))
    await writer.entered.wait()
    second = asyncio.create_task(commit.submit("b"))
    await asyncio.sleep(0)
    head.cancel()
    # "b" is taken by its own submit once the gate is free: written, not stranded
    assert await asyncio.wait_for(second, 30) == 1
    with pytest.raises(asyncio.CancelledError):
        await head
    assert await _stored(table) == {"b"}
