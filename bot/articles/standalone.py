"""Sentences made to stand alone: who 'he', 'the President' or 'the pair' is, and who is speaking in a quote.

A news sentence leans on the ones before it ("He said the US would…", a quote that runs on from the
paragraph above). A claim is tracked alone, so each sentence gets the names its context supplies, where
they can be found cheaply and surely; when they cannot, the sentence is left as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_TITLES = frozenset(
    """mr mrs ms miss dr sir dame lord lady president secretary minister chancellor senator governor general
    mp mep spokesman spokeswoman spokesperson envoy chief chairman chairwoman ambassador commissioner
    mayor premier king queen prince judge professor prof leader director vice deputy""".split()
)
_HONORIFICS = frozenset("mr mrs ms miss dr sir dame lord lady".split())
_SPEECH = r"(?:said|says|told|added|argued|insisted|claimed|warned|stated|wrote|explained)"
_NAME = r"[A-Z][a-zà-ÿ]+(?:[-'’][A-Z]?[a-zà-ÿ]+)?"
_RUN = re.compile(rf"{_NAME}(?:\s+{_NAME})*")
_HONORIFIC_SURNAME = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Dr|Sir|Dame)\.?\s+(?P<surname>{_NAME})\b")
_SPEAKER_AFTER = re.compile(rf"^\s*,?\s*(?:has\s+|had\s+)?{_SPEECH}\b")
_TITLED = re.compile(rf"\b(?P<title>[A-Z][a-z]+)\s+(?P<name>{_NAME}(?:\s+{_NAME})?)")
_LEAD = re.compile(r"^(?:But|And|So|Yet|However,|Meanwhile,)\s+")
_PRONOUN = re.compile(r"^(?P<p>He|She)\s+(?=[a-z])")
_POSSESSIVE = re.compile(r"^(?P<p>His|Her)\s+(?=[a-z])")
_THE_TITLE = re.compile(r"^[Tt]he\s+(?P<title>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s+(?=[a-z])")
_THE_PAIR = re.compile(r"\bthe (?:pair|two (?:men|women|leaders))\b")
_OPEN = re.compile(r"(?:^|(?<=[\s:(\[—–-]))[‘“\"']")
_CLOSE = re.compile(r"[’”\"'](?=[\s.,;:!?)\]]|$)")
_SPEECH_COLON = re.compile(rf"\b{_SPEECH}\s*:?\s*$")


@dataclass(slots=True)
class _People:
    """Who the text has named so far: full names by surname, the most recent ones, titles."""

    full: dict[str, str] = field(default_factory=dict)
    recent: list[str] = field(default_factory=list)
    titled: dict[str, str] = field(default_factory=dict)

    def add(self, name: str) -> None:
        name = self.full.get(name.split()[-1], name) if " " not in name else name
        self.full.setdefault(name.split()[-1], name)
        if name in self.recent:
            self.recent.remove(name)
        self.recent.append(name)


def people_in(text: str) -> _People:
    """People the whole text names: '<title> First Last', 'First Last said', or 'Mr Last' somewhere."""
    people = _People()
    surnames = {m.group("surname") for m in _HONORIFIC_SURNAME.finditer(text)}
    for m in _RUN.finditer(text):
        words = m.group().split()
        titles = [i for i, w in enumerate(words) if w.lower().rstrip(".") in _TITLES]
        name_words = words[titles[-1] + 1 if titles else 0 :][-3:]
        if len(name_words) < 2:
            continue
        before = text[: m.start()].split()[-1:]
        titled = bool(titles) or (bool(before) and before[0].lower().rstrip(".") in _TITLES)
        spoke = bool(_SPEAKER_AFTER.match(text[m.end() :]))
        if titled or spoke or name_words[-1] in surnames:
            people.full.setdefault(name_words[-1], " ".join(name_words))
    for m in _TITLED.finditer(text):
        title, name = m.group("title").lower(), _strip_titles(m.group("name"))
        surname = name.split()[-1] if name else ""
        if title in _TITLES and title not in _HONORIFICS and surname in people.full:
            people.titled.setdefault(title, people.full[surname])
    return people


def _strip_titles(name: str) -> str:
    parts = name.split()
    while parts and parts[0].lower().rstrip(".") in _TITLES:
        parts.pop(0)
    return " ".join(parts)


def _named(sentence: str, people: _People) -> list[str]:
    """Known people named in ``sentence`` in order (by full name or by surname)."""
    found: list[tuple[int, str]] = []
    for surname, full in people.full.items():
        m = re.search(rf"\b{re.escape(surname)}\b", sentence)
        if m:
            found.append((m.start(), full))
    return list(dict.fromkeys(name for _, name in sorted(found)))


@dataclass(frozen=True, slots=True)
class Line:
    """A sentence as written and as it stands alone, with the paragraph it came from."""

    text: str
    standalone: str
    paragraph: int


def stand_alone(paragraphs: Sequence[Sequence[str]], context: str = "") -> list[Line]:
    """Each sentence of ``paragraphs`` rewritten to stand alone; ``context`` (the title) names people too."""
    people = people_in("\n".join([context, *(" ".join(p) for p in paragraphs)]))
    speaker: str | None = None
    quote_open = False
    out: list[Line] = []
    for number, paragraph in enumerate(paragraphs):
        for i, sentence in enumerate(paragraph):
            starts_quote = bool(_OPEN.match(sentence))
            carried = quote_open and speaker and (i > 0 or starts_quote)
            text = _resolve(_LEAD.sub("", sentence), people)
            if carried and not _speaks(sentence):
                text = f"{speaker} said: {text}"
            opens, closes = len(_OPEN.findall(sentence)), len(_CLOSE.findall(sentence))
            this_speaker = _speaker_of(sentence, people)
            if this_speaker is not None and opens > closes:
                speaker = this_speaker
            if opens != closes:
                quote_open = opens > closes
            elif not carried:
                quote_open = False
            if not quote_open:
                speaker = None
            for name in _named(text, people):
                people.add(name)
            out.append(Line(sentence, _capital(text), number))
    return out


def _speaks(sentence: str) -> bool:
    return bool(re.search(rf"\b{_SPEECH}\b", sentence))


def _speaker_of(sentence: str, people: _People) -> str | None:
    """The person a quote in ``sentence`` is from: the last one named before 'said:' and the quote."""
    opening = _OPEN.search(sentence)
    before = sentence[: opening.start()] if opening else sentence
    if not _SPEECH_COLON.search(before):
        return None
    named = _named(before, people)
    return named[-1] if named else None


def _resolve(sentence: str, people: _People) -> str:
    """'He'/'She' → the last person named; 'His' → theirs; 'The President' → the one with that title."""
    last = people.recent[-1] if people.recent else None
    if last and (m := _PRONOUN.match(sentence)):
        sentence = last + " " + sentence[m.end() :]
    elif last and (m := _POSSESSIVE.match(sentence)):
        sentence = f"{last}’s " + sentence[m.end() :]
    elif m := _THE_TITLE.match(sentence):
        who = people.titled.get(m.group("title").split()[-1].lower())
        if who:
            sentence = who + " " + sentence[m.end() :]
    pair = _pair(people)
    if pair and _THE_PAIR.search(sentence):
        sentence = _THE_PAIR.sub(pair, sentence, count=1)
    return sentence


def _pair(people: _People) -> str | None:
    return " and ".join(people.recent[-2:]) if len(people.recent) >= 2 else None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text
