"""The active claims as the matcher sees them: loaded from the database, rebuilt only when they change."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.matching import ClaimIndex, build_index
from bot.matching.engines import Engine, build_matcher, resolve_engine
from bot.matching.types import ClaimSpec, Facts, Match, StoryDoc
from bot.matching.verdict import States
from bot.settings import MatchingSettings
from storage import claims as claim_queries

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ClaimMeta:
    """What the pipeline needs beside the index to act on a match."""

    id: int
    text: str
    alert_threshold: float
    suggest_threshold: float
    state_published_at: datetime | None


class ClaimSet:
    """The matcher's index plus per-claim thresholds; :meth:`refresh` reloads when the claims changed.

    ``matching.engine = "semantic"`` uses the optional extra when it is installed (the encoder loads once,
    claim vectors are kept across rebuilds) and falls back to lexical with one warning when it is not.
    """

    def __init__(self, matching: MatchingSettings, *, encoder: Any = None) -> None:
        self._matching = matching
        self._signature: tuple[Any, ...] | None = None
        self.engine: Engine = resolve_engine(matching.engine)
        self._encoder = encoder
        self._vectors: dict[str, Any] = {}
        self.index: ClaimIndex = build_index([])
        self.meta: dict[int, ClaimMeta] = {}

    def __len__(self) -> int:
        return len(self.meta)

    async def refresh(self, session: AsyncSession) -> bool:
        """Reload from the database if any claim or state changed; True when it did."""
        signature = await claim_queries.claims_signature(session)
        if signature == self._signature:
            return False
        claims = await claim_queries.list_claims(session)
        states = await claim_queries.current_states(session)
        specs: list[ClaimSpec] = []
        meta: dict[int, ClaimMeta] = {}
        for claim in claims:
            state = states.get(claim.id)
            facts = Facts.from_json(state.facts) if state is not None else None
            specs.append(ClaimSpec(id=claim.id, text=claim.text, aliases=tuple(claim.aliases), facts=facts))
            meta[claim.id] = ClaimMeta(
                id=claim.id,
                text=claim.text,
                alert_threshold=_pick(claim.alert_threshold, self._matching.alert_threshold),
                suggest_threshold=_pick(claim.suggest_threshold, self._matching.suggest_threshold),
                state_published_at=state.story_published_at if state is not None else None,
            )
        self.index = await self._build(specs)
        self.meta = meta
        self._signature = signature
        logger.info("claims loaded: %d active", len(meta))
        return True

    async def _build(self, specs: list[ClaimSpec]) -> ClaimIndex:
        if self.engine == "lexical":
            return await asyncio.to_thread(build_index, specs)
        if self._encoder is None:
            from bot.matching.semantic import load_encoder

            self._encoder = await asyncio.to_thread(load_encoder)
        index = await asyncio.to_thread(
            build_matcher, specs, "semantic", encoder=self._encoder, vectors=self._vectors
        )
        self._vectors = dict(getattr(index, "vectors", {}))  # only new wordings are embedded next time
        return index

    def learn(self, states: States) -> None:
        """Take states a committed write set, without a reload: the next matches compare with them."""
        for claim_id, facts in states.facts.items():
            self.index.set_facts(claim_id, facts)

    @property
    def min_score(self) -> float:
        return min((m.suggest_threshold for m in self.meta.values()), default=100.0)

    async def match(
        self, stories: Sequence[StoryDoc], executor: Executor | None = None
    ) -> dict[Hashable, list[Match]]:
        """Matches at or above the lowest suggest threshold, per story id, computed off the event loop.

        With a process pool the index travels with the call (about 15 KB for a dozen claims), so states
        set earlier in the tick are seen; without one a thread does the work.
        """
        if not self.meta or not stories:
            return {}
        if self.engine == "semantic":
            executor = None  # the index holds the model: it stays in this process
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, match_all, self.index, self.min_score, list(stories))


def match_all(index: ClaimIndex, floor: float, stories: list[StoryDoc]) -> dict[Hashable, list[Match]]:
    """Top-level so a process pool can run it."""
    return {story.id: index.match(story, floor) for story in stories}


def _pick(own: float | None, default: float) -> float:
    return default if own is None else own
