"""The exceptions claimbot raises on purpose, in one tree.

    ClaimbotError
    ├── UserError                 a mistake the user can fix: one line, the reply (bot) or exit 1 (CLI)
    ├── ConfigError               the configuration cannot be used; names the key
    ├── UnsafeURLError            a URL the fetch policy refuses (also a ValueError)
    ├── UnsafeAddressError        a host resolved to a forbidden address, inside the connector (an OSError)
    ├── FeedParseError            the document is not a usable feed
    ├── OpmlError                 the document is not OPML at all
    ├── ClaimError                a claim cannot be created or changed as asked (also a ValueError)
    ├── ArticleError              the input cannot be read as an article
    ├── SendError                 a delivery failed (retry later, give up, chat gone, outage...)
    ├── DatasetError              the real-news set is missing, altered or malformed (also a ValueError)
    ├── BaselineUnavailableError  the earlier commit's matcher cannot be run (also a RuntimeError)
    └── EngineError               a matching engine cannot be used as asked (bot.matching.engines)
        └── SemanticUnavailableError  ``semantic`` asked for without ``claimbot[semantic]``

    storage.errors.StorageError   storage never imports bot, so its exceptions root there; re-exported here
    ├── DatabaseConfigError       the database URL cannot be used
    └── FeedExistsError           another feed already has this URL

The matching engines' errors live beside the engines (bot.matching stays importable on its own) and
derive from ClaimbotError. Each class keeps the standard base its callers catch. Nothing heavy is
imported here.
"""

from __future__ import annotations

from storage.errors import DatabaseConfigError, FeedExistsError, StorageError

__all__ = [
    "ArticleError",
    "BaselineUnavailableError",
    "ClaimError",
    "ClaimbotError",
    "ConfigError",
    "DatabaseConfigError",
    "DatasetError",
    "FeedExistsError",
    "FeedParseError",
    "OpmlError",
    "SendError",
    "StorageError",
    "UnsafeAddressError",
    "UnsafeURLError",
    "UserError",
]


class ClaimbotError(Exception):
    """Root of the exceptions claimbot raises on purpose."""


class UserError(ClaimbotError):
    """A mistake the user can fix; the message is the whole reply (plain text, escaped when sent)."""


class ConfigError(ClaimbotError):
    """The configuration cannot be used; the message names the key and says what to do."""


class UnsafeURLError(ClaimbotError, ValueError):
    """The URL is refused by the policy."""


class UnsafeAddressError(ClaimbotError, OSError):
    """A host resolved to an address the policy forbids (raised inside the connector)."""


class FeedParseError(ClaimbotError):
    """The document is not a usable feed; ``reason`` is one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OpmlError(ClaimbotError):
    """The document is not OPML at all (individual bad outlines are reported, not raised)."""


class ClaimError(ClaimbotError, ValueError):
    """A claim cannot be created or changed as asked; the message says why."""


class ArticleError(ClaimbotError):
    """The input cannot be read as an article; the message says why in one line."""


class SendError(ClaimbotError):
    """A delivery failed; ``retry_after`` set means try again later, ``permanent`` means give up.

    ``chat_gone``: the chat blocked the bot or no longer exists; ``migrate_to``: the group now lives
    under that id; ``outage``: the Bot API itself is unreachable or failing (nothing about this message);
    ``maybe_sent``: the request was answered, but the answer could not be read.
    """

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        chat_gone: bool = False,
        migrate_to: int | None = None,
        outage: bool = False,
        maybe_sent: bool = False,
    ) -> None:
        super().__init__(reason)
        self.maybe_sent = maybe_sent
        self.retry_after = retry_after
        self.permanent = permanent or chat_gone
        self.chat_gone = chat_gone
        self.migrate_to = migrate_to
        self.outage = outage


class DatasetError(ClaimbotError, ValueError):
    """The real-news set is missing, altered or malformed."""


class BaselineUnavailableError(ClaimbotError, RuntimeError):
    """The earlier commit's matcher cannot be run here (no git history, or it failed)."""
