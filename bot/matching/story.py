"""A story as the index reads it: each sentence once, and what is read from a sentence only when asked.

Scoring needs every sentence's terms; facts and the words to set in bold are needed only for sentences
that some claim's score lifts to the floor, and then once per sentence however many claims it states.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.matching.facts import extract_facts
from bot.matching.scoring import Unit, Wording, unit
from bot.matching.text import clean, sentences
from bot.matching.types import Facts, StoryDoc

MAX_UNITS = 400
"""Sentences of one story looked at (title first); later ones of a very long story are ignored."""

Ranked = list[tuple[float, int, Unit, Wording]]
"""Pooled claims as (score, claim position, best unit, best wording), best first."""


def story_units(story: StoryDoc) -> list[Unit]:
    """The title and each sentence of the summary and content, once each, as scoring units."""
    texts = [clean(story.title)] if story.title.strip() else []
    for part in (story.summary, story.content):
        if part.strip():
            texts.extend(sentences(clean(part)))
    lead = lead_unit(story)
    if lead:
        texts.insert(0, lead)
    seen: set[str] = set()
    out: list[Unit] = []
    for t in texts:
        if t and t not in seen and len(out) < MAX_UNITS:
            seen.add(t)
            out.append(unit(t))
    if lead and out and out[0].text == lead:  # the title and the lead sentences follow it
        out[0] = replace(out[0], parts=min(1 + LEAD_SENTENCES, len(out) - 1))
    return out


LEAD_SENTENCES = 1
"""Summary sentences read together with the title as one unit: headlines compress, summaries substantiate."""


def lead_unit(story: StoryDoc) -> str:
    """The title and the summary's first sentences as one text ('' when there is no summary to add)."""
    title = clean(story.title)
    lead = sentences(clean(story.summary))[:LEAD_SENTENCES] if story.summary.strip() else []
    if not title or not lead:
        return ""
    return " ".join([title.rstrip(".") + ".", *lead])


class StoryReading:
    """One story's units, its rankings by pool size and its sentences' facts, each computed once."""

    __slots__ = ("story", "units", "lead", "_ranked", "_facts")

    def __init__(self, story: StoryDoc) -> None:
        self.story = story
        self.units = story_units(story)
        self.lead = lead_unit(story)
        """The text of the title-and-lead unit (``units[0]`` when there is one), '' when there is none."""
        self._ranked: dict[int, Ranked] = {}
        self._facts: dict[str, Facts] = {}

    def ranked(self, size: int, rank: Callable[[list[Unit], int], Ranked]) -> Ranked:
        """``rank(units, size)``, remembered: match then candidates for one story cost one pass."""
        found = self._ranked.get(size)
        if found is None:
            found = self._ranked[size] = rank(self.units, size)
        return found

    def facts(self, u: Unit) -> Facts:
        """The facts one sentence states (units of a story have distinct texts)."""
        found = self._facts.get(u.text)
        if found is None:
            found = self._facts[u.text] = extract_facts(u.text)
        return found
