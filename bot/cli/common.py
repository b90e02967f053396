"""What every command shares: the settings from the global options, async running, one-line errors."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

from bot.settings import Settings

T = TypeVar("T")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class UserError(Exception):
    """A mistake the user can fix; shown as one line, exit code 1."""


def settings_of(ctx: typer.Context) -> Settings:
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings), "the root callback loads the settings"
    return settings


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro``; known user-facing errors become one line on stderr and exit code 1."""
    from bot.claimbook import ClaimError
    from bot.pipeline.urlguard import UnsafeURLError
    from bot.settings import ConfigError
    from storage.db import DatabaseConfigError

    try:
        return asyncio.run(coro)
    except (UserError, ClaimError, ConfigError, DatabaseConfigError, UnsafeURLError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None


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


def is_tty() -> bool:
    return sys.stdout.isatty()
