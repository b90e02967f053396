"""What the matches of new stories become: sightings at a level, and the claims' next states.

Pure and judged once per story: the store writes what :func:`judge` returns and decides nothing itself.
A state set by an earlier story of the same write is what later stories compare with, as if it had
been committed before they were matched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, Protocol

from bot.matching.changes import compare, should_apply
from bot.matching.types import Facts, Match

Level = Literal["alert", "suggestion"]


class Thresholds(Protocol):
    """What judging needs to know of a claim."""

    @property
    def id(self) -> int: ...
    @property
    def alert_threshold(self) -> float: ...
    @property
    def suggest_threshold(self) -> float: ...
    @property
    def state_published_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class NewStory:
    """A story stored by this write, with the matches the matcher found in it."""

    id: int
    published_at: datetime | None
    matches: Sequence[Match]


@dataclass(frozen=True, slots=True)
class Verdict:
    """One sighting to store: its match (kind and changes as judged), its level, the state it sets."""

    claim_id: int
    story_id: int
    match: Match
    level: Level
    state: Facts | None = None
    """The claim's new current state when this alert moves it; None when it does not."""


@dataclass(slots=True)
class States:
    """The claims' states set so far by the write, with the publication time of the story behind each."""

    facts: dict[int, Facts] = field(default_factory=dict)
    published: dict[int, datetime | None] = field(default_factory=dict)

    def update(self, other: States) -> None:
        self.facts.update(other.facts)
        self.published.update(other.published)


def merged(old: Facts, new: Facts) -> Facts:
    """The claim's next state: what the sentence states replaces, what it leaves out is kept."""
    updates = {
        name: getattr(new, name)
        for name in ("amounts", "counts", "percents", "dates", "parties", "groups", "order", "status")
        if getattr(new, name)
    }
    return replace(old, polarity=new.polarity, **updates)


def level_of(score: float, claim: Thresholds) -> Level | None:
    """Nothing below the suggestion threshold; an alert at or above the alert threshold; else a suggestion."""
    if score < claim.suggest_threshold:
        return None
    return "alert" if score >= claim.alert_threshold else "suggestion"


def rejudged(match: Match, current: Facts | None) -> Match:
    """The match compared with ``current``, a state an earlier story of this write set (None: as matched)."""
    if current is None:
        return match
    changes = compare(current, match.facts)
    return replace(match, kind="changed" if changes else "recurs", changes=changes)


def judge(
    stories: Sequence[NewStory],
    claims: Mapping[int, Thresholds],
    states: States,
    facts_of: Callable[[int], Facts],
) -> list[Verdict]:
    """The sightings of ``stories`` in story order; ``states`` gains the states they set.

    A match of an unknown claim, below the suggestion threshold or repeating a (claim, story) pair is
    dropped. Alerts of one story apply after the whole story is judged, so its matches all compare with
    the state before it.
    """
    verdicts: list[Verdict] = []
    pairs: set[tuple[int, int]] = set()
    for story in stories:
        judged: list[Verdict] = []
        for match in story.matches:
            claim = claims.get(int(match.claim_id))  # type: ignore[call-overload]
            if claim is None or (claim.id, story.id) in pairs:
                continue
            level = level_of(match.score, claim)
            if level is None:
                continue
            pairs.add((claim.id, story.id))
            judged.append(Verdict(claim.id, story.id, rejudged(match, states.facts.get(claim.id)), level))
        for i, verdict in enumerate(judged):
            if verdict.level == "alert":
                judged[i] = _with_state(verdict, story, claims[verdict.claim_id], states, facts_of)
        verdicts += judged
    return verdicts


def _with_state(
    verdict: Verdict,
    story: NewStory,
    claim: Thresholds,
    states: States,
    facts_of: Callable[[int], Facts],
) -> Verdict:
    """A changed alert becomes the claim's current state unless its story is older than the current one's."""
    match = verdict.match
    if not should_apply(
        kind=match.kind,
        score=match.score,
        alert_threshold=claim.alert_threshold,
        story_published=story.published_at,
        current_published=states.published.get(claim.id, claim.state_published_at),
    ):
        return verdict
    state = merged(states.facts.get(claim.id) or facts_of(claim.id), match.facts)
    states.facts[claim.id] = state
    states.published[claim.id] = story.published_at
    return replace(verdict, state=state)
