"""How a sighting's facts differ from a claim's current state, and when a sighting becomes that state.

The one rule behind every comparison: a fact the sentence does not mention is no change. A vague figure
made exact ("hundreds of tanks" -> "180 tanks") is a change; an exact figure restated vaguely is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.matching import gazetteer
from bot.matching.facts import STATUS_FAMILY
from bot.matching.types import Change, Facts, Quantity

FIELDS = ("amount", "count", "percent", "date", "party", "status", "polarity")
_TOLERANCE = 0.01
_VAGUE_RATIO = 4.0


def _agree(old: Quantity, new: Quantity) -> bool:
    """Whether ``new`` restates ``old``: same unit and value, or vaguer ('$6.5bn' -> 'billions')."""
    if old.unit and new.unit and old.unit != new.unit:
        return False
    if old.value is None or new.value is None:
        return old.exact == new.exact or not new.exact
    if not new.exact and not old.exact:  # 'hundreds' and 'several hundred' agree, 'dozens' does not
        return max(old.value, new.value) <= _VAGUE_RATIO * min(old.value, new.value)
    if not new.exact:
        return new.value / 2 <= old.value < new.value * 10
    if not old.exact:
        return False
    return abs(old.value - new.value) <= _TOLERANCE * max(abs(old.value), 1e-9)


def _quantities(
    name: str, old: tuple[Quantity, ...], new: tuple[Quantity, ...], by_unit: bool
) -> list[Change]:
    """Pairs each figure of the sentence with the claim's figure of the same unit (counts) or any (others)."""
    changes = []
    for q in new:
        peers = [o for o in old if o.unit == q.unit] if by_unit else list(old)
        if peers and not any(_agree(o, q) for o in peers):
            changes.append(Change(name, ", ".join(o.raw for o in peers), q.raw))
    return changes


def _same_party(a: str, b: str) -> bool:
    return a == b or a.split()[-1] == b.split()[-1]


def _known(party: str, among: Iterable[str]) -> bool:
    return any(_same_party(party, other) for other in among)


def _is(party: str, kind: str) -> bool:
    return gazetteer.kind_of(party) == kind


def _parties(old: Facts, new: Facts) -> list[Change]:
    """'+ X' when a list naming the claim's party grows; 'A → B' when someone else takes a party's place.

    A party the sentence leaves out is no change ('Britain, France and Germany' restates a claim naming
    Italy too); regions ('Europe', 'European partners') are audiences, never parties that join or replace.
    """
    region = gazetteer.KIND_REGION
    changes: list[Change] = []
    for group in new.groups:
        if any(_known(p, old.parties) for p in group):
            new_names = [p for p in sorted(group) if not _known(p, old.parties) and not _is(p, region)]
            changes += [Change("party", "", f"+ {p}") for p in new_names]
    grouped = {p for g in new.groups for p in g}
    added = [p for p in new.order or sorted(new.parties) if not _known(p, old.parties) and p not in grouped]
    gone = [p for p in old.order or sorted(old.parties) if not _known(p, new.parties)]
    people = [p for p in added if _is(p, gazetteer.KIND_PERSON)]
    named = {gazetteer.acts_for(p) for p in old.parties}
    others = [
        p
        for p in added
        if not _is(p, gazetteer.KIND_PERSON) and not _is(p, region) and gazetteer.acts_for(p) not in named
    ]
    for party in gone:
        if _is(party, region) or any(party in g for g in old.groups):
            continue
        pool = people if _is(party, gazetteer.KIND_PERSON) else others
        if pool:
            changes.append(Change("party", party, pool.pop(0)))
    if old.order and new.order and not changes:
        changes += _actor(old, new)
    return changes


def _actor(old: Facts, new: Facts) -> list[Change]:
    """A claim about a country or body ('The US insists') restated of a person acting for someone else."""
    first, actor = old.order[0], new.order[0]
    if (
        _is(first, gazetteer.KIND_PERSON)
        or any(first in g for g in old.groups)
        or not _is(actor, gazetteer.KIND_PERSON)
        or _known(actor, old.parties)
        or gazetteer.acts_for(actor) == gazetteer.acts_for(first)
    ):
        return []
    return [Change("party", first, actor)]


def compare(old: Facts, new: Facts) -> tuple[Change, ...]:
    """Differences from the claim's current facts (``old``) to a sighting's (``new``), in FIELDS order."""
    changes = _quantities("amount", old.amounts, new.amounts, by_unit=False)
    changes += _quantities("count", old.counts, new.counts, by_unit=True)
    changes += _quantities("percent", old.percents, new.percents, by_unit=False)
    if old.dates and new.dates and not set(old.dates) & set(new.dates):
        changes.append(Change("date", ", ".join(old.dates), ", ".join(new.dates)))
    changes += _parties(old, new)
    if (
        old.status
        and new.status
        and STATUS_FAMILY.get(old.status, old.status) != STATUS_FAMILY.get(new.status, new.status)
    ):
        changes.append(Change("status", old.status, new.status))
    if old.polarity != new.polarity:
        changes.append(Change("polarity", old.polarity, new.polarity))
    return tuple(changes)


def should_apply(
    *,
    kind: str,
    score: float,
    alert_threshold: float,
    story_published: datetime | None,
    current_published: datetime | None,
) -> bool:
    """Whether a sighting becomes the claim's new current state.

    A ``changed`` sighting at or above the alert threshold is applied unless its story is older than the
    story behind the current state (then it is recorded, not applied). Unknown dates never block.
    """
    if kind != "changed" or score < alert_threshold:
        return False
    if story_published is None or current_published is None:
        return True
    return story_published >= current_published
