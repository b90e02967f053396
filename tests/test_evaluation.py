"""The real-news evaluation: counting, intervals, the split and the checksum guard (pure, no model)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.evaluation import newsset
from bot.evaluation.newsset import Entry, Gold, NewsClaim, NewsHalf
from bot.evaluation.report import Pair, Verdict, best_threshold, bootstrap, count, curve, pairs


def _pair(
    claim: str,
    label: str,
    score: float,
    kind: str = "recurs",
    gold_changes: Sequence[str] = (),
    changes: Sequence[str] = (),
) -> Pair:
    return Pair(claim, Gold(label, frozenset(gold_changes)), Verdict(score, kind, frozenset(changes)))  # type: ignore[arg-type]


TABLE = [
    _pair("a", "recurs", 80),  # tp, kind right
    _pair("a", "changed", 75, "changed", ["count"], ["count"]),  # tp, kind and facts right
    _pair("b", "changed", 90, "changed", ["amount"], ["count"]),  # tp, kind right, facts wrong
    _pair("b", "recurs", 71, "changed"),  # tp, kind wrong
    _pair("b", "none", 95),  # fp
    _pair("c", "recurs", 40),  # fn
    _pair("c", "none", 10),  # tn
]


@pytest.mark.parametrize(
    ("threshold", "tp", "fp", "fn", "kind", "facts", "changed"),
    [(70, 4, 1, 1, 3, 1, 2), (76, 2, 1, 3, 2, 0, 1), (100, 0, 0, 5, 0, 0, 0), (0, 5, 2, 0, 4, 1, 2)],
)
def test_counts_at_a_threshold(
    threshold: float, tp: int, fp: int, fn: int, kind: int, facts: int, changed: int
) -> None:
    c = count(TABLE, threshold)
    assert (c.tp, c.fp, c.fn, c.kind_right, c.facts_right, c.changed_found) == (
        tp,
        fp,
        fn,
        kind,
        facts,
        changed,
    )


def test_precision_recall_f1() -> None:
    c = count(TABLE, 70)
    assert c.precision == pytest.approx(4 / 5)
    assert c.recall == pytest.approx(4 / 5)
    assert c.f1 == pytest.approx(0.8)
    assert c.kind_accuracy == pytest.approx(3 / 4)
    assert c.facts_accuracy == pytest.approx(1 / 2)


def test_curve_and_best_threshold() -> None:
    assert curve(TABLE, [70, 100]) == [(70, 0.8, 0.8), (100, 1.0, 0.0)]
    assert best_threshold(TABLE, [float(t) for t in range(101)]) == 11  # the lowest threshold of the best F1


def test_bootstrap_is_deterministic_and_brackets_the_estimate() -> None:
    lo, hi = bootstrap(TABLE, lambda ps: count(ps, 70).recall)
    assert (lo, hi) == bootstrap(TABLE, lambda ps: count(ps, 70).recall)
    assert 0.0 <= lo <= 0.8 <= hi <= 1.0


def _entry(i: int, topics: tuple[str, ...], gold: dict[str, Gold] | None = None) -> Entry:
    return Entry(f"e{i}", f"title {i}", "", "en", "day-read", topics, gold or {})


def test_split_is_by_claim_within_topic_and_ordinary_news_at_random() -> None:
    claims = [NewsClaim(f"{t}{i}", t, "x") for t in "pq" for i in range(3)] + [NewsClaim("r0", "r", "x")]
    entries = [_entry(i, ("p",)) for i in range(4)] + [_entry(10 + i, ()) for i in range(10)]
    halves = newsset.split(claims, entries)
    tune, check = halves["tune"], halves["check"]
    assert {c.id for c in tune.claims}.isdisjoint({c.id for c in check.claims})
    assert {c.id for c in tune.claims} | {c.id for c in check.claims} == {c.id for c in claims}
    for topic in "pq":
        assert any(c.topic == topic for c in tune.claims) and any(c.topic == topic for c in check.claims)
    ordinary = [{e.id for e in h.entries if not e.topics} for h in (tune, check)]
    assert ordinary[0].isdisjoint(ordinary[1]) and len(ordinary[0] | ordinary[1]) == 10
    assert newsset.split(claims, entries) == halves  # a fixed seed


def test_pairs_cover_every_entry_against_every_claim_of_the_half() -> None:
    half = NewsHalf(
        "tune",
        (NewsClaim("p0", "p", "x"), NewsClaim("p1", "p", "x")),
        (_entry(0, ("p",), {"p0": Gold("recurs")}), _entry(1, ())),
    )
    ps = pairs(half, {("e0", "p0"): Verdict(80.0)})
    assert [(p.claim, p.gold.label, p.verdict.score) for p in ps] == [
        ("p0", "recurs", 80.0),
        ("p1", "none", 0.0),
        ("p0", "none", 0.0),
        ("p1", "none", 0.0),
    ]


def test_only_the_frozen_files_are_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "claims.jsonl").write_text(json.dumps({"id": "p0", "topic": "p", "text": "x"}) + "\n")
    (tmp_path / "entries.jsonl").write_text("")
    monkeypatch.setattr(newsset, "FROZEN", {})
    sums = newsset.checksums(tmp_path)
    monkeypatch.setattr(newsset, "FROZEN", dict(sums))
    assert newsset.checksums(tmp_path) == sums
    (tmp_path / "entries.jsonl").write_text(json.dumps({"id": "e0", "title": "edited"}) + "\n")
    with pytest.raises(newsset.DatasetError, match="not the frozen file"):
        newsset.checksums(tmp_path)
    with pytest.raises(newsset.DatasetError, match="missing"):
        newsset.checksums(tmp_path / "nowhere")


def test_the_committed_set_is_the_frozen_one() -> None:
    folder = Path(__file__).parent / "data" / "realnews"
    assert newsset.checksums(folder) == newsset.FROZEN
    claims, entries = newsset.load_claims(folder), newsset.load_entries(folder)
    assert len(claims) >= 15 and len(entries) >= 600
    positives = [e for e in entries if any(g.label != "none" for g in e.gold.values())]
    assert len(positives) >= 120
