"""What a match becomes, as tables: level, kind against the state an earlier story set, the new state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.matching.types import Facts, Match, Quantity
from bot.matching.verdict import NewStory, States, Verdict, judge, level_of

HUNDREDS = Quantity("hundreds of tanks", 100.0, "tank", exact=False)
EXACT = Quantity("180 tanks", 180.0, "tank")
MORE = Quantity("250 tanks", 250.0, "tank")
OLD = Facts(counts=(HUNDREDS,), status="signs")
JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Claim:
    id: int
    alert_threshold: float = 70.0
    suggest_threshold: float = 50.0
    state_published_at: datetime | None = None


CLAIMS = {1: Claim(1), 2: Claim(2, state_published_at=FEB)}


def facts_of(claim_id: int) -> Facts:
    return OLD


def changed(claim: int, score: float, count: Quantity) -> Match:
    return Match(claim, score, "s", "changed", facts=Facts(counts=(count,)))


@pytest.mark.parametrize(
    ("score", "expected"),
    [(49.9, None), (50.0, "suggestion"), (69.9, "suggestion"), (70.0, "alert"), (99.0, "alert")],
)
def test_level_of(score: float, expected: str | None) -> None:
    assert level_of(score, Claim(1)) == expected


@pytest.mark.parametrize(
    ("stories", "expected"),
    [
        ([], []),
        ([NewStory(10, None, [Match(9, 90.0, "s", "recurs")])], []),  # unknown claim
        ([NewStory(10, None, [Match(1, 40.0, "s", "recurs")])], []),  # below the suggestion threshold
        ([NewStory(10, None, [Match(1, 60.0, "s", "recurs")])], [(1, 10, "suggestion", "recurs", None)]),
        (
            [NewStory(10, None, [Match(1, 80.0, "s", "recurs"), Match(1, 90.0, "t", "recurs")])],
            [(1, 10, "alert", "recurs", None)],  # one sighting per claim and story: the first
        ),
        ([NewStory(10, None, [changed(1, 80.0, EXACT)])], [(1, 10, "alert", "changed", (EXACT,))]),
        ([NewStory(10, None, [changed(1, 60.0, EXACT)])], [(1, 10, "suggestion", "changed", None)]),
        ([NewStory(10, JAN, [changed(2, 80.0, EXACT)])], [(2, 10, "alert", "changed", None)]),  # older story
        ([NewStory(10, FEB, [changed(2, 80.0, EXACT)])], [(2, 10, "alert", "changed", (EXACT,))]),
        (
            [NewStory(10, None, [changed(1, 80.0, EXACT)]), NewStory(11, None, [changed(1, 80.0, EXACT)])],
            [(1, 10, "alert", "changed", (EXACT,)), (1, 11, "alert", "recurs", None)],  # compared with 180
        ),
        (
            [NewStory(10, None, [changed(1, 80.0, EXACT)]), NewStory(11, None, [changed(1, 80.0, MORE)])],
            [(1, 10, "alert", "changed", (EXACT,)), (1, 11, "alert", "changed", (MORE,))],
        ),
        (
            [NewStory(10, None, [changed(1, 80.0, EXACT), changed(1, 80.0, MORE)])],
            [(1, 10, "alert", "changed", (EXACT,))],
        ),
    ],
    ids=[
        "nothing",
        "unknown-claim",
        "too-weak",
        "suggestion",
        "pair-once",
        "changed-alert-applies",
        "changed-suggestion-does-not",
        "older-story-does-not",
        "newer-story-does",
        "second-story-recurs",
        "second-story-changes-again",
        "one-story-one-state",
    ],
)
def test_judge(
    stories: list[NewStory], expected: list[tuple[int, int, str, str, tuple[Quantity, ...] | None]]
) -> None:
    states = States()
    verdicts = judge(stories, CLAIMS, states, facts_of)
    assert [_row(v) for v in verdicts] == expected
    applied = {v.claim_id: v.state for v in verdicts if v.state is not None}
    assert states.facts == applied


def test_judge_compares_with_states_an_earlier_write_set() -> None:
    states = States(facts={1: Facts(counts=(EXACT,), status="signs")}, published={1: None})
    [verdict] = judge([NewStory(10, None, [changed(1, 80.0, EXACT)])], CLAIMS, states, facts_of)
    assert (verdict.match.kind, verdict.match.changes, verdict.state) == ("recurs", (), None)


def _row(v: Verdict) -> tuple[int, int, str, str, tuple[Quantity, ...] | None]:
    return (v.claim_id, v.story_id, v.level, v.match.kind, v.state.counts if v.state else None)
