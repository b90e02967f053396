"""/claim's picture: a claim's sightings per day, its state changes marked, as a small PNG.

Drawn with matplotlib (the optional ``claimbot[plot]`` extra, Agg canvas, imported only when drawn);
without it :func:`draw` returns None and /claim answers with its text history alone.
"""

from __future__ import annotations

import importlib.util
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

DAYS = 60
"""The longest span shown; a younger claim's picture starts a few days before it was created."""
MIN_DAYS = 14


@dataclass(frozen=True, slots=True)
class Change:
    day: date
    label: str
    reverted: bool


@dataclass(frozen=True, slots=True)
class Timeline:
    """What the picture shows: one count per day from ``first`` to ``last``, and the state changes."""

    first: date
    last: date
    counts: list[int]
    changes: list[Change]


def available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def timeline(times: list[datetime], changes: list[Change], *, today: date, born: date) -> Timeline:
    """Sightings per day since the claim was created (``born``), within ``MIN_DAYS``..``DAYS`` days (pure)."""
    days = min(max((today - born).days + 1, MIN_DAYS), DAYS)
    first = today - timedelta(days=days - 1)
    per_day = Counter(t.date() for t in times)
    counts = [per_day.get(first + timedelta(days=i), 0) for i in range(days)]
    return Timeline(first, today, counts, [c for c in changes if first <= c.day <= today])


def draw(line: Timeline, title: str) -> bytes | None:
    """A PNG of ``line`` (about 800×300 pixels), or None when matplotlib is not installed."""
    if not available():
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8, 3), dpi=100)  # no pyplot: no global state shared between drawings
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    days = list(range(len(line.counts)))  # day numbers from line.first: dates only on the tick labels
    axes.bar(days, line.counts, width=0.8, color="#3b7dd8", label="sightings per day")
    top = max(line.counts, default=0)
    axes.set_ylim(0, max(top, 1) * 1.35 + 0.5)
    for change in line.changes:
        colour, style = ("#999999", ":") if change.reverted else ("#d8663b", "--")
        at = (change.day - line.first).days
        axes.axvline(at, color=colour, linestyle=style, linewidth=1.2)
        text = change.label + (" (undone)" if change.reverted else "")
        late = at > len(days) * 0.6  # labels of late changes go left of their line, inside the plot
        axes.annotate(
            text[:40],
            (at, axes.get_ylim()[1]),
            xytext=(-3 if late else 3, -12),
            ha="right" if late else "left",
            textcoords="offset points",
            fontsize=7,
            color=colour,
            rotation=0,
            va="top",
        )
    axes.set_title(title[:80], fontsize=10, loc="left")
    axes.set_ylabel("sightings")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    ticks = days[:: max(len(days) // 6, 1)]
    axes.set_xticks(ticks, [f"{line.first + timedelta(days=d):%d %b}" for d in ticks], fontsize=8)
    axes.set_xlim(-0.7, len(days) - 0.3)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
