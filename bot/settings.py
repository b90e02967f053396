"""Configuration: one pydantic-settings model fed by config/claimbot.toml, a file and the environment.

Precedence, lowest first: the bundled ``config/claimbot.toml``, a file given with ``--config``,
environment variables ``CLAIMBOT_<SECTION>__<KEY>`` (``BOT_TOKEN`` for the token when
``CLAIMBOT_TELEGRAM__TOKEN`` is unset).
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot import __version__
from bot.errors import ConfigError as ConfigError
from bot.resources import default_config_path

logger = logging.getLogger(__name__)
_ENV_PREFIX = "CLAIMBOT_"
_OTHER_ENV = frozenset({"CLAIMBOT_FAULT"})  # read by bot.faults, not a setting


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


DAY = 86400.0  # durations are bounded so that a typo (1e12, inf) is refused here, not by the scheduler


class DatabaseSettings(_Section):
    url: str = ""
    echo: bool = False


class FeedSettings(_Section):
    poll_interval: float = Field(900, gt=0, le=30 * DAY)
    min_interval: float = Field(300, gt=0, le=30 * DAY)
    max_interval: float = Field(86400, gt=0, le=30 * DAY)
    jitter: float = Field(0.1, ge=0, le=1)
    timeout: float = Field(20.0, gt=0, le=3600)
    connect_timeout: float = Field(10.0, gt=0, le=3600)
    max_bytes: int = Field(10_000_000, gt=0)
    max_redirects: int = Field(5, ge=0, le=20)
    max_failures: int = Field(10, ge=1)
    concurrency: int = Field(20, ge=1)
    per_host: int = Field(2, ge=1)
    allow_private_networks: bool = False
    user_agent: str = "claimbot/{version}"
    tick_interval: float = Field(30, gt=0, le=DAY)
    parse_workers: int = Field(2, ge=0, le=32)
    lease: float = Field(120, gt=0, le=DAY)

    @property
    def user_agent_header(self) -> str:
        return self.user_agent.replace("{version}", __version__)

    @field_validator("user_agent")
    @classmethod
    def _one_header_line(cls, value: str) -> str:
        if any(not char.isprintable() for char in value):
            raise ValueError("must be one line of printable characters (no CR, LF or other controls)")
        return value

    @model_validator(mode="after")
    def _bounds(self) -> FeedSettings:
        if not self.min_interval <= self.max_interval:
            raise ValueError("feeds.min_interval must not exceed feeds.max_interval")
        return self


class MatchingSettings(_Section):
    engine: Literal["lexical", "semantic"] = "lexical"
    alert_threshold: float = Field(70.0, ge=0, le=100)
    suggest_threshold: float = Field(55.0, ge=0, le=100)
    duplicate_threshold: float = Field(80.0, ge=0, le=100)
    syndication_window: float = Field(172800, ge=0, le=365 * DAY)

    @model_validator(mode="after")
    def _order(self) -> MatchingSettings:
        if self.suggest_threshold > self.alert_threshold:
            raise ValueError("matching.suggest_threshold must not exceed matching.alert_threshold")
        return self


class TelegramSettings(_Section):
    token: SecretStr = SecretStr("")
    api_base: str = "https://api.telegram.org"
    admins: list[int] = []
    users_can_add_feeds: bool = False
    allow_private_feeds: bool = False
    """/addfeed and /import may add private addresses (fetched only if feeds.allow_private_networks too)."""
    max_claims_per_chat: int = Field(50, ge=1)
    mode: Literal["polling", "webhook"] = "polling"
    polling_timeout: int = Field(30, ge=1, le=50)
    webhook_url: str = ""
    webhook_secret: SecretStr = SecretStr("")
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)
    flood_limit: int = Field(20, ge=1)
    flood_period: float = Field(60.0, gt=0, le=DAY)
    feedback_step: float = Field(5.0, gt=0, le=50)
    feedback_cap: float = Field(25.0, ge=0, le=100)
    mute_button_hours: float = Field(24.0, gt=0, le=24 * 365)
    claims_page_size: int = Field(8, ge=1, le=50)
    max_document_bytes: int = Field(1_000_000, ge=1)

    @field_validator("api_base")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")


class DeliverySettings(_Section):
    per_chat_interval: float = Field(1.0, ge=0, le=DAY)
    group_per_minute: int = Field(20, ge=1)
    global_per_second: float = Field(25.0, gt=0)
    max_attempts: int = Field(8, ge=1)
    drain_interval: float = Field(2.0, gt=0, le=DAY)
    concurrency: int = Field(16, ge=1)
    retry_after_cap: float = Field(60.0, ge=0, le=DAY)
    retry_after_tries: int = Field(3, ge=0)
    backoff_base: float = Field(2.0, gt=0)
    backoff_max: float = Field(3600.0, gt=0, le=30 * DAY)
    lease: float = Field(300.0, gt=0, le=DAY)
    cooldown: float = Field(3600.0, ge=0, le=30 * DAY)
    outage_backoff_max: float = Field(60.0, gt=0, le=DAY)
    mark_interval: float = Field(0.05, gt=0, le=5)
    shared_budget: bool = True
    budget_block: float = Field(0.1, gt=0, le=5)


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class RetentionSettings(_Section):
    story_days: int = Field(90, ge=1, le=36500)
    batch: int = Field(500, ge=1)
    interval: float = Field(3600, gt=0, le=30 * DAY)


class DaemonSettings(_Section):
    grace: float = Field(10.0, ge=0, le=DAY)
    health_port: int = Field(0, ge=0, le=65535)
    health_host: str = "127.0.0.1"


class Settings(BaseSettings):
    """Everything claimbot can be told; build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="CLAIMBOT_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    database: DatabaseSettings = DatabaseSettings()
    feeds: FeedSettings = FeedSettings()
    matching: MatchingSettings = MatchingSettings()
    telegram: TelegramSettings = TelegramSettings()
    delivery: DeliverySettings = DeliverySettings()
    log: LogSettings = LogSettings()
    retention: RetentionSettings = RetentionSettings()
    daemon: DaemonSettings = DaemonSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Files arrive as init kwargs; the environment must win over them.
        return (env_settings, init_settings)

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite+aiosqlite:///{default_data_dir() / 'claimbot.db'}"

    @property
    def has_token(self) -> bool:
        return bool(self.telegram.token.get_secret_value())


def default_data_dir(environ: dict[str, str] | None = None) -> Path:
    """Writable per-user data folder: ``$STATE_DIRECTORY`` under systemd, else the XDG data folder."""
    env = os.environ if environ is None else environ
    if state := env.get("STATE_DIRECTORY"):
        return Path(state.split(":")[0])
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "claimbot"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; pass an existing file to --config") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}; pass a readable file") from None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read the defaults, then ``config_file``, then the environment; ``overrides`` win over the files."""
    data = _read_toml(default_config_path())
    if config_file is not None:
        data = _merge(data, _read_toml(config_file))
    data = _merge(data, overrides)
    for name in unknown_env(os.environ):
        logger.warning(
            "ignoring environment variable %s: it matches no setting (the form is CLAIMBOT_<SECTION>__<KEY>, "
            "e.g. CLAIMBOT_DATABASE__URL)",
            name,
        )
    token_env = os.environ.get("BOT_TOKEN")
    if token_env and not os.environ.get("CLAIMBOT_TELEGRAM__TOKEN"):
        data = _merge(data, {"telegram": {"token": token_env}})
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def unknown_env(environ: Mapping[str, str]) -> list[str]:
    """The ``CLAIMBOT_*`` variables in ``environ`` that set nothing (a misspelt section or key)."""
    known = set(_OTHER_ENV)
    for section, field in Settings.model_fields.items():
        known.add(f"{_ENV_PREFIX}{section}".upper())
        model = field.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            known.update(f"{_ENV_PREFIX}{section}__{key}".upper() for key in model.model_fields)
    return sorted(
        name for name in environ if name.upper().startswith(_ENV_PREFIX) and name.upper() not in known
    )


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    if first["type"] == "extra_forbidden":
        return f"unknown config key {key!r}{extra}: check its spelling against config/claimbot.toml"
    return f"invalid config value for {key!r}: {first['msg']}{extra}"
