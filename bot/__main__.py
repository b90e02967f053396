"""Entry point: ``claimbot`` and ``python -m bot`` run the command line."""

from __future__ import annotations


def main() -> None:
    from bot.cli import app

    app()


if __name__ == "__main__":
    main()
