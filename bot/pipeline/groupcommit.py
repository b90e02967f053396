"""Group commit: the writes of feeds polled at the same time share one transaction.

SQLite has one writer and every statement is a round trip to its thread, so a transaction per feed made
the writer the bottleneck of a busy tick. Callers :meth:`GroupCommit.submit` an item and wait; whoever
holds the writer takes everything queued (up to ``max_items``) into one transaction. A feed must still
never roll back another: when the write says which item broke (:class:`ItemError`) that item fails and
the rest are written again without it; any other failure of a batch retries its items one by one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
R = TypeVar("R")


class ItemError(Exception):
    """Raised by a batch write: item ``index`` failed with ``__cause__``; the others may be fine."""

    def __init__(self, index: int) -> None:
        super().__init__(f"item {index} of the batch failed")
        self.index = index


@dataclass(slots=True)
class _Slot(Generic[T, R]):
    item: T
    done: asyncio.Future[R]


class GroupCommit(Generic[T, R]):
    """Writes submitted items in shared transactions; ``writers`` batches may run at once (1 on SQLite)."""

    def __init__(
        self,
        transaction: Callable[[], contextlib.AbstractAsyncContextManager[AsyncSession]],
        write: Callable[[AsyncSession, Sequence[T]], Awaitable[list[R]]],
        *,
        writers: int = 1,
        max_items: int = 32,
    ) -> None:
        self._transaction = transaction
        self._write = write
        self._gate = asyncio.Semaphore(writers)
        self._max = max_items
        self._queue: list[_Slot[T, R]] = []

    async def submit(self, item: T) -> R:
        """Write ``item`` (with whatever else is queued); its result, or the exception it alone raised."""
        slot: _Slot[T, R] = _Slot(item, asyncio.get_running_loop().create_future())
        self._queue.append(slot)
        async with self._gate:
            while not slot.done.done() and slot in self._queue:
                batch = self._queue[: self._max]
                del self._queue[: self._max]
                await self._run(batch)
        return await slot.done  # written by this task or by another writer that took it

    async def _run(self, batch: list[_Slot[T, R]]) -> None:
        try:
            async with self._transaction() as session:
                results = await self._write(session, [slot.item for slot in batch])
        except ItemError as exc:
            cause = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
            batch[exc.index].done.set_exception(cause)
            rest = batch[: exc.index] + batch[exc.index + 1 :]
            if rest:
                await self._run(rest)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].done.set_exception(exc)
            else:
                for slot in batch:
                    await self._run([slot])
        except BaseException:
            for slot in batch:  # cancelled mid-write: the others must not wait forever
                if not slot.done.done():
                    slot.done.set_exception(RuntimeError("the write was interrupted"))
            raise
        else:
            for slot, result in zip(batch, results, strict=True):
                slot.done.set_result(result)
