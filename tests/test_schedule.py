"""next_check as a table, in the style of arq's next_cron tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.pipeline.schedule import next_check

NOW = datetime(2025, 2, 13, 12, 0, tzinfo=UTC)
BOUNDS: dict[str, Any] = {"interval": 900.0, "min_interval": 300.0, "max_interval": 86400.0}


@pytest.mark.parametrize(
    ("kwargs", "seconds"),
    [
        ({}, 900),
        ({"interval": 60.0}, 300),  # below the floor
        ({"interval": 200_000.0}, 86400),  # above the ceiling
        ({"ttl": 3600.0}, 3600),
        ({"ttl": 60.0}, 900),  # a short ttl never makes us poll faster than configured
        ({"max_age": 1800.0}, 1800),
        ({"ttl": 1800.0, "max_age": 7200.0}, 7200),
        ({"ttl": 10 * 86400.0}, 86400),
        ({"ttl": 0.0}, 900),
        ({"retry_after": 120.0}, 900),
        ({"retry_after": 5000.0}, 5000),
        ({"retry_after": 10 * 86400.0}, 86400),
        ({"failures": 1}, 900),
        ({"failures": 2}, 1800),
        ({"failures": 3}, 3600),
        ({"failures": 7}, 57600),
        ({"failures": 8}, 86400),  # capped at a day
        ({"failures": 10_000}, 86400),
        ({"failures": 3, "ttl": 100_000.0}, 3600),  # hints do not apply to a failing feed
        ({"failures": 2, "retry_after": 7200.0}, 7200),
        ({"failures": 6, "max_interval": 7200.0}, 7200),
        ({"failures": 1, "interval": 10.0, "min_interval": 1.0}, 10),
    ],
)
def test_next_check_without_jitter(kwargs: dict[str, Any], seconds: float) -> None:
    args = {**BOUNDS, **kwargs}
    when = next_check(NOW, jitter=0.0, rng=random.Random(1), **args)
    assert when == NOW + timedelta(seconds=seconds)


@pytest.mark.parametrize("seed", range(20))
def test_jitter_is_bounded_and_never_negative(seed: int) -> None:
    when = next_check(NOW, jitter=0.1, rng=random.Random(seed), **BOUNDS)
    assert NOW + timedelta(seconds=900) <= when <= NOW + timedelta(seconds=990)


def test_jitter_spreads_feeds() -> None:
    rng = random.Random(42)
    times = {next_check(NOW, jitter=0.5, rng=rng, **BOUNDS) for _ in range(50)}
    assert len(times) == 50


def test_negative_jitter_is_ignored() -> None:
    assert next_check(NOW, jitter=-1.0, rng=random.Random(1), **BOUNDS) == NOW + timedelta(seconds=900)
