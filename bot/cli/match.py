"""`claimbot match` and `claimbot eval`: the matcher on files, with no database and no network.

match: claims and stories as JSON lines in, one JSON line per story out (input order).
eval:  MAP@1, MAP@5, Recall@5 and MRR with bootstrap 95% intervals on the CLEF-2020 Task 2 layout.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.progress import Progress
from rich.table import Table

from bot.cli.common import PlainConsole
from bot.matching import ClaimIndex, ClaimSpec, StoryDoc
from bot.matching.clef import MEASURES, bootstrap, load_claims, load_split
from bot.matching.engines import Engine, EngineError, build_matcher, build_semantic_matcher, resolve_engine
from bot.settings import Settings

ALERT_THRESHOLD = 70.0
err = PlainConsole(stderr=True)


def _json_lines(path: Path, what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Objects of a JSON-lines file with their line numbers; bad lines are reported on stderr and skipped."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                err.print(f"{path}:{n}: skipped {what}: invalid JSON ({exc.msg})")
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("id"), str | int):
                err.print(f"{path}:{n}: skipped {what}: not an object with an id")
                continue
            yield n, obj


def _claims(path: Path) -> list[ClaimSpec]:
    out, seen = [], set()
    for n, obj in _json_lines(path, "claim"):
        text, aliases = obj.get("text"), obj.get("aliases") or []
        if not isinstance(text, str) or not isinstance(aliases, list) or obj["id"] in seen:
            err.print(f"{path}:{n}: skipped claim: needs a new id, text (string) and aliases (list)")
            continue
        seen.add(obj["id"])
        out.append(ClaimSpec(obj["id"], text, tuple(a for a in aliases if isinstance(a, str))))
    return out


def _story(obj: dict[str, Any]) -> StoryDoc | None:
    fields = [obj.get(k) or "" for k in ("title", "summary", "content")]
    if not all(isinstance(f, str) for f in fields):
        return None
    return StoryDoc(obj["id"], *fields)


MatcherOption = Annotated[
    str | None, typer.Option(help="lexical | semantic (default: matching.engine, lexical if unset)")
]
CacheOption = Annotated[
    Path | None,
    typer.Option(dir_okay=False, help="semantic: .npz file of claim embeddings, read and updated"),
]


def _matcher(
    ctx: typer.Context, claims: list[ClaimSpec], matcher: str | None, cache: Path | None
) -> ClaimIndex:
    """The index for the chosen engine; an unknown one, or a missing extra asked for, exits with code 2."""
    settings = ctx.find_root().obj
    configured: Engine = settings.matching.engine if isinstance(settings, Settings) else "lexical"
    try:
        engine = resolve_engine(configured, cast(Engine | None, matcher))
    except EngineError as exc:
        err.print(str(exc))
        raise typer.Exit(2) from None
    if engine == "lexical":
        return build_matcher(claims, engine)
    from bot.matching.semantic import load_vectors, save_vectors

    known = load_vectors(cache) if cache else {}
    index = build_semantic_matcher(claims, vectors=known)
    if cache and index.vectors.keys() != known.keys():
        save_vectors(cache, index.vectors)
    return index


def match_command(
    ctx: typer.Context,
    claims: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="claims JSON lines")],
    stories: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="stories JSON lines")],
    top_k: Annotated[int, typer.Option(min=0, help="candidates listed per story")] = 5,
    threshold: Annotated[float, typer.Option(help="alert threshold (0-100)")] = ALERT_THRESHOLD,
    matcher: MatcherOption = None,
    embedding_cache: CacheOption = None,
) -> None:
    """Match stories against claims; one JSON line per story on stdout, in input order."""
    index = _matcher(ctx, _claims(claims), matcher, embedding_cache)
    for n, obj in _json_lines(stories, "story"):
        story = _story(obj)
        if story is None:
            err.print(f"{stories}:{n}: skipped story: title, summary and content must be strings")
            continue
        matches = [
            {
                "claim": m.claim_id,
                "score": m.score,
                "kind": m.kind,
                "sentence": m.sentence,
                "changes": [str(c) for c in m.changes],
            }
            for m in index.match(story, threshold)
        ]
        candidates = [{"claim": c.claim_id, "score": c.score} for c in index.candidates(story, top_k)]
        sys.stdout.write(
            json.dumps({"story": story.id, "matches": matches, "candidates": candidates}, ensure_ascii=False)
            + "\n"
        )


def eval_command(
    ctx: typer.Context,
    dataset: Annotated[Path, typer.Option(exists=True, file_okay=False, help="CLEF-2020 Task 2 folder")],
    split: Annotated[str, typer.Option(help="folder with tweets.queries.tsv and tweet-vclaim-pairs.qrels")],
    matcher: MatcherOption = None,
    embedding_cache: CacheOption = None,
) -> None:
    """Rank the claim pool for each tweet of a split and report MAP@1, MAP@5, Recall@5 and MRR."""
    try:
        claims, queries = load_claims(dataset), load_split(dataset, split)
    except (OSError, UnicodeDecodeError) as exc:
        name = getattr(exc, "filename", None) or str(exc)
        err.print(f"{dataset} is not a CLEF-2020 Task 2 folder with split {split!r}: cannot read {name}")
        raise typer.Exit(2) from None
    start = time.perf_counter()
    index = _matcher(ctx, claims, matcher, embedding_cache)
    built = time.perf_counter() - start
    values: dict[str, list[float]] = {m: [] for m in MEASURES}
    start = time.perf_counter()
    with Progress(console=err, transient=True) as progress:
        for q in progress.track(queries, description=f"{split}: ranking"):
            ranked = [c.claim_id for c in index.candidates(q.story, 50)]
            for name, measure in MEASURES.items():
                values[name].append(measure(ranked, q.relevant))
    elapsed = time.perf_counter() - start
    table = Table(
        title=f"{split}: {len(queries)} queries, {len(index)} claims, {type(index).__name__}"
        f" (index built in {built:.1f} s)"
    )
    for col in ("measure", "mean", "95% interval"):
        table.add_column(col)
    for name, vs in values.items():
        lo, hi = bootstrap(vs)
        table.add_row(name, f"{sum(vs) / max(len(vs), 1):.4f}", f"{lo:.4f}-{hi:.4f}")
    table.add_row("queries/s", f"{len(queries) / max(elapsed, 1e-9):.1f}", "")
    table.add_row("ms/query", f"{1000 * elapsed / max(len(queries), 1):.1f}", "")
    table.add_row("peak memory (MB)", f"{_peak_rss_mb():.0f}", "")
    PlainConsole().print(table)


def _peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def register(app: typer.Typer) -> None:
    """Add the `match` and `eval` commands to ``app``."""
    app.command("match")(match_command)
    app.command("eval")(eval_command)
