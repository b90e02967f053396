"""Facts a text asserts beyond its words: amounts, counts, percents, dates, parties, status and polarity."""

from __future__ import annotations

import re

from bot.matching import gazetteer
from bot.matching.numbers import (
    amounts_in,
    counts_in,
    dates_in,
    percents_in,
)
from bot.matching.polarity import polarity, words
from bot.matching.stem import stem
from bot.matching.text import STOP_WORDS, fold
from bot.matching.types import Facts, Quantity

# Stage of the action a claim reports; reporting verbs (say, argue) are not a stage.
STATUS_STEMS: dict[str, str] = {
    "urg": "urges",
    "call": "urges",
    "press": "urges",
    "push": "urges",
    "ask": "urges",
    "encourag": "urges",
    "want": "wants",
    "seek": "wants",
    "sought": "wants",
    "wish": "wants",
    "demand": "demands",
    "insist": "demands",
    "requir": "demands",
    "plan": "plans",
    "intend": "plans",
    "consid": "plans",
    "prepar": "plans",
    "aim": "plans",
    "propos": "proposes",
    "suggest": "proposes",
    "offer": "proposes",
    "agre": "agrees",
    "accept": "agrees",
    "consent": "agrees",
    "negoti": "negotiates",
    "sign": "signs",
    "seal": "signs",
    "ink": "signs",
    "finalis": "signs",
    "finaliz": "signs",
    "cancel": "cancels",
    "scrap": "cancels",
    "axe": "cancels",
    "abandon": "cancels",
    "terminat": "cancels",
    "withdraw": "cancels",
    "withdrew": "cancels",
    "revok": "cancels",
    "delai": "delays",
    "postpon": "delays",
    "paus": "delays",
    "suspend": "delays",
    "slow": "delays",
    "stall": "delays",
    "halt": "delays",
    "freez": "delays",
    "froze": "delays",
    "meet": "meets",
    "met": "meets",
    "reject": "rejects",
    "refus": "rejects",
    "veto": "rejects",
    "block": "rejects",
    "dismiss": "rejects",
    "approv": "approves",
    "authoris": "approves",
    "authoriz": "approves",
    "ratifi": "approves",
    "threaten": "threatens",
    "warn": "warns",
    "thank": "welcomes",
    "prais": "welcomes",
    "welcom": "welcomes",
    "applaud": "welcomes",
    "credit": "welcomes",
}
# statuses that say the same thing in a claim and a sighting ("wants Europe to buy" ~ "urges Europe to buy")
STATUS_FAMILY: dict[str, str] = {
    "urges": "asks",
    "wants": "asks",
    "demands": "asks",
    "plans": "plans",
    "proposes": "plans",
    "signs": "signs",
    "agrees": "signs",
}

_LIST = re.compile(r"\s*(?:,|and|or|&|as well as)\s*(?:and\s+|or\s+)?$", re.IGNORECASE)
_CAP_RUN = re.compile(r"\b[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?(?:\s+(?:[A-Z][a-z]+|[A-Z]\.))*")
_COMMON_CAPS = frozenset(
    """the a an in on at last this that these those but and or if when while after before during for from
    president prime minister secretary chancellor general chief mp senator minister sir lord lady mr mrs ms dr
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december recently yesterday today tonight meanwhile however earlier
    later breaking update exclusive watch video photo read analysis opinion live he she it we they i you
    there here what why how who where which nato""".split()
)


_ROLE = re.compile(r"\b(?:president|minister|secretary|chancellor|leader)\b", re.IGNORECASE)
_NAME_NEXT = re.compile(r"\s+[A-Z][a-z]+\s+[A-Z][a-z]")


def _titles_a_name(m: re.Match[str], text: str) -> bool:
    """'US President Joe Biden': an office written before a name is that person's title, not the office's
    current holder in the gazetteer."""
    return bool(_ROLE.search(m.group())) and bool(_NAME_NEXT.match(text, m.end()))


def _parties(text: str) -> tuple[tuple[str, ...], tuple[frozenset[str], ...]]:
    """Canonical parties in order of first mention, and the lists naming several of them together."""
    table = gazetteer.lookup_table()
    spans: list[tuple[int, int, str]] = []
    titles: list[tuple[int, int]] = []
    for m in gazetteer.pattern().finditer(text):
        if gazetteer.accepts(m.group()):
            if _titles_a_name(m, text):
                titles.append(m.span())
            else:
                spans.append((m.start(), m.end(), table[m.group().lower()][0]))
    covered = {i for s, e, _ in spans for i in range(s, e)} | {i for s, e in titles for i in range(s, e)}
    words = text.split()
    title_case = len(words) > 3 and sum(w[:1].isupper() for w in words) > 0.6 * len(words)
    if not title_case:
        for m in _CAP_RUN.finditer(text):
            if m.start() in covered:
                continue
            name = _strip_common(m.group())
            at_start = not text[: m.start()].strip() or text[: m.start()].rstrip()[-1:] in ".!?:\"'‘“"
            if at_start and name.split(" ", 1)[0].endswith("ing"):  # 'Buying American equipment ...'
                name = name.partition(" ")[2]
            if name.lower() in table:
                continue
            if name and (" " in name or not at_start) and fold(name) not in STOP_WORDS:
                spans.append((m.start(), m.end(), name))
    spans.sort()
    groups: list[set[str]] = []
    prev_end, current = -1, set[str]()
    for start, end, name in spans:
        if prev_end >= 0 and _LIST.match(text[prev_end:start]) and current:
            current.add(name)
        else:
            if len(current) > 1:
                groups.append(current)
            current = {name}
        prev_end = end
    if len(current) > 1:
        groups.append(current)
    return tuple(dict.fromkeys(n for _, _, n in spans)), tuple(frozenset(g) for g in groups)


def _strip_common(run: str) -> str:
    parts = run.split()
    while parts and fold(parts[0]) in _COMMON_CAPS:
        parts.pop(0)
    return " ".join(parts)


_DETERMINERS = frozenset("the their its those these his her our this that a an all any every".split())


_FUTURE = frozenset(("will", "to", "would", "shall", "ll", "could", "may", "might", "should"))


_HELD = frozenset("held hold holds holding had were was is are".split())


def _is_status(word: str, s: str, prev: str, after: list[str]) -> bool:
    """'call' urges only as 'call on/for'; 'meet' is a meeting, not 'meet their obligations' nor 'will meet';
    a past tense followed by 'that' reports speech ('insisted on Friday that ...'), it is not the stage."""
    nxt = after[0] if after else ""
    if "that" in after[:4] and word.endswith("ed"):
        return False
    if s == "call":
        return nxt in ("on", "for", "upon")
    if word in ("meeting", "meetings") and nxt != "with" and prev not in _HELD:
        return False  # 'settled on a meeting' plans one; 'meeting with', 'held a meeting' report it
    if s in ("meet", "met"):
        return nxt not in _DETERMINERS and prev not in _FUTURE
    return True


def _status(ws: list[str]) -> str | None:
    for i, w in enumerate(ws):
        s = stem(w)
        found = STATUS_STEMS.get(s) or STATUS_STEMS.get(w)
        if found and _is_status(w, s, ws[i - 1] if i else "", ws[i + 1 : i + 5]):
            return found
    return None


_MORE = re.compile(
    r"\b(?:buy|buying|purchases?|spend|spending|import|imports)\s+(?:\w+\s+){0,2}?more\b"
    r"(?:\s+(?!and\b|or\b|than\b|to\b)[A-Za-z][\w-]*){0,2}"
    r"|\bmore\s+(?:\w+\s+){0,2}?(?:purchases|spending|orders)\b",
    re.IGNORECASE,
)
VAGUE_MORE = Quantity("more", None, "", exact=False)
"""'buy more weapons': a vague amount and a vague rise, which '£50bn' or '20 per cent more' makes exact."""


def extract_facts(text: str) -> Facts:
    """Facts stated by ``text`` (a claim or one sentence); pure and total: any string gives some Facts."""
    if not text or not text.strip():
        return Facts()
    ws = words(text)
    masked, amounts = amounts_in(text)
    masked, percents = percents_in(masked)
    masked, dates = dates_in(masked)
    counts = counts_in(masked)
    parties, groups = _parties(text)
    if more := _MORE.search(text):
        said = Quantity(" ".join(more.group().split()), None, "", exact=False)  # as written, not 'more'
        amounts = amounts or (said,)
        percents = percents or (said,)
    return Facts(
        amounts=amounts,
        counts=counts,
        percents=percents,
        dates=dates,
        parties=frozenset(parties),
        order=parties,
        status=_status(ws),
        polarity=polarity(text),
        groups=groups,
    )
