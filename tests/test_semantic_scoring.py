"""The semantic index's logic with a toy encoder (numpy, no torch): blending, caching, what is embedded."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest

np = pytest.importorskip("numpy", reason="the semantic index needs numpy (dev or semantic extra)")

from bot.matching import ClaimSpec, StoryDoc, build_index, build_matcher  # noqa: E402
from bot.matching.semantic import (  # noqa: E402
    CALIBRATION,
    COS_FLOOR,
    COS_FULL,
    W_LEXICAL,
    SemanticIndex,
    Vector,
    blend,
    embed_claims,
    embedding_key,
    load_vectors,
    save_vectors,
)

CONCEPTS = {
    "poland": 0, "warsaw": 0, "tanks": 1, "armour": 1, "korea": 2, "korean": 2, "seoul": 2,
    "buys": 3, "orders": 3, "deal": 3, "sign": 3, "signed": 3, "grain": 4, "ukraine": 5, "kyiv": 5,
    "weather": 6, "sunny": 6, "romania": 7, "hundreds": 8, "180": 8,
}  # fmt: skip


class ToyEncoder:
    """Known words to concepts (synonyms share one), L2-normalised counts; records what it embeds."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: Sequence[str]) -> Vector:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), len(set(CONCEPTS.values()))), np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                if word in CONCEPTS:
                    out[row, CONCEPTS[word]] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        normalised: Vector = np.asarray(out / np.where(norms == 0, 1, norms), np.float32)
        return normalised

    @property
    def embedded(self) -> list[str]:
        return [t for call in self.calls for t in call]


TANKS = ClaimSpec("tanks", "Poland buys tanks from Korea")
GRAIN = ClaimSpec("grain", "Poland buys grain from Ukraine")


@pytest.mark.parametrize(
    ("lexical", "cosine", "expected"),
    [
        (80.0, COS_FLOOR, 100 * (W_LEXICAL * 0.8) ** CALIBRATION),
        (80.0, -1.0, 100 * (W_LEXICAL * 0.8) ** CALIBRATION),
        (0.0, COS_FULL, 100 * (1 - W_LEXICAL) ** CALIBRATION),
        (100.0, 1.0, 100.0),
        (120.0, 0.0, 100 * W_LEXICAL**CALIBRATION),
        (0.0, 0.0, 0.0),
    ],
)
def test_blend(lexical: float, cosine: float, expected: float) -> None:
    assert blend(lexical, cosine) == pytest.approx(expected)


@pytest.mark.parametrize("cosine", [0.0, 0.35, 0.5, 0.9])
def test_blend_rises_with_either_part(cosine: float) -> None:
    by_lexical = [blend(lexical, cosine) for lexical in (0.0, 30.0, 70.0, 100.0)]
    assert by_lexical == sorted(by_lexical) and len(set(by_lexical)) == 4
    assert blend(50.0, cosine) <= blend(50.0, cosine + 0.05)


def test_embed_claims_embeds_only_what_is_not_known() -> None:
    encoder = ToyEncoder()
    first = embed_claims([TANKS], encoder)
    assert encoder.embedded == [TANKS.text]
    both = embed_claims([TANKS, GRAIN], encoder, known=first)
    assert encoder.embedded == [TANKS.text, GRAIN.text]
    assert set(both) == {embedding_key(TANKS.text), embedding_key(GRAIN.text)}
    assert embedding_key(TANKS.text) != embedding_key(TANKS.text, model="another-model")


def test_vectors_survive_a_file(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "vectors.npz"
    assert load_vectors(path) == {}
    vectors = embed_claims([TANKS, GRAIN], ToyEncoder())
    save_vectors(path, vectors)
    loaded = load_vectors(path)
    assert loaded.keys() == vectors.keys()
    assert all(np.array_equal(loaded[k], vectors[k]) for k in vectors)


def test_a_paraphrase_outranks_a_claim_sharing_as_many_words() -> None:
    story = StoryDoc("s", "Poland orders armour from Seoul")
    lexical = {c.claim_id: c.score for c in build_index([TANKS, GRAIN]).candidates(story, 2)}
    index = build_matcher([TANKS, GRAIN], "semantic", encoder=ToyEncoder())
    assert isinstance(index, SemanticIndex)
    ranked = index.candidates(story, 2)
    assert ranked[0].claim_id == "tanks"
    assert ranked[0].score - ranked[1].score > abs(lexical["tanks"] - lexical["grain"])


def test_only_candidate_sentences_are_embedded() -> None:
    encoder = ToyEncoder()
    index = SemanticIndex([TANKS, GRAIN], encoder)
    encoder.calls.clear()
    story = StoryDoc("s", "Warsaw orders armour", "The weather was sunny. Poland buys tanks from Korea.")
    index.candidates(story, 2)
    # the title read with the summary's first sentence is a candidate unit of its own (issue 9)
    assert encoder.embedded == [
        "Warsaw orders armour. The weather was sunny.",
        "Warsaw orders armour",
        "Poland buys tanks from Korea.",
    ]


def test_precomputed_vectors_are_reused() -> None:
    first = SemanticIndex([TANKS, GRAIN], ToyEncoder())
    encoder = ToyEncoder()
    SemanticIndex([TANKS, GRAIN], encoder, first.vectors)
    assert encoder.calls == []


def test_matches_keep_the_lexical_kind_and_changes() -> None:
    claim = ClaimSpec("a", "Poland signed a deal for hundreds of South Korean tanks")
    index = SemanticIndex([claim, GRAIN], ToyEncoder())
    story = StoryDoc("s", "Poland and Romania sign $6.5bn deal for 180 South Korean tanks")
    (m,) = index.match(story, 70.0)
    assert m.claim_id == "a" and m.kind == "changed"
    assert "party: + Romania" in [str(c) for c in m.changes]
    assert index.match(StoryDoc("n", "The weather was sunny"), 1.0) == []


def test_same_api_as_the_lexical_index() -> None:
    index = SemanticIndex([TANKS, GRAIN, ClaimSpec("empty", "")], ToyEncoder())
    assert len(index) == 3
    assert index.similar("Poland buys tanks from Korea", 1)[0].claim_id == "tanks"
    index.set_facts("tanks", index.facts("grain"))
    assert index.facts("tanks") == index.facts("grain")
    assert index.candidates(StoryDoc("e", ""), 5) == []
