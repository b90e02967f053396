"""Moments as short relative words for people, the same in the command line and in Telegram."""

from __future__ import annotations

from datetime import UTC, datetime


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """``3m ago``, ``2d ago``, ``in 5m``, or ``never``."""
    if moment is None:
        return "never"
    now = now or datetime.now(UTC)
    seconds = (now - moment).total_seconds()
    suffix = "ago" if seconds >= 0 else ""
    prefix = "" if seconds >= 0 else "in "
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{prefix}{int(seconds // size)}{unit} {suffix}".strip()
    return f"{prefix}{int(seconds)}s {suffix}".strip()
