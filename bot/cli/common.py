"""What every command shares: the settings from the global options, async running, one-line errors."""

from __future__ import annotations

import asyncio
import functools
import inspect
import re
import sys
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Concatenate, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

from bot.errors import UserError as UserError
from bot.settings import Settings

T = TypeVar("T")
P = ParamSpec("P")

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


def async_command(
    command: Callable[Concatenate[Settings, P], Coroutine[Any, Any, None]],
) -> Callable[..., None]:
    """A typer command from ``async def command(settings, ...)``: typer sees a context in place of the
    settings, and the coroutine gets the settings of the global options and runs through :func:`run`.

    Typer passes every parameter by keyword (``ctx`` too), so the result cannot be typed more closely."""

    def sync(ctx: typer.Context, *args: P.args, **kwargs: P.kwargs) -> None:
        run(command(settings_of(ctx), *args, **kwargs))

    functools.update_wrapper(sync, command)  # the name and docstring typer shows
    signature = inspect.signature(command, eval_str=True)
    context = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)
    options = list(signature.parameters.values())[1:]
    sync.__signature__ = signature.replace(parameters=[context, *options])  # type: ignore[attr-defined]
    return sync


def is_tty() -> bool:
    return sys.stdout.isatty()
