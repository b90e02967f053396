"""Configuration precedence, clear errors, and a README that lists every key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ConfigError, Settings, default_data_dir, load_settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_defaults_come_from_the_bundled_toml() -> None:
    settings = load_settings()
    assert settings.feeds.poll_interval == 900 and settings.matching.engine == "lexical"
    assert not settings.has_token and settings.database_url.startswith("sqlite+aiosqlite:///")


def test_file_then_environment_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = tmp_path / "extra.toml"
    extra.write_text("[feeds]\npoll_interval = 600\nper_host = 4\n")
    monkeypatch.setenv("CLAIMBOT_FEEDS__POLL_INTERVAL", "1200")
    settings = load_settings(extra)
    assert settings.feeds.poll_interval == 1200 and settings.feeds.per_host == 4


def test_bot_token_fallback_and_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    assert load_settings().telegram.token.get_secret_value() == "123:abc"
    monkeypatch.setenv("CLAIMBOT_TELEGRAM__TOKEN", "456:def")
    assert load_settings().telegram.token.get_secret_value() == "456:def"
    assert "456:def" not in repr(load_settings())


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[feeds]\npoll_intervall = 60\n", "unknown config key 'feeds.poll_intervall'"),
        ("[matching]\nalert_threshold = 'high'\n", "invalid config value for 'matching.alert_threshold'"),
        ("[matching]\nalert_threshold = 50\nsuggest_threshold = 60\n", "must not exceed"),
        ("[feeds\n", "not valid TOML"),
        ("[telegram]\napi_base = 'ftp://x'\n", "telegram.api_base"),
    ],
)
def test_bad_config_says_which_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_settings(path)


def test_data_dir_prefers_systemd_state_directory() -> None:
    assert default_data_dir({"STATE_DIRECTORY": "/var/lib/claimbot", "HOME": "/x"}) == Path(
        "/var/lib/claimbot"
    )
    assert default_data_dir({"XDG_DATA_HOME": "/data"}) == Path("/data/claimbot")


def test_readme_lists_every_key() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [
        f"{section}.{key}"
        for section, field in Settings.model_fields.items()
        for key in type(getattr(Settings(), section)).model_fields
        if f"`{section}.{key}`" not in text
    ]
    assert not missing, f"README's configuration table lacks {missing}"


def test_unknown_claimbot_environment_variables_are_warned_about(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CLAIMBOT_DATABASE_URL", "postgresql+asyncpg://x/y")  # one underscore: no such key
    monkeypatch.setenv("CLAIMBOT_FEEDS__POLL_INTERVAL", "1200")  # a real key: no warning
    with caplog.at_level("WARNING", logger="bot.settings"):
        settings = load_settings()
    assert settings.feeds.poll_interval == 1200
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1 and "CLAIMBOT_DATABASE_URL" in warned[0] and "CLAIMBOT_DATABASE__URL" in warned[0]


@pytest.mark.parametrize("agent", ["claimbot\r\nX-Injected: 1", "claimbot\n", "bot\x00"])
def test_user_agent_must_be_one_header_line(agent: str) -> None:
    with pytest.raises(ConfigError, match="feeds.user_agent"):
        load_settings(feeds={"user_agent": agent})
