"""The Porter (1980) suffix stemmer, with a few British spellings folded to American first."""

from __future__ import annotations

from functools import lru_cache

_VOWELS = frozenset("aeiou")
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


def _cons(w: str, i: int) -> bool:
    c = w[i]
    if c in _VOWELS:
        return False
    if c == "y":
        return i == 0 or not _cons(w, i - 1)
    return True


def _m(stem: str) -> int:
    """Porter's measure: the number of vowel-consonant sequences in ``stem``."""
    n, i, ln = 0, 0, len(stem)
    while i < ln and _cons(stem, i):
        i += 1
    while i < ln:
        while i < ln and not _cons(stem, i):
            i += 1
        if i >= ln:
            break
        while i < ln and _cons(stem, i):
            i += 1
        n += 1
    return n


def _has_vowel(stem: str) -> bool:
    return any(not _cons(stem, i) for i in range(len(stem)))


def _double_c(w: str) -> bool:
    return len(w) >= 2 and w[-1] == w[-2] and _cons(w, len(w) - 1)


def _cvc(w: str) -> bool:
    if len(w) < 3 or not _cons(w, len(w) - 3) or _cons(w, len(w) - 2) or not _cons(w, len(w) - 1):
        return False
    return w[-1] not in "wxy"


_STEP2 = (
    ("ational", "ate"),
    ("tional", "tion"),
    ("enci", "ence"),
    ("anci", "ance"),
    ("izer", "ize"),
    ("bli", "ble"),
    ("alli", "al"),
    ("entli", "ent"),
    ("eli", "e"),
    ("ousli", "ous"),
    ("ization", "ize"),
    ("ation", "ate"),
    ("ator", "ate"),
    ("alism", "al"),
    ("iveness", "ive"),
    ("fulness", "ful"),
    ("ousness", "ous"),
    ("aliti", "al"),
    ("iviti", "ive"),
    ("biliti", "ble"),
    ("logi", "log"),
)
_STEP3 = (
    ("icate", "ic"),
    ("ative", ""),
    ("alize", "al"),
    ("iciti", "ic"),
    ("ical", "ic"),
    ("ful", ""),
    ("ness", ""),
)
_STEP4 = (
    "al",
    "ance",
    "ence",
    "er",
    "ic",
    "able",
    "ible",
    "ant",
    "ement",
    "ment",
    "ent",
    "ion",
    "ou",
    "ism",
    "ate",
    "iti",
    "ous",
    "ive",
    "ize",
)


def _replace(w: str, rules: tuple[tuple[str, str], ...], min_m: int) -> str:
    for suffix, rep in rules:
        if w.endswith(suffix):
            stem = w[: -len(suffix)]
            return stem + rep if _m(stem) > min_m else w
    return w


def _step1(w: str) -> str:
    if w.endswith("sses") or w.endswith("ies"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    if w.endswith("eed"):
        return w[:-1] if _m(w[:-3]) > 0 else w
    for suffix in ("ed", "ing"):
        if w.endswith(suffix) and _has_vowel(w[: -len(suffix)]):
            w = w[: -len(suffix)]
            if w.endswith(("at", "bl", "iz")):
                return w + "e"
            if _double_c(w) and w[-1] not in "lsz":
                return w[:-1]
            if _m(w) == 1 and _cvc(w):
                return w + "e"
            return w
    return w


def _step4(w: str) -> str:
    for suffix in _STEP4:
        if w.endswith(suffix):
            stem = w[: -len(suffix)]
            if _m(stem) > 1 and (suffix != "ion" or stem.endswith(("s", "t"))):
                return stem
            return w
    return w


def _british(w: str) -> str:
    w = _SPELLING.get(w, w)
    for suffix in ("isation", "isations", "ised", "ising", "ises", "ise"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and w[: -len(suffix)] + "ise" not in _ISE_KEEP:
            return w[: -len(suffix)] + "iz" + suffix[2:]
    return w


@lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    """Porter stem of a lowercase word; short words, numbers and non-ASCII words are returned as they are."""
    if len(word) <= 2 or not word.isascii() or not word.isalpha():
        return word
    w = _step1(_british(word))
    if w.endswith("y") and _has_vowel(w[:-1]):
        w = w[:-1] + "i"
    w = _replace(w, _STEP2, 0)
    w = _replace(w, _STEP3, 0)
    w = _step4(w)
    if w.endswith("e"):
        m = _m(w[:-1])
        if m > 1 or (m == 1 and not _cvc(w[:-1])):
            w = w[:-1]
    if _m(w) > 1 and _double_c(w) and w.endswith("l"):
        w = w[:-1]
    return w
