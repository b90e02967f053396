"""Claim matching and change detection: pure functions over the plain data in ``types``."""

from bot.matching.changes import compare, should_apply
from bot.matching.engines import (
    Engine,
    EngineError,
    SemanticUnavailableError,
    build_matcher,
    resolve_engine,
)
from bot.matching.facts import extract_facts
from bot.matching.index import ClaimIndex, build_index
from bot.matching.types import Candidate, Change, ClaimSpec, Facts, Match, Quantity, StoryDoc

__all__ = [
    "Candidate",
    "Change",
    "ClaimIndex",
    "ClaimSpec",
    "Engine",
    "EngineError",
    "Facts",
    "Match",
    "Quantity",
    "SemanticUnavailableError",
    "StoryDoc",
    "build_index",
    "build_matcher",
    "compare",
    "extract_facts",
    "resolve_engine",
    "should_apply",
]
