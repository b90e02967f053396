"""Operating commands: ``db``, ``seed``, ``demo``, ``run`` and ``status``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

import typer

from bot.alerts.console import ConsoleTransport
from bot.app import missing_database, open_database, run_once
from bot.catalog.claims import load_seeds, read_seed_file
from bot.cli.common import async_command, fail, out, run, settings_of
from bot.resources import seeds_path
from bot.settings import Settings
from storage.migrate import current_revision, head_revision

db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)


@db_app.command("upgrade")
@async_command
async def upgrade(settings: Settings) -> None:
    """Create the database or bring its schema up to date (safe to repeat)."""
    async with open_database(settings) as db:
        out.print(f"database at revision {await current_revision(db.engine)}: {db.engine.url!r}")


@db_app.command("current")
@async_command
async def current(settings: Settings) -> None:
    """Print the schema revision of the database and of this release."""
    async with open_database(settings, migrate=False, existing=True) as db:
        out.print(
            f"database: {await current_revision(db.engine) or 'empty'}; this release: {head_revision()}"
        )


@async_command
async def seed(
    settings: Settings,
    file: Annotated[
        Path | None, typer.Argument(help="A claims JSON-lines file; the bundled seed claims when left out.")
    ] = None,
) -> None:
    """Load the seed claims (idempotent: claims already there, by slug, are kept)."""
    seeds = read_seed_file(file or seeds_path("claims.jsonl"))
    async with open_database(settings) as db, db.sessionmaker.begin() as session:
        added, kept = await load_seeds(session, seeds)
    out.print(f"seed claims: {added} added, {kept} already there")


def demo(
    ctx: typer.Context,
    keep: Annotated[
        Path | None,
        typer.Option(help="Keep the demo database and feeds in this folder instead of a temporary one."),
    ] = None,
) -> None:
    """Run the whole pipeline once over the bundled sample feeds: no token, no network; prints the alerts."""
    from bot.cli.demo import run_demo

    settings = settings_of(ctx)
    console = ConsoleTransport()
    if keep is not None:
        try:
            keep.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"cannot create the --keep folder {keep}: {exc.strerror}")
        summary = run(run_demo(settings, keep, console))
    else:
        with tempfile.TemporaryDirectory(prefix="claimbot-demo-") as tmp:
            summary = run(run_demo(settings, Path(tmp), console))
    out.print(summary.line())


def run_command(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Poll every due feed once, drain the outbox, exit.")
    ] = False,
    role: Annotated[
        str, typer.Option(help="all, worker (feeds and matching) or bot (Telegram and sending).")
    ] = "all",
    grace: Annotated[
        float | None,
        typer.Option(min=0, help="Seconds to let running jobs finish on SIGTERM (daemon.grace)."),
    ] = None,
) -> None:
    """Run the daemon, or one tick with --once (exit 0 ok, 1 config/database error, 3 every feed failed)."""
    settings = settings_of(ctx)
    if role not in ("all", "worker", "bot"):
        fail(f"--role must be all, worker or bot, not {role!r}")
    if once:
        summary = run(run_once(settings))
        if summary.all_failed:
            raise typer.Exit(3)
        return
    from bot.daemon import run_daemon

    run(run_daemon(settings, role=_role(role), grace=grace))


def _role(role: str) -> Literal["all", "worker", "bot"]:
    return "worker" if role == "worker" else "bot" if role == "bot" else "all"


@async_command
async def status(settings: Settings) -> None:
    """What an operator asks first: last tick, feed health, recent stories and sightings, outbox backlog."""
    from bot.cli.status import print_status

    if (path := missing_database(settings)) is not None:
        out.print(f"last tick never: no database at {path} yet (nothing has run with these settings)")
        return
    async with open_database(settings, existing=True) as db, db.sessionmaker() as session:
        await print_status(session, out)
