"""The claim index on the seed claims: what matches, how it scores, and what it reports."""

import json
import time
from pathlib import Path

import pytest

from bot.matching import ClaimSpec, Facts, StoryDoc, build_index, extract_facts
from bot.matching.index import ClaimIndex

SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "claims.jsonl"
ALERT, SUGGEST, DUPLICATE = 70.0, 55.0, 80.0


@pytest.fixture(scope="module")
def index() -> ClaimIndex:
    rows = [json.loads(line) for line in SEEDS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return build_index([ClaimSpec(r["id"], r["text"], tuple(r.get("aliases", ()))) for r in rows])


def best(index: ClaimIndex, text: str) -> tuple[str | None, float]:
    found = index.candidates(StoryDoc("s", text), 1)
    return (str(found[0].claim_id), found[0].score) if found else (None, 0.0)


@pytest.mark.parametrize(
    ("sentence", "claim"),
    [
        (
            "Donald Trump has urged Britain and other allies to buy more American weapons to strengthen "
            "the Nato alliance.",
            "us-weapons-purchases",
        ),
        (
            "US defence secretary Pete Hegseth said that America would no longer be 'primarily focused "
            "on the security of Europe'.",
            "hegseth-europe-focus",
        ),
        (
            "Nato Secretary General Mark Rutte has called on the US to reduce the bureaucratic "
            "complications so that European armies can grow faster.",
            "rutte-cut-bureaucracy",
        ),
        ("Poland and Romania signed a $6.5bn deal for 180 South Korean tanks", "poland-korea-arms-deal"),
        ("Poland cancelled its deal to buy South Korean tanks", "poland-korea-arms-deal"),
        ("Trump tells allies to buy more US weapons", "us-weapons-purchases"),
    ],
)
def test_restatements_alert(index: ClaimIndex, sentence: str, claim: str) -> None:
    assert best(index, sentence)[0] == claim
    assert best(index, sentence)[1] >= ALERT


@pytest.mark.parametrize(
    "sentence",
    [
        "NATO ministers meet in Brussels",
        "Hegseth says US remains committed to European security",
        "US defence secretary visits Poland",
        "Trump to meet Putin in Saudi Arabia",
        "Brexit",
        "Die Regierung in Berlin plant neue Steuern",
        "😀😀😀",
        "Apple releases a new iPhone",
    ],
)
def test_shared_topic_stays_below_alert(index: ClaimIndex, sentence: str) -> None:
    assert best(index, sentence)[1] < ALERT


def test_match_reports_kind_changes_terms_and_facts(index: ClaimIndex) -> None:
    story = StoryDoc(
        "s",
        "Arms deal update",
        summary="Talks went on. Poland and Romania signed a $6.5bn deal "
        "for 180 South Korean tanks. Officials were pleased.",
    )
    (m,) = [m for m in index.match(story, ALERT) if m.claim_id == "poland-korea-arms-deal"]
    assert m.kind == "changed"
    assert [str(c) for c in m.changes] == [
        "amount: multi-billion-pound → $6.5bn",
        "count: hundreds of South Korean tanks → 180 South Korean tanks",
        "party: + Romania",
    ]
    assert m.sentence.startswith("Poland and Romania")
    assert {"Poland", "signed", "deal", "tanks"} <= set(m.terms)
    assert m.facts == extract_facts(m.sentence)


def test_one_match_per_claim_best_first(index: ClaimIndex) -> None:
    story = StoryDoc(
        "s",
        "Trump urges allies to buy more American weapons",
        summary="Trump urged Britain and other NATO allies to buy more American weapons. "
        "Hegseth said the US would no longer be primarily focused on Europe's security.",
    )
    found = index.match(story, SUGGEST)
    ids = [m.claim_id for m in found]
    assert len(ids) == len(set(ids))
    assert {"us-weapons-purchases", "hegseth-europe-focus"} <= set(ids)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert all(0 <= m.score <= 100 for m in found)


def test_set_facts_changes_what_counts_as_a_change(index: ClaimIndex) -> None:
    story = StoryDoc("s", "Poland signed a deal for 180 South Korean tanks")
    before = [m for m in index.match(story, 0) if m.claim_id == "poland-korea-arms-deal"][0]
    assert before.kind == "changed"
    index.set_facts("poland-korea-arms-deal", before.facts)
    try:
        after = [m for m in index.match(story, 0) if m.claim_id == "poland-korea-arms-deal"][0]
        assert after.kind == "recurs" and after.changes == ()
    finally:
        index.set_facts(
            "poland-korea-arms-deal",
            extract_facts(
                "Poland signed a multi-billion-pound deal for hundreds of South Korean tanks, "
                "planes and artillery"
            ),
        )


def test_denial_is_a_change(index: ClaimIndex) -> None:
    story = StoryDoc("s", "Hegseth denied that America would no longer be focused on European security")
    (m, *_) = index.match(story, ALERT)
    assert m.claim_id == "hegseth-europe-focus"
    assert [str(c) for c in m.changes] == ["polarity: denies → affirms"]  # the claim says "no longer"


@pytest.mark.parametrize(
    ("text", "claim", "duplicate"),
    [
        (
            "Pete Hegseth says the US will no longer be primarily focused on the security of Europe",
            "hegseth-europe-focus",
            True,
        ),
        (
            "Hegseth says the US will no longer be focused primarily on Europe's security",
            "hegseth-europe-focus",
            True,
        ),
        ("Poland signed a deal for South Korean tanks", "poland-korea-arms-deal", False),
    ],
)
def test_similar(index: ClaimIndex, text: str, claim: str, duplicate: bool) -> None:
    top = index.similar(text, 3)
    assert top[0].claim_id == claim
    assert (top[0].score >= DUPLICATE) is duplicate


@pytest.mark.parametrize(
    "story",
    [
        StoryDoc("e", ""),
        StoryDoc("w", "   ", "\n\n", "\t"),
        StoryDoc("h", "<p>Trump &amp; NATO</p>"),
        StoryDoc("x", "😀 🚀 🎉"),
        StoryDoc("r", "Путин встретился с Трампом"),
        StoryDoc("big", "Weapons", content="Poland buys tanks from Korea. " * 35_000),
    ],
)
def test_bad_stories_do_not_crash(index: ClaimIndex, story: StoryDoc) -> None:
    assert isinstance(index.match(story, ALERT), list)
    assert len(index.candidates(story, 3)) <= 3


def test_empty_and_tiny_indexes() -> None:
    empty = build_index([])
    assert len(empty) == 0
    assert empty.match(StoryDoc("s", "anything"), 0) == []
    assert empty.similar("anything", 3) == []
    one = build_index([ClaimSpec(1, "Brexit"), ClaimSpec(2, ""), ClaimSpec(3, "the of and")])
    assert len(one) == 3
    assert [c.claim_id for c in one.candidates(StoryDoc("s", "Brexit talks resume"), 5)] == [1]
    with pytest.raises(ValueError, match="duplicate"):
        build_index([ClaimSpec(1, "a"), ClaimSpec(1, "b")])


def test_given_facts_are_the_current_state() -> None:
    idx = build_index([ClaimSpec("c", "Poland signed a deal for tanks", facts=Facts(status="plans"))])
    (m,) = idx.match(StoryDoc("s", "Poland signed a deal for tanks"), 0)
    assert [str(c) for c in m.changes] == ["status: plans → signs"]


def test_build_is_fast() -> None:
    claims = [
        ClaimSpec(i, f"Country{i % 97} signs deal number {i} for tanks{i % 13} and jets{i % 7}")
        for i in range(5000)
    ]
    start = time.perf_counter()
    idx = build_index(claims)
    assert len(idx) == 5000
    assert time.perf_counter() - start < 5
