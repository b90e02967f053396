"""Polish stories read in the claims' English: a light Polish stemmer and a learned Polish→English lexicon.

The lexicon (``data/pl_en.tsv``) was learned by ``bench/learn_lexicon.py`` from a comparable corpus: Polish
and English RSS feeds of 2022-2023 that report the same events on the same days. A Polish stem and an
English term whose daily frequencies rise and fall together, the more so when they are spelled alike
("finlandii" ~ "finland"), are taken as translations. Names and numbers need no entry: they are written the
same in both languages and pass through as English terms.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from bot.matching.text import informative, words

LEXICON_PATH = Path(__file__).with_name("data") / "pl_en.tsv"

_POLISH_LETTERS = re.compile(r"[ąćęłńśźżĄĆĘŁŃŚŹŻ]")
_POLISH_WORDS = frozenset("się jest nie że oraz przez dla jak już ale czy też lub został została są".split())
_SUFFIXES = tuple(
    sorted(
        """ami ach ach owi ego emu ych ymi imi ich ym im om ow ie ii ia iu io ja je ji ju a e i o u y
        owie owa owe owy owej owych owego owym ska skie ski skiej skich skiego sku""".split(),
        key=len,
        reverse=True,
    )
)
MIN_STEM = 4


def is_polish(text: str) -> bool:
    """Whether ``text`` reads as Polish: a Polish letter, or two of its commonest function words."""
    if _POLISH_LETTERS.search(text):
        return True
    if text.isascii():
        found = 0
        for w in text.lower().split():
            if w in _POLISH_WORDS:
                found += 1
                if found >= 2:
                    return True
    return False


@lru_cache(maxsize=200_000)
def pl_stem(word: str) -> str:
    """A light stem of one folded (lowercase, accent-free) Polish word: the longest known ending removed."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


def load_lexicon(path: Path = LEXICON_PATH) -> dict[str, str]:
    """Polish stem → English term, from the learned lexicon file (lines starting with '#' are comments)."""
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            pl, en, *_ = line.split("\t")
            out[pl] = en
    return out


LEXICON = load_lexicon()


PL_STOP = frozenset(
    """i w z na się nie do że o to jak po od za jest dla są ale co już przez oraz jego jej ich tym tego ten
    ta te czy też lub by być może który która które których został została zostały jako przy tak pod nad
    aby był była było będzie r""".split()
)
"""Polish function words: never looked up, never terms."""


def translated_terms(text: str) -> list[str]:
    """English matcher terms of a Polish ``text``: each word's stem through the lexicon, else read as English
    (names, numbers and acronyms are the same in both languages)."""
    out = []
    for w in words(text):
        if w in PL_STOP:
            continue
        en = LEXICON.get(pl_stem(w))
        if en is None:
            en = informative(w)
        if en:
            out.append(en)
    return out
