"""``ago``: the one relative-time wording of the command line and the bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.timetext import ago

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(seconds=0), "0s ago"),
        (timedelta(seconds=45), "45s ago"),
        (timedelta(minutes=3, seconds=59), "3m ago"),
        (timedelta(hours=5), "5h ago"),
        (timedelta(days=2, hours=23), "2d ago"),
        (timedelta(minutes=-5), "in 5m"),
        (timedelta(seconds=-30), "in 30s"),
    ],
)
def test_ago_words(offset: timedelta, expected: str) -> None:
    assert ago(NOW - offset, NOW) == expected


def test_ago_of_nothing_is_never() -> None:
    assert ago(None, NOW) == "never"
