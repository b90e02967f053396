"""Check-worthiness: how much a sentence asserts that someone could check (a figure, a party acting, a status,
an attributed statement), as a weighted sum of features the matcher's own facts provide.

The weights were tuned on one half of the CLEF-2019 CheckThat! Task 1 documents (bench/checkworthy_bench.py)
and are reported against the other half.
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass

from bot.matching.facts import extract_facts
from bot.matching.text import terms, words

FEATURES = (
    "figure",
    "digit",
    "quantity",
    "comparison",
    "parties",
    "status",
    "attributed",
    "length",
    "hedged",
    "personal",
    "question",
    "vague",
)
_SPEECH = re.compile(
    r"\b(?:said|says|told|according to|confirmed|announced|reported|stated|claimed|insisted|warned|added)\b",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_HEDGE = frozenset("may might could would perhaps possibly maybe believe think hope feel guess".split())
_PERSONAL = frozenset("i me my we us our you your".split())
_VAGUE = frozenset("thing things something everything nothing stuff lot great good bad".split())
_QUANTITY = frozenset(
    """million millions billion billions trillion thousand thousands hundred hundreds percent cent half double
    doubled tripled times dollars pounds euros""".split()
)
_COMPARISON = frozenset(
    """more less fewer most least higher lower highest lowest increase increased decrease decreased rise rose
    fell fall cut cuts raised grew grown largest biggest smallest first only ever record""".split()
)
_CAPTION = re.compile(r"^[A-Z0-9 ,'’!?-]{6,}:\s")


@dataclass(frozen=True, slots=True)
class Weights:
    figure: float = 1.66
    digit: float = 1.75
    quantity: float = 2.28
    comparison: float = 0.35
    parties: float = 0.49
    status: float = 0.16
    attributed: float = 1.1
    length: float = 2.13
    hedged: float = -2.11
    personal: float = -0.18
    question: float = -0.39
    vague: float = -0.0


TUNED = Weights()
"""The weights in use (see the module docstring for where they come from)."""


def features(sentence: str) -> tuple[float, ...]:
    """The sentence's features, in the order of ``FEATURES`` (each 0..1)."""
    facts = extract_facts(sentence)
    ws = words(sentence)
    informative = len(terms(sentence))
    figure = bool(facts.amounts or facts.counts or facts.percents or facts.dates)
    return (
        float(figure),
        float(bool(_DIGIT.search(sentence))),
        min(sum(w in _QUANTITY for w in ws), 2) / 2,
        min(sum(w in _COMPARISON for w in ws), 2) / 2,
        min(len(facts.parties), 3) / 3,
        float(facts.status is not None),
        float(bool(_SPEECH.search(sentence))),
        min(informative, 12) / 12,
        min(sum(w in _HEDGE for w in ws), 2) / 2,
        min(sum(w in _PERSONAL for w in ws), 3) / 3,
        float(sentence.rstrip(" ’”\"'").endswith("?")),
        min(sum(w in _VAGUE for w in ws), 2) / 2,
    )


CHECKABLE = ("figure", "digit", "quantity", "parties", "status", "attributed")
"""What makes a sentence checkable at all: a number, an amount, a party, a status or an attribution."""


def checkable(sentence: str) -> bool:
    """A statement (not a question) with at least one thing in it someone could check."""
    if sentence.rstrip(" ’”\"'").endswith("?"):
        return False
    return any(f > 0 for name, f in zip(FEATURES, features(sentence), strict=True) if name in CHECKABLE)


def score(sentence: str, weights: Weights = TUNED) -> float:
    """How worth checking ``sentence`` is (higher is more; comparable only between sentences)."""
    if _CAPTION.match(sentence):  # 'BETTER CALL KEIR: …': a picture caption, not the story's own sentence
        return -10.0
    values: tuple[float, ...] = astuple(weights)
    return sum(w * f for w, f in zip(values, features(sentence), strict=True))
