"""``claimbot demo``: the whole pipeline over the bundled sample feeds, offline, into a throwaway database.

Day one is each feed's first poll (a baseline: stored and matched, nothing pushed); day two brings new
stories, and their alerts are printed, as they would be sent.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import func, select, update

from bot.alerts.console import ConsoleTransport
from bot.app import open_database, poll_once, prepare_chats
from bot.catalog.claims import load_seeds, read_seed_file
from bot.catalog.feeds import add_feed
from bot.pipeline.claimset import ClaimSet
from bot.pipeline.fetch import FeedClient
from bot.resources import seeds_path
from bot.settings import DatabaseSettings, Settings
from storage.models import Feed, Sighting, Story


@dataclass(frozen=True, slots=True)
class DemoSummary:
    feeds: int
    stories: int
    sightings: int
    suggestions: int
    alerts_printed: int
    seconds: float

    def line(self) -> str:
        return (
            f"demo: {self.feeds} feeds, {self.stories} stories, {self.sightings} sightings "
            f"({self.suggestions} suggestions), {self.alerts_printed} alerts printed in {self.seconds:.1f}s"
        )


def demo_settings(settings: Settings, workdir: Path) -> Settings:
    """The operator's settings with a fresh SQLite file in ``workdir`` and no token (console alerts)."""
    return settings.model_copy(
        update={
            "database": DatabaseSettings(url=f"sqlite+aiosqlite:///{workdir / 'claimbot.db'}"),
            "telegram": settings.telegram.model_copy(update={"token": SecretStr("")}),
        }
    )


async def run_demo(settings: Settings, workdir: Path, console: ConsoleTransport) -> DemoSummary:
    started = time.perf_counter()
    settings = demo_settings(settings, workdir)
    feeds_dir = workdir / "feeds"
    feeds_dir.mkdir(parents=True, exist_ok=True)
    _copy_day(1, feeds_dir)
    async with open_database(settings) as db, FeedClient(settings.feeds) as client:
        async with db.sessionmaker.begin() as session:
            await load_seeds(session, read_seed_file(seeds_path("claims.jsonl")))
            for path in sorted(feeds_dir.iterdir()):
                await add_feed(session, path.as_uri(), settings.feeds, trusted=True)
        await prepare_chats(db, settings)
        claims = ClaimSet(settings.matching)
        await poll_once(settings, db, client, console, claims)
        _copy_day(2, feeds_dir)
        async with db.sessionmaker.begin() as session:
            await session.execute(
                update(Feed).values(next_check_at=datetime.now(UTC), last_modified=None, etag=None)
            )
        await poll_once(settings, db, client, console, claims)
        async with db.sessionmaker() as session:
            feeds = await session.scalar(select(func.count(Feed.id)))
            stories = await session.scalar(select(func.count(Story.id)))
            sightings = await session.scalar(select(func.count(Sighting.id)))
            suggestions = await session.scalar(
                select(func.count(Sighting.id)).where(Sighting.level == "suggestion")
            )
    return DemoSummary(
        feeds or 0,
        stories or 0,
        sightings or 0,
        suggestions or 0,
        console.printed,
        time.perf_counter() - started,
    )


def _copy_day(day: int, target: Path) -> None:
    for source in sorted(seeds_path("samples", f"day{day}").iterdir()):
        shutil.copyfile(source, target / source.name)
