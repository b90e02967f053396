"""Creating and changing claims: validation, facts from the text, seeds (storage cannot extract facts)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import ClaimError as ClaimError
from bot.matching.facts import extract_facts
from storage import claims as claim_queries
from storage.models import Claim

MIN_LENGTH = 3
MAX_LENGTH = 500
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")


def clean_text(text: str) -> str:
    """The claim text with whitespace folded; raises :class:`ClaimError` when too short or too long."""
    folded = " ".join(text.split())
    if len(folded) < MIN_LENGTH or not any(ch.isalnum() for ch in folded):
        raise ClaimError(f"a claim needs at least {MIN_LENGTH} characters of text")
    if len(folded) > MAX_LENGTH:
        raise ClaimError(f"a claim can have at most {MAX_LENGTH} characters (this one has {len(folded)})")
    return folded


async def create_claim(
    session: AsyncSession,
    text: str,
    *,
    slug: str | None = None,
    aliases: Sequence[str] = (),
    source: str = "",
    source_date: str | None = None,
    created_by_chat: int | None = None,
) -> Claim:
    text = clean_text(text)
    if slug is not None:
        if not _SLUG.match(slug):
            raise ClaimError(f"slug {slug!r} must be lowercase letters, digits and dashes")
        if await claim_queries.get_claim_by_slug(session, slug) is not None:
            raise ClaimError(f"slug {slug!r} is already taken")
    return await claim_queries.add_claim(
        session,
        text,
        extract_facts(text).to_json(),
        slug=slug,
        aliases=[clean_text(alias) for alias in aliases],
        source=source,
        source_date=source_date,
        created_by_chat=created_by_chat,
    )


async def edit_claim(
    session: AsyncSession, claim: Claim, *, text: str | None, aliases: Sequence[str] | None
) -> None:
    """Change a claim's wording; a new text starts a new state from its facts."""
    if aliases is not None:
        claim.aliases = [clean_text(alias) for alias in aliases]
    if text is not None and clean_text(text) != claim.text:
        claim.text = clean_text(text)
        await claim_queries.add_state(
            session,
            claim.id,
            extract_facts(claim.text).to_json(),
            story_id=None,
            story_published_at=None,
            sighting_id=None,
            note="text edited by the operator",
        )
    await session.flush()


@dataclass(frozen=True, slots=True)
class SeedClaim:
    slug: str
    text: str
    aliases: tuple[str, ...]
    date: str | None
    source: str


def read_seed_file(path: Path) -> list[SeedClaim]:
    """Claims from a JSON-lines file (``id``/``slug``, ``text``, ``aliases``, ``date``, ``source``)."""
    seeds: list[SeedClaim] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise ClaimError(f"{path} is not a UTF-8 text file; give a claims JSON-lines file") from None
    except OSError as exc:
        raise ClaimError(f"cannot read {path}: {exc.strerror}; give a claims JSON-lines file") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            seeds.append(
                SeedClaim(
                    slug=str(data.get("slug") or data["id"]),
                    text=str(data["text"]),
                    aliases=tuple(str(a) for a in data.get("aliases") or ()),
                    date=data.get("date"),
                    source=str(data.get("source") or ""),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ClaimError(f"{path}:{number}: not a claim record ({exc})") from None
    return seeds


async def load_seeds(session: AsyncSession, seeds: Sequence[SeedClaim]) -> tuple[int, int]:
    """Add the seed claims not present yet (by slug); returns (added, already there)."""
    added = 0
    for seed in seeds:
        if await claim_queries.get_claim_by_slug(session, seed.slug) is not None:
            continue
        await create_claim(
            session,
            seed.text,
            slug=seed.slug,
            aliases=seed.aliases,
            source=seed.source,
            source_date=seed.date,
        )
        added += 1
    return added, len(seeds) - added
