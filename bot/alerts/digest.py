"""Folding several sightings into one message: a claim's held-back ``recurs`` alerts, or a daily digest."""

from __future__ import annotations

from dataclasses import replace

from bot.alerts.alert import Alert, Notice
from bot.alerts.render import shorten

DIGEST_BUDGET = 3400
"""Characters of one digest message's body (Telegram's 4096 less the title and escaping headroom)."""


def fold(alerts: list[Alert]) -> Alert:
    """The newest alert, telling how often the claim was seen since the last push, and where."""
    *earlier, newest = alerts
    if not earlier:
        return newest
    heads = "; ".join(shorten(a.headline or "(untitled story)", 80) for a in earlier[-5:])
    more = f" and {len(earlier) - 5} more" if len(earlier) > 5 else ""
    note = f"also seen {len(earlier)}× since the last alert: {heads}{more}"
    return replace(newest, changes=(*newest.changes, note))


def _line(message: Alert | Notice) -> str:
    if isinstance(message, Notice):
        return f"• {message.title}: {shorten(message.body, 200)}"
    label = "recurs" if message.kind == "recurs" else "changed"
    link = f" {message.link}" if message.link else ""
    return (
        f"• #{message.claim_id} {shorten(message.claim_text, 60)} — {label}, score {message.score:.0f}\n"
        f"  {shorten(message.headline or '(untitled story)', 140)}{link}"
    )


def digests(messages: list[Alert | Notice]) -> list[tuple[Notice, int]]:
    """Digest messages for ``messages`` in order, each with how many of them it covers."""
    out: list[tuple[Notice, int]] = []
    lines: list[str] = []
    for message in messages:
        line = _line(message)
        if lines and sum(len(x) + 1 for x in lines) + len(line) > DIGEST_BUDGET:
            out.append((Notice(f"Daily digest · {len(lines)} new", "\n".join(lines)), len(lines)))
            lines = []
        lines.append(line[:DIGEST_BUDGET])
    if lines:
        out.append((Notice(f"Daily digest · {len(lines)} new", "\n".join(lines)), len(lines)))
    return out
