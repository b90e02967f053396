"""Polarity: whether a text affirms or denies what it reports, read from its main clause only.

"Hardt says Europe could win Trump over because it does not produce enough" affirms: the negation sits
in a clause that gives a reason. "The Pentagon denied that sales were slowed, saying allies were not
turning elsewhere" denies: the second negation belongs to a trailing ", saying ..." clause.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal

from bot.matching.stem import stem
from bot.matching.text import fold, terms
from bot.matching.types import Facts

DENIAL = frozenset(("deni", "deny", "fals", "untru", "hoax", "debunk", "refut", "fake", "reject", "dismiss"))
NOT_NEGATION = frozenset(("more", "only", "just", "doubt"))
"""Words after 'no'/'not' that make it something other than a negation ('not only', 'no doubt')."""
NEGATORS = frozenset(("not", "n't", "never", "no", "cannot", "neither"))
STOPPERS = frozenset("stop stops stopped stopping cease ceases ceased prevent prevents prevented".split())
"""'would stop treating Europe as its priority' (or 'shift its focus away from Europe') says what 'will no
longer be focused on Europe' says."""
SCOPE = 4
"""Informative terms after a negation (or a denial word) that it is taken to negate."""

_WORDS = re.compile(r"[a-z]+(?:'t)?")
# where the main clause ends: a trailing participle clause, a reason, an attribution, a relative clause
_CLAUSE_END = re.compile(
    r",\s+(?:saying|insisting|arguing|adding|warning|calling|describing|telling|noting|citing|according"
    r"|claiming|contradicting|stressing|rejecting|denying|dismissing|refusing|who|which|while|although"
    r"|though|but)\b|,\s+an?\s+\w+\s+(?:that|which|who)\b"
    r"|;\s|\s[—–]\s|\s(?:because|since|as long as|so that)\s",
    re.IGNORECASE,
)


def words(text: str) -> list[str]:
    """Lowercase words with "n't" split off: the tokens negation rules read."""
    return _WORDS.findall(fold(text).replace("’", "'").replace("n't", " n't"))


def main_clause(text: str) -> str:
    """The text up to its first subordinate or trailing clause (the whole text when there is none)."""
    m = _CLAUSE_END.search(text)
    return text[: m.start()] if m else text


def _cues(ws: list[str]) -> list[int]:
    """Positions of negation cues: 'not', 'never', 'no longer', 'stop', 'denied', 'rejects'..."""
    out = []
    for i, w in enumerate(ws):
        nxt = ws[i + 1] if i + 1 < len(ws) else ""
        if (
            (w in NEGATORS and nxt not in NOT_NEGATION)
            or w in STOPPERS
            or (w == "away" and nxt == "from")
            or stem(w) in DENIAL
        ):
            out.append(i + 1 if w == "no" and nxt == "longer" else i)
    return out


def polarity(text: str) -> Literal["affirms", "denies"]:
    """'denies' when the main clause negates itself an odd number of times."""
    return "denies" if len(_cues(words(main_clause(text)))) % 2 else "affirms"


def negation_scope(text: str) -> frozenset[str]:
    """Terms that ``text`` negates or denies: the first few informative terms after each cue."""
    ws = words(main_clause(text))
    out: set[str] = set()
    for i in _cues(ws):
        out.update([t for x in ws[i + 1 : i + 12] for t in terms(x)][:SCOPE])
    return frozenset(out)


def relative_polarity(
    claim: Facts,
    claim_text: str,
    claim_terms: frozenset[str],
    sentence: Facts,
    sentence_text: str,
    sentence_terms: frozenset[str],
) -> Facts:
    """The sentence's facts with a polarity that differs from the claim's only when the negation is about it.

    A sentence that negates something the claim does not say ("..., but gave no details"), or that does not
    repeat what the claim itself negates, keeps the claim's polarity: what is not mentioned has not changed.
    """
    if claim.polarity == sentence.polarity:
        return sentence
    if sentence.polarity == "denies":
        relevant = negation_scope(sentence_text) & claim_terms
    else:
        relevant = negation_scope(claim_text) & sentence_terms
    return sentence if relevant else replace(sentence, polarity=claim.polarity)
