"""Text normalisation, tokens, stems and sentences: the words every other matching module sees."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from bot.matching.stem import stem
from bot.matching.synonyms import BIGRAM_SYNONYMS, SYNONYMS

STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just let me more most my
    myself nor of off on once only or other ought our ours ourselves out over own same she should so some such
    than that the their theirs them themselves then there these they this those through to too under until up
    us very was we were what when where which while who whom why will with would you your yours yourself
    yourselves s t d ll m re ve o y shall may might must via per says said say saying told tells tell
    according amp rt via i'm it's he's she's that's what's there's let's we're they're you're we've i've
    they've we'll they'll i'll i'd you'd he'd she'd they'd we'd also yet just even still already
    mr mrs ms dr sir new""".split()
)
NEGATIONS = frozenset("not no never none nobody nothing neither nor cannot n't without".split())

_TAG = re.compile(r"<[^>]{0,500}>")
_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S+", re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_HASHTAG = re.compile(r"[#@](\w+)")
_ACRONYMS = re.compile(
    r"(?P<usa>\bU\.S\.A\.?|\bU\.S\.(?=\W|$)|\bUSA?\b)|(?P<uk>\bU\.K\.|\bUK\b)"
    r"|(?P<eu>\bE\.U\.|\bEU\b)|(?P<un>\bU\.N\.|\bUN\b)"
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_APOS = re.compile(r"['’]")


def clean(text: str) -> str:
    """Text without HTML tags, entities, URLs, runs of spaces or blank lines (line breaks are kept)."""
    if "<" in text or "&" in text:
        text = html.unescape(_TAG.sub(" ", text))
    lines = (" ".join(line.split()) for line in _URL.sub(" ", text).splitlines())
    return "\n".join(line for line in lines if line)


_SEEN: set[str] = set()
_COMBINING: dict[int, None] = {}
"""Combining marks among the characters ``_SEEN`` so far, for ``str.translate`` (no scan of all Unicode)."""


def fold(text: str) -> str:
    """Lowercase ASCII-folded text (accents stripped; other scripts kept as they are)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    if not decomposed.isascii():
        new = set(decomposed).difference(_SEEN)
        for c in new:
            if unicodedata.combining(c):
                _COMBINING[ord(c)] = None
        _SEEN.update(new)  # after _COMBINING: another thread never sees a mark it would not strip
    return decomposed.translate(_COMBINING).lower()


def words(text: str) -> list[str]:
    """Lowercase words of ``text``: hashtags split at capitals, US/UK/EU/UN acronyms kept apart from 'us'."""
    if "#" in text or "@" in text:
        text = _HASHTAG.sub(lambda m: " " + _CAMEL.sub(" ", m.group(1)) + " ", text)
    if "U" in text or "E" in text:
        text = _ACRONYMS.sub(lambda m: f" {m.lastgroup} ", text)
    folded = fold(text)
    if "'" not in folded and "’" not in folded:
        return _WORD.findall(folded)
    out: list[str] = []
    for w in _WORD.findall(folded):
        if "'" in w or "’" in w:
            w = _APOS.sub("'", w)
            if w.endswith("n't"):
                out.extend((w[:-3], "n't"))
                continue
            w = w.removesuffix("'s")
        out.append(w)
    return out


_BIGRAM_HEADS = frozenset(a[:3] for a, _ in BIGRAM_SYNONYMS)
"""First three letters of the first word of each bigram synonym: most words need no bigram lookup."""


@lru_cache(maxsize=500_000)
def term(word: str) -> str:
    """The canonical stem of one lowercase word (synonyms folded)."""
    s = stem(word)
    return SYNONYMS.get(s, s)


@lru_cache(maxsize=500_000)
def _informative(word: str) -> str:
    """The word's term, or '' for a stop word, a negation or a single letter."""
    if word in STOP_WORDS or word in NEGATIONS or not (len(word) > 1 or word.isdigit()):
        return ""
    return term(word)


@lru_cache(maxsize=500_000)
def _is_head(word: str) -> bool:
    return word[:3] in _BIGRAM_HEADS


def terms(text: str) -> list[str]:
    """Informative terms of ``text`` in order: stemmed, synonyms folded, stop words and negations dropped."""
    ws = words(text)
    if not any(map(_is_head, ws)):  # no bigram synonym can start here: each word stands alone
        return [t for t in map(_informative, ws) if t]
    out: list[str] = []
    i, n = 0, len(ws)
    while i < n:
        w = ws[i]
        if i + 1 < n:
            pair = BIGRAM_SYNONYMS.get((stem(w), stem(ws[i + 1]))) if w[:3] in _BIGRAM_HEADS else None
            if pair is not None:
                out.append(pair)
                i += 2
                continue
        kept = _informative(w)
        if kept:
            out.append(kept)
        i += 1
    return out


def trie_pattern(forms: Iterable[str]) -> str:
    """A regex matching what the longest-first alternation of ``forms`` (lowercase) matches, as a trie.

    Case-insensitively, at most one branch per letter can go on, and a longer form is tried before a
    shorter one ends (greedy ``?``): the same spans, for one branch per position instead of one per form.
    """
    root: dict[str, dict[str, Any]] = {}
    for form in forms:
        node = root
        for ch in form:
            node = node.setdefault(ch, {})
        node[""] = {}

    def branch(node: dict[str, dict[str, Any]]) -> str:
        alts = [re.escape(ch) + branch(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return branch(root)


# Sentence splitting -------------------------------------------------------------------------------------

_ABBREV = frozenset(
    """mr mrs ms dr prof sir st jr sr gen col lt sgt capt cmdr adm gov sen rep rev hon pres vs etc inc ltd co
    corp no nos vol fig jan feb mar apr jun jul aug sep sept oct nov dec mt ft approx dept est e.g i.e u.s
    u.k u.n e.u a.m p.m""".split()
)
_END = re.compile(r"([.!?…]+)([\"'”’»)\]]*)\s+(?=[\"'“‘«(\[]*[A-Z0-9\u00C0-\u024F])")
_MAX_WORDS = 80


def _is_abbrev(before: str) -> bool:
    last = before.rsplit(None, 1)[-1] if before.strip() else ""
    token = last.lstrip("\"'“‘(").rstrip(".").lower()
    # single capitals ("J. Smith") and dotted acronyms ("U.S.") do not end sentences
    return (
        token in _ABBREV
        or (len(token) == 1 and token.isalpha())
        or (token.count(".") >= 1 and len(token) <= 5)
    )


def _chunks(sentence: str) -> list[str]:
    ws = sentence.split()
    if len(ws) <= _MAX_WORDS:
        return [sentence]
    step = _MAX_WORDS // 2
    return [" ".join(ws[i : i + _MAX_WORDS]) for i in range(0, len(ws) - step, step)]


def sentences(text: str) -> list[str]:
    """Sentences of ``text``: line breaks end sentences; 'Mr.', 'U.S.', initials and decimals do not.

    Run-on text without punctuation is cut into overlapping windows of at most 80 words.
    """
    out: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        start = 0
        for m in _END.finditer(line):
            if m.group(1) == "." and not m.group(2) and _is_abbrev(line[start : m.start() + 1]):
                continue
            out.extend(_chunks(line[start : m.end(2)].strip()))
            start = m.end()
        if start < len(line):
            out.extend(_chunks(line[start:].strip()))
    return [s for s in out if any(c.isalnum() for c in s)]
