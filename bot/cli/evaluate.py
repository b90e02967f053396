"""`claimbot eval-news`: the matcher and its baselines on the frozen real-news set, per half."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.common import fail

if TYPE_CHECKING:
    from bot.evaluation.newsset import Entry, NewsHalf
    from bot.evaluation.report import Pair, Verdicts

DEFAULT_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "realnews"
CURVE = (20.0, 30.0, 40.0, 50.0, 60.0, 65.0, 70.0, 75.0, 80.0, 90.0)
SWEEP = tuple(float(t) for t in range(101))
System = Callable[["NewsHalf"], "Verdicts"]


def eval_news_command(
    ctx: typer.Context,
    dataset: Annotated[
        Path | None,
        typer.Option(file_okay=False, help="the frozen set's folder (default: tests/data/realnews)"),
    ] = None,
    half: Annotated[
        str, typer.Option(help="tune | check | both (the check half: at most three runs)")
    ] = "tune",
    matcher: Annotated[str, typer.Option(help="lexical | semantic")] = "lexical",
    threshold: Annotated[
        float | None, typer.Option(help="alert threshold (default: matching.alert_threshold)")
    ] = None,
    baselines: Annotated[
        bool, typer.Option(help="also run the starting commit's matcher, BM25, MiniLM")
    ] = True,
) -> None:
    """Precision, recall and F1 at the alert threshold, the precision/recall curve, change-kind and
    changed-facts accuracy, with 95% bootstrap intervals over claims; baselines from the same run.

    Baselines without a threshold of their own (BM25, MiniLM) use their best-F1 threshold on the tune half.
    """
    from bot.evaluation import newsset, report, systems
    from bot.matching.engines import EngineError, resolve_engine
    from bot.settings import Settings

    settings = ctx.find_root().obj
    alert = threshold
    if alert is None:
        alert = settings.matching.alert_threshold if isinstance(settings, Settings) else 70.0
    if half not in ("tune", "check", "both"):
        fail(f"unknown half {half!r}: use tune, check or both")
    if matcher not in ("lexical", "semantic"):
        fail(f"unknown matcher {matcher!r}: use lexical or semantic")
    try:
        engine = resolve_engine("lexical", "semantic" if matcher == "semantic" else "lexical")
        folder = dataset or DEFAULT_SET
        sums = newsset.checksums(folder)
        claims, entries = newsset.load_claims(folder), newsset.load_entries(folder)
    except (EngineError, newsset.DatasetError) as exc:
        fail(str(exc))
    out = Console(width=None if sys.stdout.isatty() else 160)
    state = "frozen" if newsset.FROZEN else "NOT FROZEN"
    out.print(f"real-news set {folder} ({state})", markup=False)
    for name, digest in sums.items():
        out.print(f"  {name} sha256 {digest}", markup=False)
    halves = newsset.split(claims, entries)
    shown = newsset.HALVES if half == "both" else tuple(h for h in newsset.HALVES if h == half)
    runs: dict[str, System] = {
        f"claimbot ({engine})": lambda h: systems.matcher_verdicts(h.claims, h.entries, engine)
    }
    if baselines:
        runs[f"claimbot @{systems.BASELINE_COMMIT}"] = lambda h: systems.commit_verdicts(
            h.claims, h.entries, systems.BASELINE_COMMIT
        )
        runs["BM25"] = lambda h: systems.bm25_verdicts(h.claims, h.entries)
        runs["MiniLM cosine"] = lambda h: systems.minilm_verdicts(h.claims, h.entries)
    thresholds: dict[str, float] = {}
    half_names: tuple[newsset.Half, ...] = ("tune", "check")
    for name in half_names:
        if name not in shown and not (name == "tune" and baselines):
            continue
        h = halves[name]
        results: dict[str, list[Pair]] = {}
        for system, run in runs.items():
            if name == "check" and system not in thresholds:
                continue
            try:
                verdicts = run(h)
            except (systems.BaselineUnavailableError, ImportError, EngineError) as exc:
                if name in shown:
                    out.print(f"{name} half, {system}: skipped ({exc})", markup=False)
                continue
            results[system] = report.pairs(h, verdicts)
            if name == "tune":
                t = alert if system.startswith("claimbot") else report.best_threshold(results[system], SWEEP)
                thresholds[system] = t
        if name in shown:
            _print(out, h, results, thresholds)


def _measure(name: str, t: float, ps: Sequence[Pair]) -> float:
    from bot.evaluation.report import count

    value: float = getattr(count(ps, t), name)
    return value


def _interval(ps: Sequence[Pair], measure: Callable[[Sequence[Pair]], float]) -> str:
    from bot.evaluation.report import bootstrap

    lo, hi = bootstrap(ps, measure)
    return f"{measure(ps):.3f} [{lo:.2f}–{hi:.2f}]"


def _print(out: Console, h: NewsHalf, results: dict[str, list[Pair]], thresholds: dict[str, float]) -> None:
    from bot.evaluation.report import count, curve

    some = next(iter(results.values()), [])
    positives = sum(p.gold.label != "none" for p in some)
    table = Table(
        title=f"{h.name} half: {len(h.claims)} claims, {len(h.entries)} entries, {len(some)} pairs, "
        f"{positives} positive (95% bootstrap intervals over claims)",
        title_justify="left",
    )
    for col in ("system", "threshold", "precision", "recall", "F1", "kind right", "facts right", "alerts"):
        table.add_column(col)
    for system, ps in results.items():
        t = thresholds[system]
        c = count(ps, t)
        table.add_row(
            system,
            f"{t:g}",
            _interval(ps, partial(_measure, "precision", t)),
            _interval(ps, partial(_measure, "recall", t)),
            _interval(ps, partial(_measure, "f1", t)),
            f"{c.kind_right}/{c.tp} = {c.kind_accuracy:.2f}",
            f"{c.facts_right}/{c.changed_found} = {c.facts_accuracy:.2f}",
            str(c.tp + c.fp),
        )
    out.print(table)
    for system, ps in results.items():
        points = "  ".join(f"{x:g}: {p:.2f}/{r:.2f}" for x, p, r in curve(ps, CURVE))
        out.print(f"{system}: precision/recall by threshold  {points}", markup=False, soft_wrap=True)
        out.print(
            f"{system}: recall by {_recall_by(h, ps, thresholds[system])}", markup=False, soft_wrap=True
        )


def _recall_by(h: NewsHalf, ps: list[Pair], t: float) -> str:
    """Recall per entry language and per way of finding the entry (pairs are in entry × claim order)."""
    groups: dict[str, list[bool]] = {}
    n = len(h.claims)
    for i, p in enumerate(ps):
        if p.gold.label == "none":
            continue
        entry: Entry = h.entries[i // n]
        found = p.verdict.score >= t
        lang = "en" if entry.language.lower().startswith("en") else entry.language.split("-")[0] or "?"
        for key in (f"language {lang}", f"found by {entry.found_by}"):
            groups.setdefault(key, []).append(found)
    return ", ".join(f"{k}: {sum(v)}/{len(v)}" for k, v in sorted(groups.items()))


def register(app: typer.Typer) -> None:
    """Add the `eval-news` command to ``app``."""
    app.command("eval-news")(eval_news_command)
