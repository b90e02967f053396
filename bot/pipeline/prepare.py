"""Parsing plus story identity, in the parse worker: entries arrive with fingerprints and title keys.

Fingerprinting normalises every link and folds every title, which is per-entry Python work; done here it
runs in the (otherwise partly idle) parse processes instead of on the event loop, which also drives the
database writer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial

from bot.matching.types import StoryDoc
from bot.pipeline.identity import story_fingerprint, title_fingerprint
from bot.pipeline.parse import ParsedEntry, parse_feed
from storage.stories import NewStory

TITLE_KEY_MIN_WORDS = 5
"""Shorter titles are too generic to merge stories of different links on."""


@dataclass(frozen=True, slots=True)
class PreparedFeed:
    """A parsed feed as the store needs it; only this crosses back from the worker (small to unpickle)."""

    title: str
    ttl: float | None
    bozo: str | None
    entries: int
    """As parsed, repeated guids included."""
    stories: list[NewStory]
    """One per distinct guid, in feed order (the last entry of a repeated guid wins)."""
    contents: list[str]
    """Each story's full text, for the matcher."""

    def docs(self, keep: Callable[[NewStory], bool]) -> list[StoryDoc]:
        """What the matcher reads, for the stories ``keep`` selects."""
        return [
            StoryDoc(id=s.guid, title=s.title, summary=s.summary, content=content)
            for s, content in zip(self.stories, self.contents, strict=True)
            if keep(s)
        ]


def prepare_feed(body: bytes, url: str, content_type: str | None = None) -> PreparedFeed:
    """:func:`~bot.pipeline.parse.parse_feed`, then each distinct entry as the story to store."""
    parsed = parse_feed(body, url, content_type)
    unique = list({entry.guid: entry for entry in parsed.entries}.values())
    return PreparedFeed(
        title=parsed.title,
        ttl=parsed.ttl,
        bozo=parsed.bozo,
        entries=len(parsed.entries),
        stories=[new_story(entry) for entry in unique],
        contents=[entry.content for entry in unique],
    )


async def prepare_in_executor(
    executor: Executor | None, body: bytes, url: str, content_type: str | None = None
) -> PreparedFeed:
    """:func:`prepare_feed` in ``executor`` (a thread or process pool; None: the loop's default threads)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, partial(prepare_feed, body, url, content_type))


def new_story(entry: ParsedEntry) -> NewStory:
    words = len(entry.title.split())
    return NewStory(
        guid=entry.guid,
        fingerprint=story_fingerprint(entry.link, entry.title or entry.guid),
        title_key=title_fingerprint(entry.title) if words >= TITLE_KEY_MIN_WORDS else None,
        title=entry.title,
        summary=entry.summary,
        link=entry.link,
        published_at=entry.published,
    )
