"""``Settings``: the whole configuration, from defaults, the TOML file, ``LIQWATCH_*`` variables and init
arguments, in increasing priority. Read it with ``liqwatch.config.load_settings``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from liqwatch.config.accounts import Account
from liqwatch.config.alerts import MODEL_CONFIG, AlertThresholds
from liqwatch.config.errors import field_error, validation_problems
from liqwatch.config.keys import ACTION_IDS, binding_conflicts, key_problem, split_keys
from liqwatch.config.sources import (
    ENV_DELIMITER,
    ENV_PREFIX,
    FileOnlyAwareEnvSource,
    TomlDataSource,
    current_inputs,
)
from liqwatch.push_intervals import MARKET_PUSH_INTERVALS

Theme = Literal["dark", "light", "colorblind", "monochrome"]

_ACTION = re.compile(r"[a-z][a-z0-9_]{0,63}")
_KEY = re.compile(r"[^\s]{1,64}")


def default_database_path() -> Path:
    return platformdirs.user_data_path("liqwatch") / "liqwatch.sqlite3"


def _action(value: str) -> str:
    if not _ACTION.fullmatch(value):
        raise ValueError("action names are lower-case letters, digits and _ (see the app's key help)")
    return value


def _key(value: str) -> str:
    if not _KEY.fullmatch(value):
        raise ValueError('must be a key name without spaces, e.g. "q", "ctrl+r", "f5"; commas separate keys')
    for key in split_keys(value):
        problem = key_problem(key)
        if problem:
            raise ValueError(problem)
    return value


class UiSettings(BaseModel):
    """``[ui]``: the terminal app."""

    model_config = MODEL_CONFIG

    refresh_hz: float = Field(default=4.0, ge=0.5, le=10)
    """Screen refreshes per second, in [0.5, 10]. Data arrives continuously; this only paces redraws."""

    theme: Theme = "dark"
    """Colour theme: ``dark``, ``light``, ``colorblind`` (no red/green distinction needed) or
    ``monochrome`` (no colour; emphasis only)."""

    bindings: dict[Annotated[str, AfterValidator(_action)], Annotated[str, AfterValidator(_key)]] = {}
    """``[ui.bindings]``: key remapping, action name -> key (Textual key names, e.g. ``"ctrl+r"``;
    several keys separated by commas). Actions left out keep their default key."""

    @field_validator("bindings")
    @classmethod
    def _one_action_per_key(cls, value: dict[str, str]) -> dict[str, str]:
        # Textual would keep one of two actions on a key and silently drop the other (`q` stops quitting).
        unknown = sorted(set(value) - ACTION_IDS)
        if unknown:
            # A misspelt or invented action (``refresh``) would otherwise bind nothing, silently.
            raise ValueError(f"unknown action(s) {', '.join(unknown)}; the actions are: "
                             + ", ".join(sorted(ACTION_IDS)))
        conflicts = binding_conflicts(value)
        if conflicts:
            raise ValueError("one key cannot serve two actions on one screen: " + "; ".join(conflicts))
        return value


class StorageSettings(BaseModel):
    """``[storage]``: the local history database."""

    model_config = MODEL_CONFIG

    path: Path = Field(default_factory=default_database_path)
    """SQLite database file (default: ``liqwatch.sqlite3`` in the user data directory, e.g.
    ``~/.local/share/liqwatch/``). Absolute; ``~`` is expanded."""

    retention_days: int = Field(default=30, ge=1, le=3650)
    """Days of history (snapshots, alerts, funding) kept; older rows are pruned. In [1, 3650]."""

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        value = value.expanduser()
        if not value.is_absolute():
            raise ValueError("must be an absolute path (~ is expanded)")
        return value


class FeedSettings(BaseModel):
    """``[feeds]``: exchange connections."""

    model_config = MODEL_CONFIG

    reconcile_interval_s: float = Field(default=20.0, ge=15, le=30)
    """Seconds between REST snapshots that reconcile the streamed state, in [15, 30]."""

    market_max_age_s: float = Field(default=5.0, gt=0, le=60)
    """Mark/index prices older than this many seconds are shown as stale and not used for alerts. Must be
    more than the market push interval of every configured exchange (1 s for Binance ``markPrice@1s`` and
    Hyperliquid ``activeAssetCtx``), or the channel would flap between LIVE and STALE."""

    connect_timeout_s: float = Field(default=10.0, gt=0, le=120)
    """Timeout in seconds for opening a REST or WebSocket connection, in (0, 120]."""

    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=64 * 1024, le=256 * 1024 * 1024)
    """A REST answer longer than this many bytes is refused (a failure, retried with backoff), in [64 KiB, 256 MiB]."""


class Settings(BaseSettings):
    """The liqwatch configuration (``config.toml``)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_DELIMITER,
        extra="forbid",
        hide_input_in_errors=True,
        frozen=True,
        use_attribute_docstrings=True,
    )

    accounts: list[Account] = []
    """``[[accounts]]``: the exchange accounts to watch (file only; the environment cannot add one)."""

    alerts: AlertThresholds = AlertThresholds()
    """``[alerts]``: default alert thresholds, overridable per account."""

    ui: UiSettings = UiSettings()
    """``[ui]``: the terminal app."""

    storage: StorageSettings = Field(default_factory=StorageSettings)
    """``[storage]``: the local history database."""

    feeds: FeedSettings = FeedSettings()
    """``[feeds]``: exchange connections."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # No .env file or secrets directory: credentials are resolved per account (secrets.py).
        inputs = current_inputs()
        return (
            init_settings,
            FileOnlyAwareEnvSource(settings_cls, inputs.environ),
            TomlDataSource(settings_cls, inputs.toml_data),
        )

    @model_validator(mode="after")
    def _check_accounts(self) -> Settings:
        seen: dict[str, int] = {}
        for i, account in enumerate(self.accounts):
            key = account.name.casefold()
            if key in seen:
                raise field_error(f"accounts[{i}].name", f"duplicate account name (also used by accounts[{seen[key]}])")
            seen[key] = i
            try:
                account.alerts.merged_over(self.alerts)
            except ValidationError as exc:
                problem = validation_problems(exc)[0]
                raise field_error(f"accounts[{i}].alerts", f"merged with [alerts]: {problem}") from None
        self._check_market_max_age()
        return self

    def _check_market_max_age(self) -> None:
        """A freshness limit at or below an exchange's push interval flags ordinary gaps between pushes as
        stale: refused, naming the exchange and its interval (never the value given)."""
        limit = self.feeds.market_max_age_s
        for i, account in enumerate(self.accounts):
            push = MARKET_PUSH_INTERVALS.get(account.exchange)
            if push is not None and limit <= push.seconds:
                raise field_error(
                    "feeds.market_max_age_s",
                    f"must be more than {push.seconds:g} s: {account.exchange} pushes {push.stream} every "
                    f"{push.seconds:g} s (accounts[{i}]), so a lower limit makes the channel flap between LIVE "
                    f"and STALE; 5 s is the default")

    def account(self, name: str) -> Account:
        """The account called ``name``; ``KeyError`` if there is none."""
        for account in self.accounts:
            if account.name == name:
                return account
        raise KeyError(name)

    def alerts_for(self, account: Account | str) -> AlertThresholds:
        """The effective thresholds of ``account`` (a name or an entry): its overrides over ``[alerts]``."""
        entry = self.account(account) if isinstance(account, str) else account
        return entry.alerts.merged_over(self.alerts)
