"""Plain data shared by matching, change detection and the pipeline (no I/O, JSON-friendly)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["recurs", "changed"]


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number as written (``raw``) and as understood (``value``, ``unit``; ``exact`` False: 'hundreds')."""

    raw: str
    value: float | None
    unit: str = ""
    exact: bool = True


@dataclass(frozen=True, slots=True)
class Facts:
    """What a claim or sentence asserts, beyond its words."""

    amounts: tuple[Quantity, ...] = ()
    counts: tuple[Quantity, ...] = ()
    percents: tuple[Quantity, ...] = ()
    dates: tuple[str, ...] = ()
    parties: frozenset[str] = frozenset()
    status: str | None = None
    polarity: Literal["affirms", "denies"] = "affirms"
    groups: tuple[frozenset[str], ...] = ()
    """Parties named together in one list ("Poland and Romania"): where a party added to a claim shows."""
    order: tuple[str, ...] = ()
    """``parties`` in order of first mention: the first is usually who acts."""

    def to_json(self) -> dict[str, Any]:
        def qs(items: tuple[Quantity, ...]) -> list[dict[str, Any]]:
            return [{"raw": q.raw, "value": q.value, "unit": q.unit, "exact": q.exact} for q in items]

        return {
            "amounts": qs(self.amounts),
            "counts": qs(self.counts),
            "percents": qs(self.percents),
            "dates": list(self.dates),
            "parties": sorted(self.parties),
            "status": self.status,
            "polarity": self.polarity,
            "groups": [sorted(g) for g in self.groups],
            "order": list(self.order),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Facts:
        def qs(items: list[dict[str, Any]] | None) -> tuple[Quantity, ...]:
            return tuple(Quantity(**q) for q in items or [])

        return cls(
            amounts=qs(data.get("amounts")),
            counts=qs(data.get("counts")),
            percents=qs(data.get("percents")),
            dates=tuple(data.get("dates") or ()),
            parties=frozenset(data.get("parties") or ()),
            status=data.get("status"),
            polarity=data.get("polarity", "affirms"),
            groups=tuple(frozenset(g) for g in data.get("groups") or ()),
            order=tuple(data.get("order") or ()),
        )


@dataclass(frozen=True, slots=True)
class Change:
    """A difference between a claim's current facts and a sighting's (``count: hundreds → 180 tanks``)."""

    field: str
    old: str
    new: str

    def __str__(self) -> str:
        if not self.old or not self.new:  # an addition or removal: ``party: + Romania``
            return f"{self.field}: {self.old or self.new}"
        return f"{self.field}: {self.old} → {self.new}"


@dataclass(frozen=True, slots=True)
class ClaimSpec:
    """A claim as the matcher sees it; ``facts`` is its current state (None: extract from ``text``)."""

    id: Hashable
    text: str
    aliases: tuple[str, ...] = ()
    facts: Facts | None = None


@dataclass(frozen=True, slots=True)
class StoryDoc:
    """A story as the matcher sees it: clean text, no HTML."""

    id: Hashable
    title: str
    summary: str = ""
    content: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    """A claim stated by one sentence of a story."""

    claim_id: Hashable
    score: float
    sentence: str
    kind: Kind
    changes: tuple[Change, ...] = ()
    facts: Facts = field(default_factory=Facts)
    terms: tuple[str, ...] = ()
    """Words of ``sentence`` that matched the claim (alerts set them in bold)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    claim_id: Hashable
    score: float
