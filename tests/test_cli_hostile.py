"""The command line against hostile text and careless input: outside text is printed as it is (never read
as Rich markup, never a terminal sequence), and every mistake is one line on stderr with a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from testkit.samples import WEAPONS, rss

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLAIMBOT_DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CLAIMBOT_FEEDS__ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("CLAIMBOT_FEEDS__PARSE_WORKERS", "0")
    monkeypatch.setenv("COLUMNS", "400")  # no table cell wraps or is cut
    return tmp_path


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


MARKUP = "[bold red]Breaking[/] [link=https://evil.example/]click[/link] [/]"


def test_claim_text_is_not_markup(env: Path) -> None:
    code, out, err = invoke("claims", "add", f"Poland buys tanks {MARKUP}")
    assert code == 0, err
    assert f"added claim #1: Poland buys tanks {MARKUP}" in out
    code, out, err = invoke("claims", "list")
    assert code == 0, err
    assert MARKUP in out
    assert invoke("claims", "archive", "1")[0] == 0
    code, out, err = invoke("claims", "list", "--all")
    assert code == 0 and f"(archived) Poland buys tanks {MARKUP}" in out, err


def test_feed_titles_and_headlines_are_not_markup(env: Path) -> None:
    assert invoke("seed")[0] == 0
    feed = env / "feed.xml"
    headline = f"Trump presses allies {MARKUP}"
    feed.write_bytes(rss(("w", headline, WEAPONS), title=f"Evil {MARKUP}"))
    code, out, err = invoke("feeds", "add", str(feed), "--title", f"Mine {MARKUP}")
    assert code == 0, err
    code, out, err = invoke("feeds", "list")
    assert code == 0 and f"Mine {MARKUP}" in out, err
    assert invoke("run", "--once")[0] == 0
    code, out, err = invoke("claims", "show", "1")
    assert code == 0, err
    assert headline in out  # the headline as it is, brackets and all
    code, out, err = invoke("status")
    assert code == 0, err


def test_opml_titles_and_problems_are_not_markup(env: Path) -> None:
    feed = env / "feed.xml"
    feed.write_bytes(rss(("a", "A", "a")))
    opml = env / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        f'<outline text="[/] x" title="{MARKUP}" xmlUrl="{feed.as_uri()}"/>'
        '<outline text="bad [/]" xmlUrl="gopher://example.org/[/]"/>'
        "</body></opml>"
    )
    code, out, err = invoke("feeds", "import", str(opml))
    assert code == 0 and "imported 1 feed(s), skipped 1" in out, err
    assert "[/]" in err  # the skipped entry, reported as it is
    code, out, err = invoke("feeds", "list")
    assert code == 0 and MARKUP in out, err


def test_terminal_sequences_never_reach_the_terminal(env: Path) -> None:
    feed = env / "feed.xml"
    feed.write_bytes(rss(("a", "A", "a")))
    hostile = "Clear \x1b[2J\x1b]0;pwned\x07 screen \x9b31m"
    assert invoke("feeds", "add", str(feed), "--title", hostile)[0] == 0
    code, out, err = invoke("feeds", "list")
    assert code == 0, err
    assert "Clear [2J]0;pwned screen 31m" in out
    assert not any(ch in out for ch in "\x1b\x07\x9b")


def _files(tmp: Path) -> None:
    (tmp / "bad.opml").write_text('<opml><body><outline xmlUrl="http://x')
    (tmp / "entities.opml").write_text(
        '<?xml version="1.0"?><!DOCTYPE o [<!ENTITY a "b">]><opml><body>&a;</body></opml>'
    )
    (tmp / "binary.dat").write_bytes(b"\xff\xfe\x00\x01binary")
    (tmp / "bad-utf8.toml").write_bytes(b'[feeds]\nuser_agent = "\xff"\n')
    (tmp / "empty").mkdir()
    (tmp / "locked").mkdir()
    (tmp / "locked" / "c.db.lock").mkdir()  # the lock file cannot be created: stands for an unwritable folder


LABEL64 = "a" * 64
CASES: list[tuple[str, list[str], dict[str, str]]] = [
    ("run-once-garbage-url", ["run", "--once"], {"CLAIMBOT_DATABASE__URL": "garbage"}),
    ("run-garbage-url", ["run"], {"CLAIMBOT_DATABASE__URL": "garbage"}),
    ("run-once-unwritable", ["run", "--once"], {"CLAIMBOT_DATABASE__URL": "sqlite:///{tmp}/locked/c.db"}),
    ("run-unwritable", ["run"], {"CLAIMBOT_DATABASE__URL": "sqlite:///{tmp}/locked/c.db"}),
    ("config-is-a-folder", ["--config", "{tmp}", "status"], {}),
    ("config-bad-utf8", ["--config", "{tmp}/bad-utf8.toml", "status"], {}),
    ("import-malformed-opml", ["feeds", "import", "{tmp}/bad.opml"], {}),
    ("import-entity-opml", ["feeds", "import", "{tmp}/entities.opml"], {}),
    ("add-broken-ipv6", ["feeds", "add", "http://[::1"], {}),
    ("add-64-char-label", ["feeds", "add", f"http://{LABEL64}.example.org/feed"], {}),
    ("claims-show-huge-id", ["claims", "show", "99999999999999999999"], {}),
    ("claims-edit-huge-id", ["claims", "edit", "99999999999999999999", "--alert", "80"], {}),
    ("claims-archive-huge-id", ["claims", "archive", "99999999999999999999"], {}),
    ("claims-show-5000-digits", ["claims", "show", "9" * 5000], {}),
    ("feeds-remove-huge-id", ["feeds", "remove", "99999999999999999999"], {}),
    ("feeds-enable-huge-id", ["feeds", "enable", "99999999999999999999"], {}),
    ("seed-missing-file", ["seed", "{tmp}/nope.jsonl"], {}),
    ("seed-folder", ["seed", "{tmp}/empty"], {}),
    ("seed-binary", ["seed", "{tmp}/binary.dat"], {}),
    ("demo-keep-unmakeable", ["demo", "--keep", "/proc/nope"], {}),
    ("export-to-missing-folder", ["feeds", "export", "/nonexistent/x"], {}),
    ("eval-no-clef-files", ["eval", "--dataset", "{tmp}/empty", "--split", "dev"], {}),
    ("timeout-1e308", ["run", "--once"], {"CLAIMBOT_FEEDS__TIMEOUT": "1e308"}),
    ("tick-interval-inf", ["run"], {"CLAIMBOT_FEEDS__TICK_INTERVAL": "inf"}),
    ("tick-interval-1e12", ["run"], {"CLAIMBOT_FEEDS__TICK_INTERVAL": "1e12"}),
]


@pytest.mark.parametrize(("args", "environ"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_clear_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], environ: dict[str, str]
) -> None:
    _files(env)
    for key, value in environ.items():
        monkeypatch.setenv(key, value.format(tmp=env))
    result = runner.invoke(app, [arg.format(tmp=env) for arg in args])
    code, err = result.exit_code, result.stderr
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)  # no crash escaped
    assert code != 0
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err[-3000:]
