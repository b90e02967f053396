"""Small pure helpers for replies: sparklines, durations, local times."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.alerts.render import shorten

BARS = "▁▂▃▄▅▆▇█"
_DURATION = re.compile(r"^(\d{1,4})\s*([mhdw])$")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def sparkline(counts: Sequence[int]) -> str:
    """One bar per value, scaled to the largest; zeros are the lowest bar."""
    top = max(counts, default=0)
    if top == 0:
        return BARS[0] * len(counts)
    return "".join(BARS[min(int(n / top * (len(BARS) - 1) + 0.5), len(BARS) - 1)] for n in counts)


def weekly(moments: Sequence[datetime], now: datetime, weeks: int = 8) -> list[int]:
    """How many of ``moments`` fall in each of the last ``weeks`` weeks, oldest first."""
    counts = [0] * weeks
    for moment in moments:
        age = int((now - moment).total_seconds() // 604800)
        if 0 <= age < weeks:
            counts[weeks - 1 - age] += 1
    return counts


def plural(count: int, word: str) -> str:
    """``1 sighting``, ``2 sightings``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def local_time(moment: datetime, zone: str) -> str:
    """``2026-12-03 19:45 Europe/Berlin``: a moment in the chat's time zone (UTC if it is unknown)."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz, zone = ZoneInfo("UTC"), "UTC"
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M} {zone}"


def sentence_case(text: str) -> str:
    """A message as a sentence: capital first letter, closing full stop (errors come in lower case)."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…", ")")) else text + "."


def parse_duration(text: str) -> timedelta | None:
    """``30m``, ``2h``, ``3d``, ``1w``; None when it is not one."""
    found = _DURATION.match(text.strip().lower())
    if not found or int(found.group(1)) == 0:
        return None
    return timedelta(seconds=int(found.group(1)) * _UNITS[found.group(2)])


def esc(text: str, limit: int | None = None) -> str:
    """Escaped for Telegram HTML, optionally shortened first (never cut inside an entity)."""
    return html.escape(shorten(text, limit) if limit else text)


def claim_ref(arg: str | None) -> int | None:
    """A claim id from ``12`` or ``#12``."""
    ref = (arg or "").strip().split(" ", 1)[0].lstrip("#")
    return int(ref) if ref.isdigit() and len(ref) < 12 else None
