"""The shortcuts that make matching fast give exactly what the plain computations give (no timings here)."""

import heapq
import pickle
import re

import pytest

from bot.matching import ClaimSpec, StoryDoc, build_index
from bot.matching.bm25 import top
from bot.matching.gazetteer import lookup_table, pattern
from bot.matching.numbers import amounts_in, dates_in, percents_in
from bot.matching.story import StoryReading
from bot.matching.text import fold, terms, trie_pattern


@pytest.mark.parametrize(
    "scores",
    [
        {},
        {3: 1.0},
        {1: 2.0, 2: 2.0, 3: 1.0, 4: 2.0, 5: 0.5},
        {i: float(i % 4) for i in range(100)},
        {i: 1.0 for i in range(60)},
    ],
)
@pytest.mark.parametrize("k", [0, 1, 3, 48])
def test_top_is_nlargest_with_the_same_ties(scores: dict[int, float], k: int) -> None:
    assert top(scores, k) == heapq.nlargest(k, scores, key=scores.__getitem__)


def test_trie_pattern_matches_what_the_longest_first_alternation_matches() -> None:
    forms = sorted(lookup_table(), key=len, reverse=True)
    plain = re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, forms)) + r")(?![\w])", re.IGNORECASE)
    text = (
        "The United States of America, the U.S. and the UK met NATO in The Hague; South Koreans, Koreans "
        "and the Kremlin's envoy listened, as did united states officials and the E.U. in Brussels."
    )
    assert [m.span() for m in pattern().finditer(text)] == [m.span() for m in plain.finditer(text)]
    assert re.fullmatch(trie_pattern(["ab", "abcd", "b"]), "abc") is None
    assert [m.group() for m in re.finditer(trie_pattern(["ab", "abcd", "b"]), "abcd ab abc b")] == [
        "abcd",
        "ab",
        "ab",
        "b",
    ]


@pytest.mark.parametrize(
    ("text", "folded", "stems"),
    [
        ("Café naïve résumé", "cafe naive resume", ["cafe", "naiv", "resum"]),
        ("Ελληνικά and Привет", "ελληνικα and привет", ["ελληνικα", "привет"]),
        ("the United States didn't", "the united states didn't", ["america"]),
    ],
)
def test_fold_and_terms(text: str, folded: str, stems: list[str]) -> None:
    assert fold(text) == folded
    assert terms(text) == stems


@pytest.mark.parametrize(
    ("text", "amounts", "percents", "dates"),
    [
        ("Poland signed a $6.5bn deal on 13 February 2025", 1, 0, ("2025-02-13",)),
        ("Spending rose 20 per cent within weeks", 0, 1, ("within weeks",)),
        ("a ſterling 5 pounds deal", 1, 0, ()),  # not ASCII: no shortcut, the pattern itself decides
        ("European leaders met on Monday", 0, 0, ()),
        ("Nothing to see here", 0, 0, ()),
    ],
)
def test_number_shortcuts_keep_every_match(
    text: str, amounts: int, percents: int, dates: tuple[str, ...]
) -> None:
    assert len(amounts_in(text)[1]) == amounts
    assert len(percents_in(text)[1]) == percents
    assert dates_in(text)[1] == dates


def test_a_sentence_is_read_once_and_a_pickled_index_matches_the_same() -> None:
    index = build_index([ClaimSpec("deal", "Poland signs a deal for 180 South Korean tanks")])
    story = StoryDoc("s", "Poland signs deal for 180 South Korean tanks", "Poland signs a $6.5bn tank deal.")
    reading = StoryReading(story)
    assert reading.facts(reading.units[0]) is reading.facts(reading.units[0])
    before = index.match(story, 50.0)
    copy = pickle.loads(pickle.dumps(index))
    assert copy.match(story, 50.0) == before
    assert copy.candidates(story, 3) == index.candidates(story, 3)
