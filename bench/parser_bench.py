"""fastfeedparser beside claimbot's parse path (lxml fast path, feedparser fallback) and plain feedparser.

    .venv/bin/python -m bench.parser_bench --feeds /path/to/real-feeds --hostile tests/feeds [--repeat 20]

Speed: entries per second of each parser over every feed in ``--feeds`` (median of ``--repeat`` passes;
CPU time of this process, so other work on the machine counts less). Agreement: each parser's entries,
put through claimbot's own post-processing (``bot.pipeline.parse._parsed``: text cleaning, absolute links,
UTC dates, guids), compared field by field with feedparser's. Safety: each hostile document (the
fixtures of tests/test_parse_hostile.py, deep nesting, a gzip bomb, a string that is a URL) parsed in a
fresh child process: peak memory, whether an entity expanded, whether a local file was read.

fastfeedparser is not a claimbot dependency: ``pip install fastfeedparser`` to run this.
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing
import resource
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.pipeline.parse import FeedParseError, ParsedFeed, _parsed, parse_feed

URL = "https://feeds.example.test/feed"
FIELDS = ("guid", "title", "summary", "content", "link", "published")


def _fastfeedparser(body: bytes) -> ParsedFeed:
    import fastfeedparser

    result = fastfeedparser.parse(body)
    entries = [_feedparser_shaped(dict(entry)) for entry in result["entries"]]
    if not entries:
        raise FeedParseError("the feed has no entries")
    return _parsed(URL, dict(result["feed"]), entries, None)


def _feedparser_shaped(entry: dict[str, Any]) -> dict[str, Any]:
    """fastfeedparser's entry with the keys claimbot reads from feedparser's."""
    shaped = dict(entry)
    shaped.setdefault("summary", entry.get("description"))
    contents = entry.get("content") or []
    if contents and contents[0].get("value") == entry.get("description"):
        shaped["content"] = []  # synthesized from the description: feedparser leaves content empty there
    for key, parsed_key in (("published", "published_parsed"), ("updated", "updated_parsed")):
        if isinstance(entry.get(key), str):
            try:
                shaped[parsed_key] = datetime.fromisoformat(entry[key]).utctimetuple()
            except ValueError:
                pass
    return shaped


PARSERS: dict[str, Callable[[bytes], ParsedFeed]] = {
    "claimbot (lxml fast path)": lambda body: parse_feed(body, URL),
    "feedparser": lambda body: parse_feed(body, URL, fast=False),
    "fastfeedparser": _fastfeedparser,
}


def _cpu() -> float:
    return time.process_time()


def speed(feeds: list[Path], repeat: int) -> None:
    bodies = [p.read_bytes() for p in feeds]
    print(f"\nspeed over {len(feeds)} feeds (median of {repeat} passes, CPU time)")
    for name, parse in PARSERS.items():
        entries = sum(len(parse(body).entries) for body in bodies)
        times = []
        for _ in range(repeat):
            start = _cpu()
            for body in bodies:
                parse(body)
            times.append(_cpu() - start)
        median = statistics.median(times)
        rate = f"{entries / median:10,.0f} entries/s"
        print(f"  {name:28s} {rate}  ({median * 1e3:.1f} ms a pass, {entries} entries)")


def agreement(feeds: list[Path]) -> None:
    print("\nagreement with feedparser, after claimbot's post-processing (entries equal in every field)")
    for path in feeds:
        body = path.read_bytes()
        reference = parse_feed(body, URL, fast=False)
        cells = []
        for name in ("claimbot (lxml fast path)", "fastfeedparser"):
            try:
                got = PARSERS[name](body)
            except Exception as exc:
                cells.append(f"{name}: raised {type(exc).__name__}")
                continue
            same = sum(a == b for a, b in zip(got.entries, reference.entries, strict=False))
            fields = {
                f
                for a, b in zip(got.entries, reference.entries, strict=False)
                for f in FIELDS
                if getattr(a, f) != getattr(b, f)
            }
            differ = f" (differ: {', '.join(sorted(fields))})" if fields else ""
            cells.append(f"{name}: {same}/{len(reference.entries)}{differ}")
        print(f"  {path.name:42s} " + "; ".join(cells))


def _hostile_cases(hostile: Path) -> dict[str, bytes]:
    cases = {
        p.name: p.read_bytes()
        for p in sorted(hostile.glob("*.xml"))
        if p.name.startswith(("billion", "external"))
    }
    depth = 10_000
    cases["deep nesting (10,000)"] = (
        b"<rss version='2.0'><channel><item><title>deep</title><link>https://d.example.test/</link>"
        + b"<x>" * depth
        + b"</x>" * depth
        + b"</item></channel></rss>"
    )
    padding = b" " * 200_000_000  # 200 MB of whitespace: about 200 kB gzipped
    cases["gzip bomb (200 MB inside)"] = gzip.compress(
        b"<rss version='2.0'><channel><title>z</title><item><title>z</title>"
        + padding
        + b"</item></channel></rss>",
        compresslevel=9,
    )
    return cases


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not carried over from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def _one(parser: str, body: bytes) -> str:
    """In a fresh (spawned) child: parse, then report peak memory and what leaked into the text."""
    before = _peak_mb()
    start = time.perf_counter()
    try:
        feed = PARSERS[parser](body)
        text = " ".join(e.title + " " + e.summary + " " + e.content for e in feed.entries)
        outcome = f"{len(feed.entries)} entries"
    except Exception as exc:
        text, outcome = "", f"refused ({type(exc).__name__})"
    elapsed = time.perf_counter() - start
    peak = _peak_mb()
    secret = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "root:x:0"
    leaks = [w for w, bad in (("EXPANDED", "lollol" in text), ("READ A LOCAL FILE", secret in text)) if bad]
    return f"{outcome}; peak memory +{peak - before:.0f} MB; {elapsed:.2f} s" + (
        f"; {' '.join(leaks)}" if leaks else ""
    )


def safety(hostile: Path) -> None:
    print("\nhostile input (each in a fresh process)")
    for case, body in _hostile_cases(hostile).items():
        for parser in ("claimbot (lxml fast path)", "fastfeedparser"):
            with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
                result = pool.submit(_one, parser, body).result()
            print(f"  {case:28s} {parser:28s} {result}")
    print(
        "  a str argument: fastfeedparser.parse('https://…') fetches that URL itself"
        " (as feedparser.parse does); claimbot hands parsers bytes only"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--feeds", type=Path, required=True, help="a folder of real feed documents")
    ap.add_argument("--hostile", type=Path, required=True, help="the hostile fixtures (tests/feeds)")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    feeds = sorted(p for p in args.feeds.iterdir() if p.is_file())
    speed(feeds, args.repeat)
    agreement(feeds)
    safety(args.hostile)


if __name__ == "__main__":
    main()
