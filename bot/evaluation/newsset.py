"""The frozen real-news set: real RSS entries, twenty claims, blind labels, a tune and a check half.

The files are checked against the SHA-256 sums recorded when the set was frozen; any other content is
refused, so a figure measured on the set always means the same labels.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.errors import DatasetError as DatasetError

Label = Literal["recurs", "changed", "none"]
Half = Literal["tune", "check"]
HALVES: tuple[Half, ...] = ("tune", "check")
SPLIT_SEED = 20261203
FILES = ("claims.jsonl", "entries.jsonl")
FROZEN: dict[str, str] = {
    "claims.jsonl": "32b6d8b65a6cf27d97560b69e4ab430caec0ab55735fd8ed2b5070cc55885e2e",
    "entries.jsonl": "b7e67509fc0ffdee26dd3b0cbaa85ece10a0c2a3125f6560f2781f218db99799",
}
"""SHA-256 of each file at the freeze: the evaluation refuses any other content."""


@dataclass(frozen=True, slots=True)
class NewsClaim:
    id: str
    topic: str
    text: str


@dataclass(frozen=True, slots=True)
class Gold:
    """The settled label of one (entry, claim) pair; ``changes`` names the changed fields of a ``changed``."""

    label: Label
    changes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    title: str
    summary: str
    language: str
    found_by: str
    topics: tuple[str, ...]
    gold: dict[str, Gold]
    """Labels by claim id; a claim that is not listed is ``none`` (the entry is not on its topic)."""


@dataclass(frozen=True, slots=True)
class NewsHalf:
    name: Half
    claims: tuple[NewsClaim, ...]
    entries: tuple[Entry, ...]

    def gold(self, entry: Entry, claim_id: str) -> Gold:
        return entry.gold.get(claim_id, Gold("none"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def checksums(folder: Path) -> dict[str, str]:
    """The SHA-256 of each file of the set, checked against :data:`FROZEN` (refuses any other content)."""
    sums = {}
    for name in FILES:
        path = folder / name
        if not path.is_file():
            raise DatasetError(f"{path} is missing: give --dataset the folder of the real-news set")
        sums[name] = sha256(path)
        if FROZEN and FROZEN.get(name) != sums[name]:
            raise DatasetError(
                f"{path} is not the frozen file (sha256 {sums[name][:12]}…, frozen {FROZEN[name][:12]}…):"
                " evaluate only on the frozen set"
            )
    return sums


def _lines(path: Path) -> Iterable[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DatasetError(f"{path}:{n}: invalid JSON ({exc.msg})") from None


def load_claims(folder: Path) -> list[NewsClaim]:
    return [NewsClaim(str(o["id"]), str(o["topic"]), str(o["text"])) for o in _lines(folder / "claims.jsonl")]


def load_entries(folder: Path) -> list[Entry]:
    out = []
    for o in _lines(folder / "entries.jsonl"):
        labels = o.get("labels") or {}
        assert isinstance(labels, dict)
        gold = {cid: Gold(v["label"], frozenset(v.get("changes") or ())) for cid, v in labels.items()}
        topics = o.get("topics") or []
        assert isinstance(topics, list)
        out.append(
            Entry(
                str(o["id"]),
                str(o.get("title") or ""),
                str(o.get("summary") or ""),
                str(o.get("language") or ""),
                str(o.get("found_by") or ""),
                tuple(map(str, topics)),
                gold,
            )
        )
    return out


def split(claims: list[NewsClaim], entries: list[Entry], seed: int = SPLIT_SEED) -> dict[Half, NewsHalf]:
    """Claims split within each topic (every other claim of a shuffled topic), ordinary news at random.

    An on-topic entry belongs to the half of any of its topic's claims (its labels against the other
    half's claims are never read there); an entry on no topic goes to one half at random.
    """
    rng = random.Random(seed)
    by_topic: dict[str, list[NewsClaim]] = {}
    for c in sorted(claims, key=lambda c: c.id):
        by_topic.setdefault(c.topic, []).append(c)
    tune: list[NewsClaim] = []
    check: list[NewsClaim] = []
    flip = 0
    for topic in sorted(by_topic):
        group = by_topic[topic]
        rng.shuffle(group)
        for i, c in enumerate(group):
            (tune if (i + flip) % 2 == 0 else check).append(c)
        flip += len(group) % 2  # odd topics alternate which half gets the extra claim
    halves: dict[Half, NewsHalf] = {}
    ordinary = sorted((e for e in entries if not e.topics), key=lambda e: e.id)
    rng.shuffle(ordinary)
    cut = len(ordinary) // 2
    parts: tuple[tuple[Half, list[NewsClaim], list[Entry]], ...] = (
        ("tune", tune, ordinary[:cut]),
        ("check", check, ordinary[cut:]),
    )
    for name, cs, extra in parts:
        topics = {c.topic for c in cs}
        on = [e for e in entries if set(e.topics) & topics]
        halves[name] = NewsHalf(name, tuple(sorted(cs, key=lambda c: c.id)), tuple(on + extra))
    return halves
