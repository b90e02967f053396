"""The ``claimbot`` command line: global options here, one module per command group, imported on use."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup

from bot import __version__

if TYPE_CHECKING:
    from typer._click import Command, Context  # typer vendors click

# Command name -> "module:attribute" (a Typer is a command group, a function one command), in --help order.
# Nothing is imported until the command runs or --help lists it: the command modules pull in the database,
# HTTP and matching stacks, which `claimbot --version` should not pay for.
COMMANDS = {
    "seed": "bot.cli.ops:seed",
    "demo": "bot.cli.ops:demo",
    "run": "bot.cli.ops:run_command",
    "status": "bot.cli.ops:status",
    "match": "bot.cli.match:match_command",
    "eval": "bot.cli.match:eval_command",
    "eval-news": "bot.cli.evaluate:eval_news_command",
    "claims": "bot.cli.claims:app",
    "feeds": "bot.cli.feeds:app",
    "db": "bot.cli.ops:db_app",
}


class LazyGroup(TyperGroup):
    """The root group: the commands of ``COMMANDS``, each built from its module when first asked for."""

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *COMMANDS]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, attribute = COMMANDS[cmd_name].split(":")
        target = getattr(importlib.import_module(module), attribute)
        command = typer.main.get_group(target) if isinstance(target, typer.Typer) else _one(cmd_name, target)
        command.name = cmd_name
        return command


def _one(name: str, function: Callable[..., None]) -> Command:
    single = typer.Typer(add_completion=False)
    single.command(name)(function)
    return typer.main.get_command(single)


app = typer.Typer(
    name="claimbot",
    cls=LazyGroup,
    help="Track claims in the news: poll feeds, recognise claims as they recur or change, alert subscribers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"claimbot {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="TOML file whose keys override config/claimbot.toml."),
    ] = None,
    log_level: Annotated[str | None, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = None,
    log_format: Annotated[str | None, typer.Option(help="text or json.")] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Global options; the settings they produce are handed to every command."""
    import logging

    from bot.cli.common import fail
    from bot.logs import configure_logging
    from bot.settings import ConfigError, load_settings

    overrides: dict[str, dict[str, str]] = {}
    if log_level:
        overrides.setdefault("log", {})["level"] = log_level
    if log_format:
        overrides.setdefault("log", {})["format"] = log_format
    try:
        settings = load_settings(config, **overrides)
    except ConfigError as exc:
        fail(str(exc))
    configure_logging(settings.log.level, settings.log.format)
    logging.captureWarnings(True)
    ctx.obj = settings
