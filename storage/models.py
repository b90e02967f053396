"""Typed SQLAlchemy models; unique constraints encode the invariants the pipeline relies on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


ID_MAX = 2**31 - 1  # Integer primary keys are 32-bit on PostgreSQL


def valid_id(value: int) -> bool:
    """Whether ``value`` can be a row id; a larger one would overflow the driver, not find nothing."""
    return 0 < value <= ID_MAX


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(AsyncAttrs, DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(String(512), default="")
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    """Added by the operator (CLI/config): may use ``file://``."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    baseline_done: Mapped[bool] = mapped_column(Boolean, default=False)
    """The first poll stores and matches but pushes nothing."""
    interval: Mapped[float | None] = mapped_column(Float)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    next_check_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_checked_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Story(Base):
    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    title_key: Mapped[str | None] = mapped_column(String(64), index=True)
    """Fingerprint of a long enough title: finds the same story republished under another link."""
    link: Mapped[str | None] = mapped_column(String(2048))
    published_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class StorySource(Base):
    """One (feed, guid) seen; kept after its story is pruned so the guid never alerts again."""

    __tablename__ = "story_sources"
    __table_args__ = (UniqueConstraint("feed_id", "guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(String(1024))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"), index=True)
    link: Mapped[str | None] = mapped_column(String(2048))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Claim(Base):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str | None] = mapped_column(String(128), unique=True)
    text: Mapped[str] = mapped_column(Text)
    aliases: Mapped[list[str]] = mapped_column(default=list)
    source: Mapped[str] = mapped_column(String(256), default="")
    source_date: Mapped[str | None] = mapped_column(String(32))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_threshold: Mapped[float | None] = mapped_column(Float)
    suggest_threshold: Mapped[float | None] = mapped_column(Float)
    created_by_chat: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    article_link: Mapped[str | None] = mapped_column(Text)
    """The article the claim was picked from (``claims extract``, /track with a link or a pasted story)."""
    article_title: Mapped[str | None] = mapped_column(String(300))
    article_date: Mapped[str | None] = mapped_column(String(32))


class ClaimState(Base):
    """The claim's facts from one point on; the current state is the newest one not reverted."""

    __tablename__ = "claim_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    facts: Mapped[dict[str, Any]]
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    story_published_at: Mapped[datetime | None]
    sighting_id: Mapped[int | None] = mapped_column(ForeignKey("sightings.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    reverted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Sighting(Base):
    __tablename__ = "sightings"
    __table_args__ = (UniqueConstraint("claim_id", "story_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    score: Mapped[float] = mapped_column(Float)
    sentence: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    """``recurs`` or ``changed``."""
    level: Mapped[str] = mapped_column(String(16))
    """``alert`` (pushed) or ``suggestion`` (history only)."""
    changes: Mapped[list[str]] = mapped_column(default=list)
    terms: Mapped[list[str]] = mapped_column(default=list)
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    story_title: Mapped[str] = mapped_column(Text, default="")
    story_link: Mapped[str | None] = mapped_column(String(2048))
    """Copied from the story so history survives its pruning."""
    feedback: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Event(Base):
    """Something subscribers are told about: a sighting, a feed deactivated, ..."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    sighting_id: Mapped[int | None] = mapped_column(ForeignKey("sightings.id", ondelete="CASCADE"))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Chat(Base):
    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    """Telegram chat id; the console chat uses 0."""
    kind: Mapped[str] = mapped_column(String(16), default="private")
    title: Mapped[str] = mapped_column(String(256), default="")
    follows_all: Mapped[bool] = mapped_column(Boolean, default=False)
    """Receives every claim's alerts without subscriptions (the console chat)."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("chat_id", "topic_id", "claim_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE", onupdate="CASCADE")
    )
    topic_id: Mapped[int] = mapped_column(BigInteger, default=0)
    """Forum topic (``message_thread_id``); 0 for none."""
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    muted_until: Mapped[datetime | None]
    threshold_offset: Mapped[float] = mapped_column(Float, default=0.0)
    notify: Mapped[str] = mapped_column(String(16), default="all")
    """``all``, ``changes`` or ``digest``."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """The outbox: one message owed to one chat (and topic) for one event."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "chat_id", "topic_id"),
        Index("ix_deliveries_pending", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE", onupdate="CASCADE")
    )
    topic_id: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """``pending``, ``sending``, ``sent``, ``failed``, ``dropped`` or ``unsure`` (maybe sent twice)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    status_reason: Mapped[str | None] = mapped_column(Text)
    """Why the delivery is in its status: a wait reason while pending (quiet hours, cooldown, digest, a
    flood wait: no attempt counted), the last error after a failed attempt, or why it was dropped."""
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Tick(Base):
    """One scheduler tick, for ``claimbot status`` and ``/stats``."""

    __tablename__ = "ticks"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    duration: Mapped[float] = mapped_column(Float, default=0.0)
    feeds: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    new_stories: Mapped[int] = mapped_column(Integer, default=0)
    sightings: Mapped[int] = mapped_column(Integer, default=0)


class RateBudget(Base):
    """A send rate shared by every sender on one database: the next free slot, on the database's clock.

    Senders book blocks of slots by pushing ``next_slot`` forward (bot/alerts/budget.py), so together they
    never exceed the rate whatever their number.
    """

    __tablename__ = "rate_budgets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_slot: Mapped[int] = mapped_column(BigInteger, default=0)
    """Microseconds since the epoch (database clock) of the first slot nobody has booked."""
