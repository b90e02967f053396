"""``claimbot feeds``: add, list, remove, enable, disable, import and export (OPML) feeds."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.app import open_database
from bot.catalog.feeds import add_feed, as_url, export_opml, import_opml
from bot.catalog.opml import OpmlError
from bot.cli.common import UserError, async_command, err, out
from bot.pipeline.urlguard import redact
from bot.settings import Settings
from bot.timetext import ago
from storage import feeds as queries
from storage.models import Feed

app = typer.Typer(help="Manage the feeds that are polled.", no_args_is_help=True)

FeedId = Annotated[int, typer.Argument(help="Feed id, as `claimbot feeds list` shows it.")]


def state_of(feed: Feed) -> str:
    if not feed.active:
        return "deactivated" if feed.error_count else "disabled"
    if feed.error_count:
        return f"failing ({feed.error_count})"
    return "ok" if feed.last_ok_at else "new"


@app.command("add")
@async_command
async def add(
    settings: Settings,
    url: Annotated[str, typer.Argument(help="http(s) URL, file:// URL or a local file path.")],
    title: Annotated[str, typer.Option(help="A name to show instead of the URL.")] = "",
) -> None:
    """Add a feed; its first poll is a baseline (stored and matched, not pushed)."""
    async with open_database(settings) as db, db.sessionmaker.begin() as session:
        try:
            feed = await add_feed(session, as_url(url), settings.feeds, trusted=True, title=title)
        except queries.FeedExistsError as exc:
            raise UserError(f"this URL is already feed #{exc.feed.id}") from None
        out.print(f"added feed #{feed.id}: {redact(feed.url)}")


@app.command("list")
@async_command
async def list_(settings: Settings) -> None:
    """List feeds with their health."""
    async with open_database(settings, existing=True) as db, db.sessionmaker() as session:
        feeds = await queries.list_feeds(session)
    table = Table("id", "state", "title / url", "last ok", "next check", "last error", box=None)
    for feed in feeds:
        name = feed.title or redact(feed.url)
        nxt = ago(feed.next_check_at) if feed.active else "-"
        table.add_row(
            str(feed.id), state_of(feed), name, ago(feed.last_ok_at), nxt, (feed.last_error or "")[:60]
        )
    out.print(table if feeds else "no feeds yet: `claimbot feeds add URL` or `claimbot feeds import FILE`")


async def _set_active(settings: Settings, feed_id: int, active: bool) -> None:
    async with open_database(settings, existing=True) as db, db.sessionmaker.begin() as session:
        feed = await queries.get_feed(session, feed_id)
        if feed is None:
            raise UserError(f"no feed #{feed_id}; see `claimbot feeds list`")
        feed.active = active
        if active:
            feed.error_count = 0
            feed.next_check_at = feed.created_at if feed.last_checked_at is None else feed.next_check_at
        out.print(f"feed #{feed_id} {'enabled' if active else 'disabled'}")


@app.command("enable")
@async_command
async def enable(settings: Settings, feed_id: FeedId) -> None:
    """Poll a disabled or deactivated feed again (its failure count restarts)."""
    await _set_active(settings, feed_id, True)


@app.command("disable")
@async_command
async def disable(settings: Settings, feed_id: FeedId) -> None:
    """Stop polling a feed (its stories stay)."""
    await _set_active(settings, feed_id, False)


@app.command("remove")
@async_command
async def remove(settings: Settings, feed_id: FeedId) -> None:
    """Remove a feed (stories stay; the feed's record of seen items goes)."""
    async with open_database(settings, existing=True) as db, db.sessionmaker.begin() as session:
        if not await queries.remove_feed(session, feed_id):
            raise UserError(f"no feed #{feed_id}; see `claimbot feeds list`")
        out.print(f"removed feed #{feed_id}")


@app.command("import")
@async_command
async def import_(
    settings: Settings,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="An OPML file.")],
) -> None:
    """Add every feed of an OPML file; bad entries are reported one per line and skipped."""
    async with open_database(settings) as db, db.sessionmaker.begin() as session:
        try:
            report = await import_opml(session, file.read_bytes(), settings.feeds, trusted=True)
        except OpmlError as exc:
            raise UserError(f"{file}: {exc}") from None
    for problem in report.problems:
        err.print(f"skipped: {problem}")
    out.print(f"imported {len(report.added)} feed(s), skipped {len(report.problems)}")


@app.command("export")
@async_command
async def export(
    settings: Settings,
    file: Annotated[Path | None, typer.Argument(help="Where to write; stdout when left out.")] = None,
) -> None:
    """Write every feed as OPML."""
    async with open_database(settings, existing=True) as db, db.sessionmaker() as session:
        data = export_opml(await queries.list_feeds(session))
    if file is None:
        sys.stdout.buffer.write(data)
    else:
        try:
            file.write_bytes(data)
        except OSError as exc:
            raise UserError(f"cannot write {file}: {exc.strerror}") from None
        err.print(f"wrote {file}")
