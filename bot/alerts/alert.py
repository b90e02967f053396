"""What a subscriber is told: an :class:`Alert` about a sighting, or a :class:`Notice` about anything else."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    link: str | None


@dataclass(frozen=True, slots=True)
class Alert:
    """A sighting, as a subscriber is told about it."""

    claim_id: int
    claim_text: str
    kind: str
    score: float
    headline: str
    link: str | None
    sentence: str
    terms: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    sighting_id: int | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """A message that is not about a claim (a feed switched off, ...)."""

    title: str
    body: str
