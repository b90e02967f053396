"""Pure rendering of an :class:`Alert`: Telegram HTML (≤ 4096 characters, all escaped) or plain text."""

from __future__ import annotations

import html
import re

from bot.alerts.alert import Alert, Notice, Source

TELEGRAM_LIMIT = 4096
SHORT_CLAIM = 120
WINDOW_WORDS = 80
"""Matching cuts a run-on sentence into windows of this many words (bot.matching.text.sentences)."""


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut + "…"


_ENDS = ".!?…\"'”’»)]"


def quoted(sentence: str) -> str:
    """The sentence as quoted: a window cut from a longer run-on sentence shows "…" where it was cut."""
    sentence = " ".join(sentence.split())
    if len(sentence.split()) < WINDOW_WORDS:
        return sentence
    if sentence[:1].islower():
        sentence = "…" + sentence
    return sentence if sentence.endswith(tuple(_ENDS)) else sentence + "…"


def _bold_terms(sentence: str, terms: tuple[str, ...]) -> str:
    """Escape ``sentence`` and set the matched ``terms`` in bold (whole words, any case)."""
    words = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return html.escape(sentence)
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
    out, last = [], 0
    for found in pattern.finditer(sentence):
        out.append(html.escape(sentence[last : found.start()]))
        out.append(f"<b>{html.escape(found.group(0))}</b>")
        last = found.end()
    out.append(html.escape(sentence[last:]))
    return "".join(out)


def distinct(sources: tuple[Source, ...]) -> tuple[Source, ...]:
    """One source per name (two feeds of one channel are one source to a reader); the first link wins."""
    seen: dict[str, Source] = {}
    for source in sources:
        seen.setdefault(" ".join(source.name.split()).casefold(), source)
    return tuple(seen.values())


def _link(text: str, url: str | None) -> str:
    if not url:
        return html.escape(text)
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(text)}</a>'


def _head(alert: Alert) -> str:
    label = "🔁 Claim recurs" if alert.kind == "recurs" else "✏️ Claim changed"
    claim = html.escape(shorten(alert.claim_text, SHORT_CLAIM))
    return f"<b>{label}</b> · #{alert.claim_id} {claim}"


def to_html(alert: Alert) -> str:
    """Telegram HTML; the quote is shortened (never cut inside a tag or entity) to stay within the limit."""
    lines = [_head(alert)]
    lines += [f"• {html.escape(shorten(change, 200))}" for change in alert.changes[:10]]
    lines.append(_link(shorten(alert.headline, 300) or "(untitled story)", alert.link))
    quote_at = len(lines)
    sources = distinct(alert.sources)
    if sources:
        names = ", ".join(_link(shorten(s.name, 80), s.link) for s in sources[:5])
        more = f" +{len(sources) - 5}" if len(sources) > 5 else ""
        lines.append(f"Sources: {names}{more}")
    lines.append(f"Score {alert.score:.0f}/100")
    budget = TELEGRAM_LIMIT - len("\n".join(lines)) - len("\n<blockquote></blockquote>")
    sentence = quoted(alert.sentence)
    quote = _bold_terms(sentence, alert.terms)
    while len(quote) > budget and sentence:
        sentence = shorten(sentence, max(len(sentence) - max(len(quote) - budget, 16), 1))
        sentence = "" if sentence == "…" else sentence
        quote = _bold_terms(sentence, alert.terms)
    if quote:
        lines.insert(quote_at, f"<blockquote>{quote}</blockquote>")
    text = "\n".join(lines)
    return text if len(text) <= TELEGRAM_LIMIT else notice_html(Notice("Alert", "(too long to show)"))


def to_text(alert: Alert) -> str:
    """Plain text for the console."""
    label = "RECURS" if alert.kind == "recurs" else "CHANGED"
    lines = [
        f"[{label}] #{alert.claim_id} {shorten(alert.claim_text, SHORT_CLAIM)}  (score {alert.score:.0f})"
    ]
    lines += [f"    {change}" for change in alert.changes]
    lines.append(f"    story: {alert.headline}" + (f" <{alert.link}>" if alert.link else ""))
    lines.append(f'    "{shorten(quoted(alert.sentence), 400)}"')
    if alert.sources:
        lines.append("    sources: " + ", ".join(s.name for s in distinct(alert.sources)))
    return "\n".join(lines)


def notice_html(notice: Notice) -> str:
    return f"<b>{html.escape(notice.title)}</b>\n{html.escape(shorten(notice.body, 3500))}"


def notice_text(notice: Notice) -> str:
    return f"[NOTICE] {notice.title}: {notice.body}"
