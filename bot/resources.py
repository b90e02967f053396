"""Where the bundled defaults, seeds and sample feeds live, in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_root(name: str) -> Path:
    """The bundled folder ``name`` (``config`` or ``seeds``): wheel data first, then the source checkout."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} is missing; reinstall claimbot")


def default_config_path() -> Path:
    return data_root("config") / "claimbot.toml"


def seeds_path(*parts: str) -> Path:
    return data_root("seeds").joinpath(*parts)
