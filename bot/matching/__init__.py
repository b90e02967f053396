"""Claim matching and change detection: pure functions over the plain data in ``types``."""

from bot.matching.changes import compare, should_apply
from bot.matching.facts import extract_facts
from bot.matching.index import ClaimIndex, build_index
from bot.matching.types import Candidate, Change, ClaimSpec, Facts, Match, Quantity, StoryDoc

__all__ = [
    "Candidate", "Change", "ClaimIndex", "ClaimSpec", "Facts", "Match", "Quantity", "StoryDoc",
    "build_index", "compare", "extract_facts", "should_apply",
]
