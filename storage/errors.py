"""The storage layer's exceptions; kept free of SQLAlchemy so importing them costs nothing.

``bot.errors`` draws them in the project's tree; storage never imports ``bot``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.models import Feed


class StorageError(Exception):
    """Base of what storage raises on purpose."""


class DatabaseConfigError(StorageError):
    """The database URL cannot be used; the message says why and what to do."""


class FeedExistsError(StorageError):
    """Another feed already has this URL; ``feed`` is that feed."""

    def __init__(self, feed: Feed) -> None:
        super().__init__(f"feed #{feed.id} already has this URL")
        self.feed = feed
