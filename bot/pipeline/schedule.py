"""When to check a feed next: pure arithmetic over the feed's hints, its failures and the configured bounds.

Order of precedence: a failing feed backs off exponentially (``interval * 2**(failures-1)``, capped at a day
and at ``max_interval``); a healthy feed waits ``interval`` stretched by its own hints (``<ttl>``,
``sy:updatePeriod``, ``Cache-Control: max-age``). ``Retry-After`` is a floor in both cases. Everything is
clamped to ``[min_interval, max_interval]``; then jitter (a random fraction of the delay, never negative) is
added so feeds do not fire together.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

DAY = 86400.0


def base_delay(
    *,
    interval: float,
    min_interval: float,
    max_interval: float,
    failures: int = 0,
    ttl: float | None = None,
    retry_after: float | None = None,
    max_age: float | None = None,
) -> float:
    """Delay in seconds before jitter, within ``[min_interval, max_interval]``."""
    if failures > 0:
        # 2**failures overflows float for absurd counts; past 64 the cap has long been reached.
        delay = min(interval * 2.0 ** min(failures - 1, 64), DAY)
    else:
        hints = [h for h in (ttl, max_age) if h is not None and h > 0]
        delay = max([interval, *hints])
    if retry_after is not None and retry_after > 0:
        delay = max(delay, retry_after)
    return min(max(delay, min_interval), max_interval)


def next_check(
    now: datetime,
    *,
    interval: float,
    min_interval: float,
    max_interval: float,
    jitter: float,
    rng: random.Random,
    failures: int = 0,
    ttl: float | None = None,
    retry_after: float | None = None,
    max_age: float | None = None,
) -> datetime:
    """The moment the feed is next due; ``jitter`` is a fraction (0.1 = up to 10% later)."""
    delay = base_delay(
        interval=interval,
        min_interval=min_interval,
        max_interval=max_interval,
        failures=failures,
        ttl=ttl,
        retry_after=retry_after,
        max_age=max_age,
    )
    extra = delay * max(jitter, 0.0) * rng.random()
    return now + timedelta(seconds=delay + extra)
