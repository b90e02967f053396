"""Throttle pacing on an injected clock: the sleeps advance it, so every time below is exact."""

from __future__ import annotations

import asyncio

import pytest

from bot.alerts.throttle import GROUP_WINDOW, Throttle
from bot.settings import DeliverySettings

START = 100.0


class Clock:
    """A monotonic clock that moves only when the throttle sleeps (or the test says so)."""

    def __init__(self, *, stall: float = 0.0) -> None:
        self.now = START
        self.slept: list[float] = []
        self.stall = stall  # how much later than asked each sleeper wakes: a busy event loop

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds + self.stall
        await asyncio.sleep(0)


def _throttle(clock: Clock, **settings: float) -> Throttle:
    values = {"global_per_second": 10.0, "per_chat_interval": 1.0, **settings}
    return Throttle(DeliverySettings.model_validate(values), clock=clock, sleep=clock.sleep)


async def _send_times(throttle: Throttle, clock: Clock, chats: list[int]) -> list[float]:
    times = []
    for chat in chats:
        await throttle.wait_chat(chat)
        await throttle.acquire(chat)
        times.append(round(clock.now - START, 6))
    return times


async def test_sends_to_different_chats_are_spaced_by_the_global_rate() -> None:
    clock = Clock()
    assert await _send_times(_throttle(clock), clock, [1, 2, 3, 4]) == [0.0, 0.1, 0.2, 0.3]


async def test_an_idle_spell_is_not_followed_by_a_catch_up_burst() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    await _send_times(throttle, clock, [1])
    clock.now += 5.0
    assert await _send_times(throttle, clock, [2, 3]) == [5.0, 5.1]


async def test_one_chat_gets_one_message_per_interval() -> None:
    clock = Clock()
    assert await _send_times(_throttle(clock, per_chat_interval=1.5), clock, [1, 1, 2, 1]) == [
        0.0,
        1.5,
        1.6,
        3.0,
    ]


async def test_a_group_gets_at_most_its_per_minute_limit_in_any_minute() -> None:
    clock = Clock()
    throttle = _throttle(clock, per_chat_interval=0.0, group_per_minute=2)
    assert await _send_times(throttle, clock, [-5, -5, -5, 6]) == [0.0, 0.1, GROUP_WINDOW, GROUP_WINDOW + 0.1]


async def test_a_hold_from_telegram_delays_that_chat_only() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    throttle.hold(7, 30.0)
    assert await _send_times(throttle, clock, [8, 7]) == [0.0, 30.0]


async def test_wait_chat_books_nothing() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    for _ in range(3):
        await throttle.wait_chat(1)
    assert clock.slept == [] and await _send_times(throttle, clock, [1]) == [0.0]


async def test_a_send_woken_late_takes_a_fresh_slot_instead_of_crowding_the_next_ones() -> None:
    clock = Clock(stall=1.0)  # every sleep ends a second late
    throttle = _throttle(clock)
    await _send_times(throttle, clock, [1])  # slot 0.0: no sleep
    times = await _send_times(throttle, clock, [2, 3])
    # chat 2 waited for slot 0.1 and woke at 1.1: it gives that slot up and sends in a fresh one, now;
    # chat 3's slot follows one spacing later (woken late again: a fresh slot once more)
    assert throttle.late_slots == 2
    assert times == [pytest.approx(1.1), pytest.approx(2.2)]
