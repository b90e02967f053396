"""A chat's notification policy, pure: when may a message go out, and what folds into what.

Kept in ``Chat.settings`` (written by /settings) and ``Chat.timezone``:
``notify`` — ``all`` (every sighting), ``changes`` (recurring sightings are not enqueued at all) or ``digest``
(everything waits for one message a day at ``digest_hour``, local time; quiet hours do not apply to it);
``cooldown`` — seconds: one claim's ``recurs`` alerts push at most once per cooldown to a chat (counted from
the last ``recurs`` push; ``changed`` alerts always go out), the ones held back fold into one message when the
cooldown ends; ``quiet`` — ``[from, to)`` local hours in
which nothing is pushed (held until ``to``, then sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DIGEST = "digest"
QUIET = "quiet hours"
COOLDOWN = "cooldown"
"""Reasons a delivery waits (its ``status_reason`` while it is pending): not errors, no attempt counted."""


@dataclass(frozen=True, slots=True)
class Policy:
    notify: str = "all"
    digest_hour: int = 8
    cooldown: float = 3600.0
    quiet: tuple[int, int] | None = None
    timezone: str = "UTC"

    @classmethod
    def of(cls, settings: dict[str, Any], timezone: str, *, default_cooldown: float) -> Policy:
        quiet = settings.get("quiet")
        return cls(
            notify=str(settings.get("notify", "all")),
            digest_hour=int(settings.get("digest_hour", 8)) % 24,
            cooldown=float(settings.get("cooldown", default_cooldown)),
            quiet=(int(quiet[0]) % 24, int(quiet[1]) % 24) if quiet else None,
            timezone=timezone,
        )

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")


def _at_hour(local: datetime, hour: int, zone: ZoneInfo) -> datetime:
    """``hour``:00 on ``local``'s date, or the next day's when that has passed."""
    candidate = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate = (candidate.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=zone)
    return candidate


def quiet_until(policy: Policy, now: datetime) -> datetime | None:
    """The end of the quiet hours ``now`` falls in, or None when pushing is allowed."""
    if policy.quiet is None or policy.quiet[0] == policy.quiet[1]:
        return None
    start, end = policy.quiet
    local = now.astimezone(policy.zone)
    inside = start <= local.hour < end if start < end else local.hour >= start or local.hour < end
    return _at_hour(local, end, policy.zone) if inside else None


def next_digest(policy: Policy, now: datetime) -> datetime:
    """When the chat's next daily digest goes out (strictly after ``now``)."""
    return _at_hour(now.astimezone(policy.zone), policy.digest_hour, policy.zone)


def cooldown_until(policy: Policy, last_push: datetime | None) -> datetime | None:
    """Until when a ``recurs`` alert of a claim last pushed at ``last_push`` is held back."""
    if last_push is None or policy.cooldown <= 0:
        return None
    return last_push + timedelta(seconds=policy.cooldown)
