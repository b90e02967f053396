"""``claimbot claims extract``: proposals from a saved article, --json, --add (near-duplicates skipped)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()
PAGE = Path(__file__).parent / "articles" / "aljazeera-helicopter.html.gz"


@pytest.fixture
def saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLAIMBOT_DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    path = tmp_path / "helicopter.html"
    path.write_bytes(gzip.decompress(PAGE.read_bytes()))
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_extract_lists_ranked_claims_and_json_has_the_article(saved: Path) -> None:
    code, out, _ = invoke("claims", "extract", str(saved), "--limit", "3")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("US service members killed in Afghanistan helicopter crash 2019-11-20")
    assert [line[:3] for line in lines[1:]] == [" 1.", " 2.", " 3."]
    code, out, _ = invoke("claims", "extract", str(saved), "--json")
    data = json.loads(out)
    assert data["title"] == "US service members killed in Afghanistan helicopter crash"
    assert data["date"] == "2019-11-20" and 1 <= len(data["claims"]) <= 15
    assert all(c["added"] is None for c in data["claims"])


def test_add_tracks_each_claim_once_and_show_names_the_article(saved: Path) -> None:
    assert invoke("db", "upgrade")[0] == 0
    code, out, _ = invoke("claims", "extract", str(saved), "--limit", "2", "--add", "--json")
    assert code == 0
    added = [c["added"] for c in json.loads(out)["claims"]]
    assert added == ["added #1", "added #2"]
    code, out, _ = invoke("claims", "extract", str(saved), "--limit", "2", "--add", "--json")
    assert [c["added"] for c in json.loads(out)["claims"]] == [
        "already tracked as #1",
        "already tracked as #2",
    ]
    code, out, _ = invoke("claims", "show", "1")
    assert code == 0
    assert "from the article: US service members killed in Afghanistan helicopter crash 2019-11-20" in out


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("Hello there, how are you?\nI hope you are well, my friend?", "no checkable sentence in that text"),
        ("Президент подписал закон о бюджете на 2025 год. " * 10, "written in Cyrillic script"),
        ("", "That text is empty"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, content: str, line: str) -> None:
    path = tmp_path / "text.txt"
    path.write_text(content, encoding="utf-8")
    code, _, err = invoke("claims", "extract", str(path))
    assert code == 1 and line in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_missing_file_and_a_private_link_are_one_line(tmp_path: Path) -> None:
    code, _, err = invoke("claims", "extract", str(tmp_path / "nope.html"))
    assert code == 1 and "no file" in err
    code, _, err = invoke("claims", "extract", "http://127.0.0.1:9/story")
    assert code == 1 and "private or local address" in err
