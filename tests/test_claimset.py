"""The claim set honours matching.engine: semantic when the extra is there, else lexical and one warning."""

from __future__ import annotations

import logging

import pytest

from bot.matching import engines
from bot.matching.types import StoryDoc
from bot.pipeline.claimset import ClaimSet
from storage import claims
from tests.conftest import Db, make_settings


async def _claimset(db: Db, engine: str, **kwargs: object) -> ClaimSet:
    async with db.sessionmaker.begin() as s:
        await claims.add_claim(s, "Poland signed a deal for hundreds of South Korean tanks", {})
    claim_set = ClaimSet(make_settings(db.url, matching={"engine": engine}).matching, **kwargs)
    async with db.sessionmaker() as s:
        assert await claim_set.refresh(s)
    return claim_set


async def test_configured_semantic_without_the_extra_falls_back_with_one_warning(
    db: Db, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(engines, "SEMANTIC_MODULES", (*engines.SEMANTIC_MODULES, "claimbot_no_such_module"))
    with caplog.at_level(logging.WARNING):
        claim_set = await _claimset(db, "semantic")
    assert claim_set.engine == "lexical"
    assert sum("matching lexically" in r.getMessage() for r in caplog.records) == 1
    found = await claim_set.match([StoryDoc("s", "Poland signed a deal for hundreds of South Korean tanks")])
    assert [m.claim_id for m in found["s"]] == [1]


async def test_semantic_engine_with_an_encoder_embeds_claims_once(
    db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    np = pytest.importorskip("numpy")
    monkeypatch.setattr(engines, "missing_semantic_modules", lambda *_: ())
    seen: list[str] = []

    def encoder(texts: list[str]) -> object:
        seen.extend(texts)
        return np.ones((len(texts), 4), np.float32) / 2.0

    claim_set = await _claimset(db, "semantic", encoder=encoder)
    assert claim_set.engine == "semantic" and seen  # the claim's wordings were embedded
    embedded = len(seen)
    async with db.sessionmaker.begin() as s:
        await claims.add_claim(s, "Romania orders Abrams tanks from the US", {})
    async with db.sessionmaker() as s:
        assert await claim_set.refresh(s)
    assert len(seen) == embedded + 1  # only the new claim's wording
    found = await claim_set.match([StoryDoc("s", "Poland signed a deal for hundreds of South Korean tanks")])
    assert found["s"] and found["s"][0].claim_id == 1
