"""``claimbot claims extract``: the claims worth tracking in an article (a file or a link), maybe added."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from bot.app import open_database
from bot.articles.article import Article, ArticleError, remember
from bot.articles.proposals import DEFAULT_LIMIT, Proposal, claims_in
from bot.articles.source import fetch_article, read_file
from bot.catalog.claims import create_claim
from bot.cli.common import UserError, async_command, out
from bot.pipeline.claimset import ClaimSet
from bot.settings import Settings


@async_command
async def extract(
    settings: Settings,
    source: Annotated[str, typer.Argument(help="A saved article (HTML or text) or an http(s) link.")],
    limit: Annotated[int, typer.Option(min=1, max=100, help="Most claims to propose.")] = DEFAULT_LIMIT,
    add: Annotated[
        bool, typer.Option("--add", help="Track the proposed claims (near-duplicates skipped).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Propose the claims worth tracking in an article, best first."""
    article, proposals = await _read(source, settings, limit)
    added = await _add(settings, article, proposals) if add else {}
    if as_json:
        sys.stdout.write(json.dumps(_as_json(article, proposals, added), ensure_ascii=False) + "\n")
        return
    out.print(Text.assemble((article.title or "(untitled)", "bold"), " ", _dated(article)))
    for n, p in enumerate(proposals, 1):
        note = added.get(n, "")
        line = Text.assemble(f"{n:>2}. ", (f"{p.score:4.1f}", "dim"), " ", p.text)
        if note:
            line.append(f"  {note}", style="green")
        out.print(line)


async def _read(source: str, settings: Settings, limit: int) -> tuple[Article, list[Proposal]]:
    try:
        if source.lower().startswith(("http://", "https://")):
            article = await fetch_article(source, settings.feeds)
        else:
            path = Path(source)
            if not path.is_file():
                raise UserError(f"no file {source!r}; give a saved article or an http(s) link")
            article = read_file(path, settings.feeds.max_bytes)
        return article, claims_in(article, limit)
    except ArticleError as exc:
        raise UserError(str(exc)) from None


async def _add(settings: Settings, article: Article, proposals: list[Proposal]) -> dict[int, str]:
    """Each proposal added unless a tracked claim is that similar (the same test as /track's offer)."""
    notes: dict[int, str] = {}
    claims = ClaimSet(settings.matching)
    async with open_database(settings) as db, db.sessionmaker.begin() as session:
        await claims.refresh(session)
        for n, p in enumerate(proposals, 1):
            similar = [
                c for c in claims.index.similar(p.text, 1) if c.score >= settings.matching.duplicate_threshold
            ]
            if similar:
                notes[n] = f"already tracked as #{similar[0].claim_id}"
                continue
            claim = await create_claim(session, p.text, source="article")
            remember(claim, article)
            notes[n] = f"added #{claim.id}"
    return notes


def _dated(article: Article) -> str:
    return " · ".join(x for x in (article.date or "", article.link or "") if x)


def _as_json(article: Article, proposals: list[Proposal], added: dict[int, str]) -> dict[str, object]:
    return {
        "title": article.title,
        "link": article.link,
        "date": article.date,
        "claims": [
            {
                "text": p.text,
                "sentence": p.sentence,
                "score": p.score,
                "added": added.get(n),
            }
            for n, p in enumerate(proposals, 1)
        ],
    }


def register(app: typer.Typer) -> None:
    """Add ``extract`` to the ``claims`` command group."""
    app.command("extract")(extract)
