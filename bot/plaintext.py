"""Text from outside made safe to store and show: no control characters, no terminal escapes, bounded.

Removed: whole ANSI escape sequences (CSI such as ``ESC[2J``, OSC window titles up to their terminator, other
two-byte ESC forms), then every remaining C0 and C1 control (NUL and ESC included), DEL, lone UTF-16
surrogates (which neither SQLite nor PostgreSQL can store), the non-characters U+FFFE/U+FFFF, and the
bidirectional overrides and isolates that make text display in an order other than the one stored.
"""

from __future__ import annotations

import re

TITLE_MAX = 1_000
"""Characters kept of a story's title (a longer one is cut, ending in an ellipsis)."""
SUMMARY_MAX = 20_000
"""Characters kept of a story's summary: generous, so matching on summaries is not cut short."""

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: cursor moves, colours, clear screen
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks (BEL- or ST-terminated)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"  # any other escape, with its intermediate and final byte
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"  # 8-bit OSC
)
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{_CONTROLS}]")


def plain(text: str, limit: int | None = None) -> str:
    """``text`` without escapes and controls (tab, newline and carriage return are kept), at most ``limit``
    characters."""
    if not (text.isascii() and text.isprintable()):  # printable ASCII, the common case, has nothing to remove
        text = _UNSAFE.sub("", _ESCAPES.sub("", text))
    return shorten(text, limit)


def shorten(text: str, limit: int | None) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when anything was cut."""
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"
