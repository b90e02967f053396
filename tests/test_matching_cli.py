"""`match` and `eval` on a throwaway Typer app, with files written by the test."""

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from bot.cli.match import register

app = typer.Typer()
register(app)


def test_match_contract(tmp_path: Path) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_text(
        '{"id": "a", "text": "Poland signed a multi-billion-pound deal for hundreds of South Korean tanks"}\n'
        "not json\n"
        '{"id": "b", "text": "Trump urges allies to buy US weapons", "aliases": ["Trump tells allies"]}\n',
        encoding="utf-8",
    )
    stories = tmp_path / "stories.jsonl"
    stories.write_text(
        '{"id": "s1", "title": "Poland and Romania sign $6.5bn deal for 180 South Korean tanks"}\n'
        "[1]\n"
        '{"id": "s2", "title": "NATO ministers meet in Brussels", "summary": "Talks went on."}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["match", "--claims", str(claims), "--stories", str(stories)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [line["story"] for line in lines] == ["s1", "s2"]
    (m,) = lines[0]["matches"]
    assert m["claim"] == "a" and m["kind"] == "changed"
    assert "party: + Romania" in m["changes"]
    assert lines[1]["matches"] == []
    assert "claims.jsonl:2" in result.stderr and "stories.jsonl:2" in result.stderr


def test_eval_on_a_tiny_clef_layout(tmp_path: Path) -> None:
    (tmp_path / "verified_claims.docs.tsv").write_text(
        '\tvclaim\ttitle\n0\t"A ""large"" claim about tanks\nspanning lines"\tTanks?\n'
        "1\tObama released 122 detainees\tDid Obama release detainees?\n",
        encoding="utf-8",
    )
    split = tmp_path / "dev"
    split.mkdir()
    (split / "tweets.queries.tsv").write_text(
        "\ttweet_content\n7\tObama released 122 detainees pic.twitter.com/x — A (@a) May 1, 2019\n",
        encoding="utf-8",
    )
    (split / "tweet-vclaim-pairs.qrels").write_text("7\t0\t1\t1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--dataset", str(tmp_path), "--split", "dev"])
    assert result.exit_code == 0, result.output
    assert "MAP@5" in result.stdout and "1.0000" in result.stdout
