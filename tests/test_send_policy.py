"""A chat's /settings reach the sender: quiet hours, a daily digest, a cooldown folding recurrences."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.alerts.alert import Alert, Notice
from bot.alerts.policy import Policy, cooldown_until, next_digest, quiet_until
from bot.alerts.send import DrainResult, Sender
from bot.catalog.claims import create_claim
from storage import chats, outbox
from storage.models import Chat, Delivery
from storage.sightings import add_sighting
from tests.conftest import Db, make_settings

CHAT = 5001


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("quiet", "zone", "now", "until"),
    [
        (None, "UTC", "2025-03-01T23:30", None),
        ((22, 7), "UTC", "2025-03-01T23:30", "2025-03-02T07:00"),
        ((22, 7), "UTC", "2025-03-02T03:00", "2025-03-02T07:00"),
        ((22, 7), "UTC", "2025-03-02T07:00", None),
        ((22, 7), "UTC", "2025-03-01T21:59", None),
        ((0, 6), "Europe/Berlin", "2025-03-01T23:30", "2025-03-02T05:00"),  # 00:30 in Berlin (UTC+1)
        ((0, 6), "Asia/Tokyo", "2025-03-01T23:30", None),  # 08:30 in Tokyo
        ((1, 3), "Europe/Berlin", "2025-03-30T00:30", "2025-03-30T01:00"),  # 01:30 → 03:00 CEST (UTC+2)
    ],
)
def test_quiet_hours_in_the_chats_time_zone(
    quiet: tuple[int, int] | None, zone: str, now: str, until: str | None
) -> None:
    found = quiet_until(Policy(quiet=quiet, timezone=zone), at(now))
    assert (found and found.astimezone(UTC)) == (at(until) if until else None)


@pytest.mark.parametrize(
    ("hour", "zone", "now", "digest"),
    [
        (8, "UTC", "2025-03-01T07:59", "2025-03-01T08:00"),
        (8, "UTC", "2025-03-01T08:00", "2025-03-02T08:00"),
        (8, "America/New_York", "2025-03-01T12:00", "2025-03-01T13:00"),  # 08:00 EST
        (8, "America/New_York", "2025-03-09T12:00", "2025-03-10T12:00"),  # after the DST switch: EDT
        (0, "Europe/Kyiv", "2025-06-01T20:00", "2025-06-01T21:00"),
    ],
)
def test_next_digest_at_the_chosen_local_hour(hour: int, zone: str, now: str, digest: str) -> None:
    assert next_digest(Policy(digest_hour=hour, timezone=zone), at(now)).astimezone(UTC) == at(digest)


def test_policy_defaults_and_cooldown() -> None:
    policy = Policy.of({"quiet": [23, 8], "cooldown": 0}, "Mars/Olympus", default_cooldown=600)
    assert (policy.notify, policy.quiet, policy.cooldown, str(policy.zone)) == ("all", (23, 8), 0, "UTC")
    assert cooldown_until(policy, at("2025-01-01T00:00")) is None
    assert Policy.of({}, "UTC", default_cooldown=600).cooldown == 600
    assert cooldown_until(Policy(cooldown=60), at("2025-01-01T00:00")) == at("2025-01-01T00:01")


@dataclass
class Recorder:
    """The transport edge: what would have gone to Telegram."""

    sent: list[tuple[int, Alert | Notice]] = field(default_factory=list)
    rate_limited = False

    async def send(self, chat_id: int, topic_id: int, message: Alert | Notice) -> int:
        self.sent.append((chat_id, message))
        return 100 + len(self.sent)


async def _sighting(db: Db, claim_id: int, kind: str, headline: str) -> None:
    async with db.sessionmaker.begin() as s:
        sighting = await add_sighting(
            s, claim_id=claim_id, story_id=None, score=80.0, sentence="Tanks again.", kind=kind,
            level="alert", changes=[], terms=["tanks"], story_title=headline, story_link=None,
        )  # fmt: skip
        assert sighting is not None
        event = await outbox.add_event(s, "sighting", claim_id=claim_id, sighting_id=sighting.id)
        await outbox.enqueue(s, event.id, [(CHAT, 0)])


async def _chat(db: Db, **policy: Any) -> int:
    async with db.sessionmaker.begin() as s:
        await chats.ensure_chat(s, CHAT)
        await s.execute(update(Chat).where(Chat.id == CHAT).values(settings=policy, timezone="Asia/Tokyo"))
        claim = await create_claim(s, "Russia moved hundreds of tanks to the border")
        await chats.subscribe(s, CHAT, claim.id)
        return claim.id


async def _drain(db: Db, recorder: Recorder, now: datetime) -> DrainResult:
    settings = make_settings(db.url)
    return await Sender(db.sessionmaker, recorder, settings.delivery, clock=lambda: now).drain()


async def _deliveries(db: Db) -> list[Delivery]:
    async with db.sessionmaker() as s:
        return list((await s.execute(select(Delivery).order_by(Delivery.id))).scalars())


async def test_quiet_hours_hold_alerts_until_they_end(db: Db) -> None:
    local = datetime.now(UTC).astimezone(Policy(timezone="Asia/Tokyo").zone)
    claim_id = await _chat(db, quiet=[local.hour, (local.hour + 2) % 24])
    await _sighting(db, claim_id, "changed", "Tanks moved")
    now = datetime.now(UTC)  # (an hour that ends between these two lines would make this test wait a day)
    recorder = Recorder()
    result = await _drain(db, recorder, now)
    [held] = await _deliveries(db)
    assert recorder.sent == [] and result.deferred == 1
    assert (held.status, held.status_reason, held.attempts) == ("pending", "quiet hours", 0)
    end = held.next_attempt_at
    assert end.astimezone(Policy(timezone="Asia/Tokyo").zone).hour == (local.hour + 2) % 24 and end > now
    await _drain(db, recorder, end + timedelta(seconds=1))
    assert [c for c, _ in recorder.sent] == [CHAT]
    assert [d.status for d in await _deliveries(db)] == ["sent"]


async def test_daily_digest_sends_one_message_at_the_chosen_hour(db: Db) -> None:
    claim_id = await _chat(db, notify="digest", digest_hour=9)
    for n in range(3):
        await _sighting(db, claim_id, "recurs" if n else "changed", f"Headline {n}")
    recorder, now = Recorder(), datetime.now(UTC)
    await _drain(db, recorder, now)
    assert recorder.sent == []
    digest_at = {d.next_attempt_at for d in await _deliveries(db)}
    assert len(digest_at) == 1 and (when := digest_at.pop()) > now
    assert when.astimezone(Policy(timezone="Asia/Tokyo").zone).hour == 9
    result = await _drain(db, recorder, when)
    [(chat_id, digest)] = recorder.sent
    assert isinstance(digest, Notice) and digest.title == "Daily digest · 3 new"
    assert all(f"Headline {n}" in digest.body for n in range(3))
    assert result.sent == 3 and result.folded == 2
    assert {(d.status, d.message_id) for d in await _deliveries(db)} == {("sent", 101)}


async def test_cooldown_pushes_a_recurring_claim_once_and_folds_the_rest(db: Db) -> None:
    claim_id = await _chat(db, cooldown=3600)
    await _sighting(db, claim_id, "recurs", "First")
    recorder, now = Recorder(), datetime.now(UTC)
    await _drain(db, recorder, now)
    await _sighting(db, claim_id, "recurs", "Second")
    await _sighting(db, claim_id, "recurs", "Third")
    await _sighting(db, claim_id, "changed", "A change")  # changes are never held back
    await _drain(db, recorder, now + timedelta(minutes=10))
    assert [m.headline for _, m in recorder.sent if isinstance(m, Alert)] == ["First", "A change"]
    held = [d for d in await _deliveries(db) if d.status == "pending"]
    assert len(held) == 2 and {d.status_reason for d in held} == {"cooldown"}
    result = await _drain(db, recorder, now + timedelta(minutes=61))
    folded = recorder.sent[-1][1]
    assert isinstance(folded, Alert) and folded.headline == "Third" and result.folded == 1
    assert folded.changes == ("also seen 1× since the last alert: Second",)
    assert [d.status for d in await _deliveries(db)] == ["sent"] * 4
    assert len(recorder.sent) == 3
