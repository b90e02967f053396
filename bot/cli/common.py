"""What every command shares: the settings from the global options, async running, one-line errors."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Coroutine, Iterable
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

from bot.errors import UserError as UserError
from bot.settings import Settings

T = TypeVar("T")

# C0 and C1 control characters but newline and tab: ESC starts a terminal sequence, the rest have no place on
# a line of output.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class PlainConsole(Console):
    """A console for outside text: strings are never read as markup or emoji, and no control character of
    any printed text (table cells, Text objects) reaches the terminal. Style with ``Text``, not markup."""

    def __init__(self, *, stderr: bool = False) -> None:
        super().__init__(stderr=stderr, highlight=False, soft_wrap=True, markup=False, emoji=False)

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control is None and _CONTROL.search(segment.text):
                yield Segment(_CONTROL.sub("", segment.text), segment.style)
            else:
                yield segment


out = PlainConsole()
err = PlainConsole(stderr=True)


def settings_of(ctx: typer.Context) -> Settings:
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings), "the root callback loads the settings"
    return settings


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(Text.assemble(("error:", "bold red"), " ", message))
    raise typer.Exit(code)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro``; known user-facing errors become one line on stderr and exit code 1."""
    from bot.catalog.claims import ClaimError
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
