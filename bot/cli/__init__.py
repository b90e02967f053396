"""The ``claimbot`` command line: global options here, one module per command group."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from bot import __version__
from bot.cli import claims, evaluate, extract, feeds, ops
from bot.cli.common import fail
from bot.logs import configure_logging
from bot.settings import ConfigError, load_settings

app = typer.Typer(
    name="claimbot",
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


extract.register(claims.app)
app.add_typer(claims.app, name="claims")
app.add_typer(feeds.app, name="feeds")
app.add_typer(ops.db_app, name="db")
ops.register(app)
evaluate.register(app)
