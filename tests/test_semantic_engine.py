"""Choosing the engine without the semantic extra: a clear error when asked for, a warning when configured.

The extra is made to look missing (an unimportable module added to what it needs), so these run and mean
the same in the default environment and in one with the extra installed.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import app as root_app
from bot.cli.match import register
from bot.matching import (
    ClaimSpec,
    EngineError,
    SemanticUnavailableError,
    build_matcher,
    engines,
    resolve_engine,
)
from bot.matching.index import ClaimIndex

CLAIMS = [ClaimSpec("a", "Poland signed a deal for hundreds of South Korean tanks")]


@pytest.fixture
def no_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "SEMANTIC_MODULES", (*engines.SEMANTIC_MODULES, "claimbot_no_such_module"))


def test_lexical_needs_nothing(no_extra: None) -> None:
    assert resolve_engine("lexical") == "lexical"
    assert resolve_engine("semantic", "lexical") == "lexical"
    assert type(build_matcher(CLAIMS, "lexical")) is ClaimIndex


def test_explicit_semantic_without_the_extra_is_a_clear_error(no_extra: None) -> None:
    with pytest.raises(SemanticUnavailableError) as caught:
        resolve_engine("lexical", "semantic")
    assert 'pip install "claimbot[semantic]"' in str(caught.value)
    assert "claimbot_no_such_module" in caught.value.missing
    with pytest.raises(SemanticUnavailableError):
        build_matcher(CLAIMS, "semantic")


def test_configured_semantic_falls_back_with_one_warning(
    no_extra: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.matching.engines"):
        assert resolve_engine("semantic") == "lexical"
    (record,) = caplog.records
    assert "matching lexically" in record.getMessage() and "claimbot[semantic]" in record.getMessage()


def test_unknown_engine_is_an_error() -> None:
    with pytest.raises(EngineError, match="unknown matcher 'neural'"):
        resolve_engine("lexical", "neural")  # type: ignore[arg-type]


def test_detection_matches_what_is_importable() -> None:
    import importlib.util

    expected = [m for m in engines.SEMANTIC_MODULES if importlib.util.find_spec(m) is None]
    assert engines.missing_semantic_modules() == expected


def test_importing_the_matcher_loads_no_heavy_module() -> None:
    code = "import sys, bot.matching, bot.cli.match; print(sorted({'torch', 'numpy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _files(tmp_path: Path) -> tuple[Path, Path]:
    claims = tmp_path / "claims.jsonl"
    claims.write_text(json.dumps({"id": "a", "text": CLAIMS[0].text}) + "\n", encoding="utf-8")
    stories = tmp_path / "stories.jsonl"
    stories.write_text(json.dumps({"id": "s", "title": "Poland signs deal for 180 tanks"}) + "\n", "utf-8")
    return claims, stories


def test_cli_explicit_semantic_exits_2_with_the_hint(no_extra: None, tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    claims, stories = _files(tmp_path)
    args = ["match", "--claims", str(claims), "--stories", str(stories), "--matcher", "semantic"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "claimbot[semantic]" in " ".join(result.stderr.split())


def test_cli_configured_semantic_falls_back(
    no_extra: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMBOT_MATCHING__ENGINE", "semantic")
    claims, stories = _files(tmp_path)
    args = ["match", "--claims", str(claims), "--stories", str(stories)]
    result = CliRunner().invoke(root_app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["candidates"][0]["claim"] == "a"
    assert result.stderr.count("matching lexically") == 1
