"""``claimbot claims``: add, list, show, edit, archive and revert tracked claims."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from bot.app import open_database
from bot.catalog.claims import create_claim, edit_claim
from bot.cli import extract
from bot.cli.common import UserError, async_command, out
from bot.settings import Settings
from bot.timetext import ago
from storage import claims as queries
from storage import sightings
from storage.models import Claim

app = typer.Typer(help="Manage the tracked claims.", no_args_is_help=True)

ClaimRef = Annotated[str, typer.Argument(help="Claim id (12 or #12) or slug.")]


async def _claim(session: object, ref: str) -> Claim:
    claim = await queries.find_claim(session, ref)  # type: ignore[arg-type]
    if claim is None:
        raise UserError(f"no claim {ref!r}; see `claimbot claims list`")
    return claim


@app.command("add")
@async_command
async def add(
    settings: Settings,
    text: Annotated[str, typer.Argument(help="The claim, 3 to 500 characters.")],
    slug: Annotated[
        str | None, typer.Option(help="A stable short name, e.g. poland-korea-arms-deal.")
    ] = None,
    alias: Annotated[list[str] | None, typer.Option(help="Another wording (repeatable).")] = None,
) -> None:
    """Track a new claim."""
    async with open_database(settings) as db, db.sessionmaker.begin() as session:
        claim = await create_claim(session, text, slug=slug, aliases=alias or (), source="cli")
        out.print(f"added claim #{claim.id}: {claim.text}")


@app.command("list")
@async_command
async def list_(
    settings: Settings,
    all_: Annotated[bool, typer.Option("--all", help="Include archived claims.")] = False,
) -> None:
    """List claims with their sightings, last seen time and feedback."""
    async with open_database(settings, existing=True) as db, db.sessionmaker() as session:
        claims = await queries.list_claims(session, include_archived=all_)
        stats = await queries.sighting_stats(session)
    table = Table("id", "slug", "claim", "seen", "last seen", "✅/❌", "thresholds", box=None)
    for claim in claims:
        seen, last, good, bad = stats.get(claim.id, (0, None, 0, 0))
        bars = f"{claim.alert_threshold or '-'}/{claim.suggest_threshold or '-'}"
        text = Text(f"(archived) {claim.text}", style="dim") if claim.archived else claim.text
        table.add_row(str(claim.id), claim.slug or "", text, str(seen), ago(last), f"{good}/{bad}", bars)
    out.print(table if claims else "no claims yet: `claimbot seed` or `claimbot claims add TEXT`")


@app.command("show")
@async_command
async def show(settings: Settings, ref: ClaimRef) -> None:
    """Show a claim's states over time and its latest sightings."""
    async with open_database(settings, existing=True) as db, db.sessionmaker() as session:
        claim = await _claim(session, ref)
        states = await queries.states_of(session, claim.id)
        seen = await sightings.sightings_of(session, claim.id, limit=20)
    out.print(Text.assemble((f"#{claim.id}", "bold"), " ", claim.text))
    if claim.article_link or claim.article_title:
        source = " ".join(x for x in (claim.article_title, claim.article_date, claim.article_link) if x)
        out.print(f"  from the article: {source}", markup=False)
    for number, state in enumerate(states, start=1):
        mark = " (reverted)" if state.reverted_at else ""
        out.print(f"  state {number}{mark}: {state.note or '—'}  [{ago(state.created_at)}]")
    for s in seen:
        flag = "suggestion" if s.level == "suggestion" else s.kind
        out.print(f"  {s.created_at:%Y-%m-%d} {flag:<10} {s.score:5.1f}  {s.story_title}")
        for change in s.changes:
            out.print(f"      {change}")


@app.command("edit")
@async_command
async def edit(
    settings: Settings,
    ref: ClaimRef,
    text: Annotated[str | None, typer.Option(help="New wording (starts a new state).")] = None,
    alias: Annotated[list[str] | None, typer.Option(help="Replace the aliases (repeatable).")] = None,
    alert: Annotated[float | None, typer.Option(min=0, max=100, help="This claim's alert threshold.")] = None,
    suggest: Annotated[
        float | None, typer.Option(min=0, max=100, help="This claim's suggest threshold.")
    ] = None,
) -> None:
    """Change a claim's wording, aliases or thresholds."""
    async with open_database(settings, existing=True) as db, db.sessionmaker.begin() as session:
        claim = await _claim(session, ref)
        await edit_claim(session, claim, text=text, aliases=alias)
        if alert is not None:
            claim.alert_threshold = alert
        if suggest is not None:
            claim.suggest_threshold = suggest
        bar_alert = claim.alert_threshold or settings.matching.alert_threshold
        bar_suggest = claim.suggest_threshold or settings.matching.suggest_threshold
        if bar_suggest > bar_alert:
            raise UserError(
                f"the suggest threshold ({bar_suggest}) must not exceed the alert one ({bar_alert})"
            )
        out.print(f"updated claim #{claim.id}")


@app.command("archive")
@async_command
async def archive(settings: Settings, ref: ClaimRef) -> None:
    """Stop matching a claim (its history stays)."""
    async with open_database(settings, existing=True) as db, db.sessionmaker.begin() as session:
        claim = await _claim(session, ref)
        claim.archived = True
        out.print(f"archived claim #{claim.id}")


@app.command("revert")
@async_command
async def revert(settings: Settings, ref: ClaimRef) -> None:
    """Undo the claim's current state: the one before it becomes current again."""
    async with open_database(settings, existing=True) as db, db.sessionmaker.begin() as session:
        claim = await _claim(session, ref)
        state = await queries.revert_state(session, claim.id)
        if state is None:
            raise UserError(f"claim #{claim.id} has only its first state; nothing to revert")
        out.print(f"claim #{claim.id} is back to the state from {state.created_at:%Y-%m-%d %H:%M}")


extract.register(app)
