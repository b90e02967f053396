"""The Porter (1980) suffix stemmer, with a few British spellings folded to American first.

The stemming itself is Snowball's ``porter`` algorithm from PyStemmer (C): its stems are the ones every
hand-written stem in bot/matching (synonyms, polarity, facts) is keyed by. Snowball's ``english`` (Porter2)
would change about 4% of stems and every such table with them.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import Stemmer

_ISE_KEEP = frozenset(
    "rise arise wise otherwise likewise promise exercise precise concise noise raise praise poise advise "
    "devise revise surprise enterprise expertise franchise premise compromise merchandise treatise "
    "chastise despise disguise demise cruise bruise paradise excise incise".split()
)
_SPELLING = {
    "defence": "defense",
    "offence": "offense",
    "licence": "license",
    "centre": "center",
    "theatre": "theater",
    "metre": "meter",
    "programme": "program",
    "travelled": "traveled",
    "labour": "labor",
    "colour": "color",
    "favour": "favor",
    "honour": "honor",
    "behaviour": "behavior",
    "neighbour": "neighbor",
    "harbour": "harbor",
    "rumour": "rumor",
    "armour": "armor",
}


_ISE_SUFFIXES = ("isation", "isations", "ised", "ising", "ises", "ise")
_local = threading.local()  # a PyStemmer stemmer must not be shared between threads


def _british(w: str) -> str:
    w = _SPELLING.get(w, w)
    if not w.endswith(_ISE_SUFFIXES):
        return w
    for suffix in _ISE_SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and w[: -len(suffix)] + "ise" not in _ISE_KEEP:
            return w[: -len(suffix)] + "iz" + suffix[2:]
    return w


def _stemmer() -> Stemmer.Stemmer:
    stemmer: Stemmer.Stemmer | None = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("porter", 0)  # no cache of its own: stem() has one
    return stemmer


@lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    """Porter stem of a lowercase word; short words, numbers and non-ASCII words are returned as they are."""
    if len(word) <= 2 or not word.isascii() or not word.isalpha():
        return word
    return str(_stemmer().stemWord(_british(word)))
