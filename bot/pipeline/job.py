"""A feed as a poll sees it (:class:`FeedJob`) and what polling it came to (:class:`PollResult`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.pipeline.store import Recorded
from storage.models import Feed


@dataclass(frozen=True, slots=True)
class FeedJob:
    """A snapshot of a feed row, safe to hand to a task that opens its own sessions."""

    id: int
    url: str
    trusted: bool
    baseline_done: bool
    etag: str | None
    last_modified: str | None
    error_count: int
    interval: float | None

    @classmethod
    def of(cls, feed: Feed) -> FeedJob:
        return cls(
            feed.id,
            feed.url,
            feed.trusted,
            feed.baseline_done,
            feed.etag,
            feed.last_modified,
            feed.error_count,
            feed.interval,
        )


@dataclass(slots=True)
class PollResult:
    feed_id: int
    ok: bool
    entries: int = 0
    new_stories: int = 0
    recorded: Recorded = field(default_factory=Recorded)
    error: str | None = None
