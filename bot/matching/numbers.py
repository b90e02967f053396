"""Numbers in running text: money, percentages, dates and counts of things, exact or vague."""

from __future__ import annotations

import re

from bot.matching.text import STOP_WORDS, term
from bot.matching.types import Quantity

_SMALL = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
}
WORD_NUMBERS: dict[str, float] = {w: float(i) for i, w in enumerate(_SMALL)} | {
    k: float(v) for k, v in _TENS.items()
}
MULTIPLIERS = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "mln": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
    "tr": 1e12,
}
VAGUE = {
    "dozens": 24.0,
    "scores": 40.0,
    "hundreds": 200.0,
    "thousands": 2e3,
    "tens of thousands": 2e4,
    "hundreds of thousands": 2e5,
    "millions": 2e6,
    "billions": 2e9,
    "trillions": 2e12,
    "several hundred": 300.0,
    "a few hundred": 300.0,
    "several thousand": 3e3,
    "several": 3.0,
    "a few": 3.0,
    "a handful of": 3.0,
    "many": 10.0,
    "a number of": 5.0,
}
_CURRENCIES = {
    "£": "GBP",
    "$": "USD",
    "us$": "USD",
    "€": "EUR",
    "¥": "JPY",
    "usd": "USD",
    "gbp": "GBP",
    "eur": "EUR",
    "pound": "GBP",
    "pounds": "GBP",
    "sterling": "GBP",
    "dollar": "USD",
    "dollars": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "yen": "JPY",
    "rupees": "INR",
    "yuan": "CNY",
}

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|" + "|".join(sorted(WORD_NUMBERS, key=len, reverse=True))
_MULT = r"trillion|billion|million|thousand|mln|bn|mn|tn|tr|k|m|b"
_CUR_WORD = r"pounds?|dollars?|euros?|yen|rupees|yuan|sterling"
_AMOUNT = re.compile(
    rf"(?P<sym>US\$|[£$€¥]|\b(?:USD|GBP|EUR)\s?)\s?(?P<n1>{_NUM})(?:\s?(?P<m1>{_MULT})\b)?"
    rf"|\b(?P<n2>{_NUM})(?:[\s-]?(?P<m2>{_MULT}))?[\s-](?P<w2>{_CUR_WORD})\b"
    rf"|\bmulti-?(?P<m3>billion|million|trillion)[\s-](?P<w3>pound|dollar|euro)s?\b"
    rf"|\b(?P<v4>billions|millions|trillions|hundreds of millions|tens of millions|hundreds of thousands)"
    rf"\s+of\s+(?P<w4>{_CUR_WORD})\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(rf"\b(?P<n>{_NUM})\s?(?:%|per\s?cent\b|percent\b|percentage points?\b)", re.IGNORECASE)
_MONTHS = ("january february march april may june july august september october november december").split()
_MON = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = re.compile(
    r"\b(?P<iso>(?:19|20)\d\d-\d\d-\d\d)\b"
    rf"|\b(?P<m1>{_MON})\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y1>(?:19|20)\d\d)\b)?"
    rf"|\b(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MON})(?:,?\s+(?P<y2>(?:19|20)\d\d)\b)?"
    rf"|\b(?P<m3>{_MON})\s+(?P<y3>(?:19|20)\d\d)\b"
    r"|\b(?:in|since|by|until|from|before|after|of)\s+(?P<y4>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_VAGUE_RE = "|".join(sorted((re.escape(v) for v in VAGUE), key=len, reverse=True))
_COUNT = re.compile(
    rf"\b(?:(?P<v>{_VAGUE_RE})\s+(?:of\s+)?|(?P<n>{_NUM})(?:\s+(?P<m>million|thousand|billion))?\s+)"
    r"(?P<adj>(?:(?:more|new|extra|additional|other|[a-z]+-[a-z]+"  # 'Leopard 2 tanks': a name
    r"|[A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+|\s+\d[A-Za-z0-9]*(?=\s+[A-Za-z]))?)\s+){0,2})"
    r"(?P<noun>[A-Za-z][a-z]+)\b",
)
_NOT_COUNTED = frozenset("per percent cent years year times of to and or than more less".split())


def _number(raw: str) -> float | None:
    raw = raw.lower().replace(",", "")
    if raw in WORD_NUMBERS:
        return WORD_NUMBERS[raw]
    try:
        return float(raw)
    except ValueError:
        return None


def _may_match(text: str, cues: tuple[str, ...]) -> bool:
    """False only when a pattern cannot match: ASCII text (where IGNORECASE is plain case) that contains
    none of the words every match of it must contain. Most sentences state no money and no percentage."""
    if not text.isascii():
        return True
    low = text.lower()
    return any(c in low for c in cues)


_AMOUNT_CUES = ("$", "usd", "gbp", "eur", "pound", "dollar", "yen", "rupee", "yuan", "sterling")
_PERCENT_CUES = ("%", "cent")
_RELATIVE_CUES = ("day", "week", "month", "next", "coming")
_DIGIT = re.compile(r"\d")


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    chars = list(text)
    for s, e in spans:
        chars[s:e] = " " * (e - s)
    return "".join(chars)


def _amount(m: re.Match[str]) -> Quantity:
    g = m.groupdict()
    raw = " ".join(m.group().split())
    if g["m3"]:
        return Quantity(raw, MULTIPLIERS[g["m3"].lower()], _CURRENCIES[g["w3"].lower()], exact=False)
    if g["v4"]:
        return Quantity(raw, VAGUE.get(g["v4"].lower().split()[0], 2e6), _CURRENCIES[g["w4"].lower()], False)
    num, mult = (g["n1"], g["m1"]) if g["sym"] else (g["n2"], g["m2"])
    unit = _CURRENCIES.get((g["sym"] or g["w2"] or "").strip().lower(), "")
    value = _number(num)
    if value is not None and mult:
        value *= MULTIPLIERS[mult.lower()]
    return Quantity(raw, value, unit)


def amounts_in(text: str) -> tuple[str, tuple[Quantity, ...]]:
    """Money amounts, and ``text`` with them blanked so later passes do not count them again."""
    found = list(_AMOUNT.finditer(text)) if _may_match(text, _AMOUNT_CUES) else []
    return _mask(text, [m.span() for m in found]), tuple(_amount(m) for m in found)


def percents_in(text: str) -> tuple[str, tuple[Quantity, ...]]:
    found = list(_PERCENT.finditer(text)) if _may_match(text, _PERCENT_CUES) else []
    out = tuple(Quantity(" ".join(m.group().split()), _number(m.group("n")), "%") for m in found)
    return _mask(text, [m.span() for m in found]), out


def _month(raw: str) -> int:
    return next(i for i, name in enumerate(_MONTHS, 1) if name.startswith(raw.lower().rstrip(".")[:3]))


def _date(m: re.Match[str]) -> str:
    g = m.groupdict()
    if g["iso"]:
        return g["iso"]
    for mon, day, year in (("m1", "d1", "y1"), ("m2", "d2", "y2")):
        if g[mon]:
            md = f"{_month(g[mon]):02d}-{int(g[day]):02d}"
            return f"{g[year]}-{md}" if g[year] else md
    if g["m3"]:
        return f"{g['y3']}-{_month(g['m3']):02d}"
    return g["y4"] or ""


_RELATIVE = re.compile(
    r"\b(?:within|in)\s+(?:the\s+)?(?:next|coming)?\s*(?:a\s+matter\s+of\s+|a\s+few\s+|few\s+|a\s+couple\s+of\s+)?"
    r"(?P<span>days|weeks|months)\b"
    r"|\b(?P<next>next|this\s+coming)\s+(?P<when>monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|week|month|year)\b",
    re.IGNORECASE,
)


def _relative(m: re.Match[str]) -> str:
    """'within a matter of weeks', 'in the next few weeks' -> 'within weeks'; 'next Monday' as written."""
    if m.group("span"):
        return f"within {m.group('span').lower()}"
    return f"next {m.group('when').lower()}"


def dates_in(text: str) -> tuple[str, tuple[str, ...]]:
    """Dates as ISO-like strings (2025-02-13, 2025-02, 2025, or 02-13 without a year), and relative
    ones as phrases ('within weeks', 'next monday')."""
    every = _DATE.finditer(text) if _DIGIT.search(text) else ()  # each kind of date has a digit
    found = [m for m in every if not (m.group("d1") and int(m.group("d1")) > 31)]
    relative = list(_RELATIVE.finditer(text)) if _may_match(text, _RELATIVE_CUES) else []
    absolute = [d for d in (_date(m) for m in found) if d]
    dates = tuple(dict.fromkeys(absolute + [_relative(m) for m in relative]))
    return _mask(text, [m.span() for m in found + relative]), dates


def counts_in(text: str) -> tuple[Quantity, ...]:
    """Counted things ('180 tanks', 'hundreds of tanks'); ``unit`` is the stem of the thing counted."""
    out: list[Quantity] = []
    for m in _COUNT.finditer(text):
        noun = m.group("noun").lower()
        if noun in _NOT_COUNTED or noun in STOP_WORDS or noun in MULTIPLIERS:
            continue
        raw = " ".join(m.group().split())
        if m.group("v"):
            out.append(Quantity(raw, VAGUE[m.group("v").lower()], term(noun), exact=False))
            continue
        value = _number(m.group("n"))
        if value is None or (m.group("n").isdigit() and len(m.group("n")) == 4 and 1900 <= value <= 2100):
            continue
        if m.group("m"):
            value *= MULTIPLIERS[m.group("m").lower()]
        out.append(Quantity(raw, value, term(noun)))
    return tuple(out)
