"""The command line as a user meets it: one clear line for every mistake, the right exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import __version__
from bot.cli import app
from storage.migrate import head_revision
from testkit.samples import rss

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "CLAIMBOT_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "CLAIMBOT_FEEDS__ALLOW_PRIVATE_NETWORKS": "true",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = invoke("--version")
    assert code == 0 and out.strip() == f"claimbot {__version__}"


@pytest.mark.parametrize(
    "args",
    [[], ["claims"], ["feeds"], ["db"], ["run", "--help"], ["demo", "--help"], ["match", "--help"]],
)
def test_help_everywhere(args: list[str]) -> None:
    code, out, _ = invoke(*args, *([] if "--help" in args else ["--help"]))
    assert code == 0 and "Usage" in out


def test_config_typo_names_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[feeds]\npoll_intervall = 60\n")
    code, _, err = invoke("--config", str(bad), "status")
    assert code == 1 and "feeds.poll_intervall" in err and "Traceback" not in err


def test_invalid_value_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMBOT_MATCHING__ALERT_THRESHOLD", "170")
    code, _, err = invoke("status")
    assert code == 1 and "matching.alert_threshold" in err


def test_missing_config_file(tmp_path: Path) -> None:
    code, _, err = invoke("--config", str(tmp_path / "nope.toml"), "status")
    assert code == 1 and "does not exist" in err


def test_database_folder_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMBOT_DATABASE__URL", f"sqlite:///{tmp_path / 'no' / 'such' / 'x.db'}")
    code, _, err = invoke("run", "--once")
    assert code == 1 and "does not exist" in err and "Traceback" not in err


def test_claims_add_list_edit_archive(env: dict[str, str]) -> None:
    assert invoke("seed")[0] == 0
    code, out, _ = invoke("seed")
    assert code == 0 and "0 added, 12 already there" in out
    code, out, _ = invoke(
        "claims", "add", "Romania orders 54 Abrams tanks from the US", "--slug", "romania-abrams"
    )
    assert code == 0 and "added claim #13" in out
    code, _, err = invoke("claims", "add", "x")
    assert code == 1 and "at least 3 characters" in err
    code, out, _ = invoke("claims", "list")
    assert code == 0 and "romania-abrams" in out
    assert invoke("claims", "edit", "romania-abrams", "--alert", "80")[0] == 0
    code, _, err = invoke("claims", "edit", "13", "--suggest", "90")
    assert code == 1 and "must not exceed" in err
    code, _, err = invoke("claims", "show", "999")
    assert code == 1 and "no claim '999'" in err
    code, _, err = invoke("claims", "revert", "13")
    assert code == 1 and "nothing to revert" in err
    assert invoke("claims", "archive", "#13")[0] == 0
    assert "romania-abrams" not in invoke("claims", "list")[1]


def test_feeds_add_list_disable_export_import(env: dict[str, str], tmp_path: Path) -> None:
    feed_file = tmp_path / "local.xml"
    feed_file.write_bytes(rss(("a", "Title", "Text")))
    code, out, _ = invoke("feeds", "add", str(feed_file))
    assert code == 0 and "added feed #1" in out
    code, _, err = invoke("feeds", "add", str(feed_file))
    assert code == 1 and "already feed #1" in err
    code, _, err = invoke("feeds", "add", "gopher://example.org/feed")
    assert code == 1 and "Traceback" not in err
    assert invoke("feeds", "disable", "1")[0] == 0
    assert "disabled" in invoke("feeds", "list")[1]
    assert invoke("feeds", "enable", "1")[0] == 0
    code, _, err = invoke("feeds", "remove", "42")
    assert code == 1 and "no feed #42" in err
    export = tmp_path / "feeds.opml"
    assert invoke("feeds", "export", str(export))[0] == 0
    assert feed_file.as_uri() in export.read_text()
    assert invoke("feeds", "remove", "1")[0] == 0
    code, out, _ = invoke("feeds", "import", str(export))
    assert code == 0 and "imported 1 feed(s)" in out


def test_run_once_exit_codes(env: dict[str, str], tmp_path: Path) -> None:
    good = tmp_path / "good.xml"
    good.write_bytes(rss(("a", "Title", "Text")))
    bad = tmp_path / "bad.xml"
    bad.write_text("this is not xml at all")
    assert invoke("feeds", "add", str(bad))[0] == 0
    code, _, _ = invoke("run", "--once")
    assert code == 3  # every feed failed
    assert invoke("feeds", "add", str(good))[0] == 0
    assert invoke("feeds", "enable", "1")[0] == 0
    code, _, _ = invoke("run", "--once")
    assert code == 0  # the tick ran although one feed failed


def test_demo_prints_alerts() -> None:
    code, out, _ = invoke("demo")
    assert code == 0
    assert "#1 Trump urges Britain" in out
    assert "[CHANGED] #10 Poland signed" in out
    assert "demo: 2 feeds" in out


def test_status_and_db_commands(env: dict[str, str], tmp_path: Path) -> None:
    code, out, _ = invoke("status")
    assert code == 0 and "last tick" in out and "never" in out
    feed = tmp_path / "f.xml"
    feed.write_bytes(rss(("a", "Title", "Text")))
    assert invoke("feeds", "add", str(feed))[0] == 0
    assert invoke("run", "--once")[0] == 0
    code, out, _ = invoke("status")
    assert code == 0 and "1 feeds, 0 failed" in out and "1 ok" in out and "0 pending" in out
    code, out, _ = invoke("db", "current")
    assert code == 0 and f"database: {head_revision()}; this release: {head_revision()}" in out


def test_json_logs_carry_no_secrets(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    feed = tmp_path / "f.xml"
    feed.write_text("not a feed")
    assert invoke("feeds", "add", str(feed))[0] == 0
    monkeypatch.setenv("CLAIMBOT_TELEGRAM__API_BASE", "http://127.0.0.1:9")  # nothing listens there
    code, _, err = invoke("--log-format", "json", "run", "--once")
    assert code == 3, err
    records = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert any(r["message"].startswith("poll: feeds=1") for r in records)
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)


def test_credentials_in_feed_urls_stay_out_of_output(env: dict[str, str]) -> None:
    code, out, err = invoke("feeds", "add", "http://user:hunter2@127.0.0.1:9/feed?token=s3cret")
    assert code == 0
    code, out2, err2 = invoke("feeds", "list")
    code, _, err3 = invoke("run", "--once")
    assert "hunter2" not in out + err + out2 + err2 + err3 and "s3cret" not in out + out2 + err3


def test_feeds_add_with_an_empty_argument_adds_nothing(env: dict[str, str]) -> None:
    code, _, err = invoke("feeds", "add", "")
    assert code == 1 and "no feed given" in err and "Traceback" not in err
    code, out, _ = invoke("feeds", "list")
    assert code == 0 and "file://" not in out
