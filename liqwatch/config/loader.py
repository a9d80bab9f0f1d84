"""Finding, reading and validating the config file: ``load_settings`` and ``load_config``."""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import ValidationError
from pydantic_settings import SettingsError

from liqwatch.config.accounts import LITERAL_FIELDS
from liqwatch.config.errors import (
    ConfigError,
    format_location,
    secret_like_name,
    toml_problem,
    validation_problems,
)
from liqwatch.config.permissions import check_secret_file
from liqwatch.config.settings import Settings
from liqwatch.config.sources import FILE_ONLY_FIELDS, env_override_names, load_inputs

WEBHOOK_LITERAL_FIELDS = ("url", "bot_token")
MAX_FILE_BYTES = 1 << 20  # a config is a few KiB; anything bigger is the wrong file


@dataclass(frozen=True)
class LoadedConfig:
    """The settings and where they came from (for ``liqwatch config check``)."""

    settings: Settings
    path: Path
    """The config file that was looked for (the default location when none was given)."""
    file_found: bool
    env_applied: tuple[str, ...]
    """Names (never values) of the ``LIQWATCH_*`` variables that override the file."""
    env_ignored: tuple[str, ...]
    """Names of ``LIQWATCH_ACCOUNTS*`` variables, ignored because accounts come from the file only."""


def default_config_path() -> Path:
    """``config.toml`` in the user config directory (``$XDG_CONFIG_HOME/liqwatch`` on Linux)."""
    return platformdirs.user_config_path("liqwatch") / "config.toml"


def load_settings(
    path: Path | None,
    environ: Mapping[str, str] | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read and validate the configuration.

    Args:
        path: the config file; ``None`` for the default location, where a missing file means "all
            defaults, no accounts". A path given explicitly must exist.
        environ: where ``LIQWATCH_*`` overrides are read (default ``os.environ``).
        overrides: highest-priority values (e.g. from command-line flags), shaped like the file.

    Raises:
        ConfigError: with a complete message naming every problem (never a value from the file).
    """
    return load_config(path, environ, overrides=overrides).settings


def load_config(
    path: Path | None,
    environ: Mapping[str, str] | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
) -> LoadedConfig:
    """Like ``load_settings``, also telling which file and which environment variables were used."""
    explicit = path is not None
    where = Path(os.path.abspath((path or default_config_path()).expanduser()))
    data = _read_toml(where, explicit)
    env = os.environ if environ is None else environ
    applied, ignored = env_override_names(env, frozenset(Settings.model_fields) - FILE_ONLY_FIELDS)
    try:
        with load_inputs(data or {}, env):
            settings = Settings(**dict(overrides or {}))
    except ValidationError as exc:
        problems = validation_problems(exc)
        raise ConfigError(_invalid_message(where, data is not None, problems, applied), problems, where) from None
    except SettingsError as exc:
        # Raised for a LIQWATCH_* value that is not valid JSON; the message names the field, not the value.
        raise ConfigError(f"a LIQWATCH_* environment variable cannot be parsed: {exc}", path=where) from None
    return LoadedConfig(settings, where, data is not None, tuple(applied), tuple(ignored))


def _invalid_message(path: Path, found: bool, problems: list[str], applied: list[str]) -> str:
    head = f"invalid configuration in {path}:" if found else "invalid configuration (no config file):"
    lines = [head, *(f"  {p}" for p in problems)]
    if applied:
        lines.append(f"(LIQWATCH_* environment variables also in effect: {', '.join(applied)})")
    return "\n".join(lines)


def _read_toml(path: Path, explicit: bool) -> dict[str, Any] | None:
    """The parsed file, or ``None`` if the default file does not exist."""
    try:
        link_stat = os.lstat(path)
        target_stat = os.stat(path)
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"config file not found: {path}", path=path) from None
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}", path=path) from None
    # Checked before opening: opening a FIFO or a device could block or have side effects.
    if not stat.S_ISREG(target_stat.st_mode):
        raise ConfigError(f"config file {path} is not a regular file", path=path)
    try:
        with open(path, "rb") as fh:
            file_stat = os.fstat(fh.fileno())
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}", path=path) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(f"config file {path} is larger than {MAX_FILE_BYTES} bytes; is it the right file?", path=path)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text (byte {exc.start})", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {toml_problem(exc)}", path=path) from None
    secret_fields = literal_secret_fields(data)
    if secret_fields:
        check_secret_file(path, link_stat, file_stat, secret_fields)
    return data


def literal_secret_fields(data: Mapping[str, Any]) -> list[str]:
    """Where the parsed file writes a secret itself, e.g. ``["accounts[0].api_key"]``."""
    found: list[str] = []
    accounts = data.get("accounts")
    if isinstance(accounts, list):
        found.extend(
            f"accounts[{i}].{name}"
            for i, entry in enumerate(accounts)
            if isinstance(entry, dict)
            for name in LITERAL_FIELDS
            if name in entry
        )
    # A webhook URL (ntfy topic, Slack hook) or a bot token grants whoever reads it the right to post as you.
    alerts = data.get("alerts")
    delivery = alerts.get("delivery") if isinstance(alerts, dict) else None
    hooks = delivery.get("webhooks") if isinstance(delivery, dict) else None
    if isinstance(hooks, list):
        found.extend(
            f"alerts.delivery.webhooks[{i}].{name}"
            for i, hook in enumerate(hooks)
            if isinstance(hook, dict)
            for name in WEBHOOK_LITERAL_FIELDS
            if name in hook
        )
    beat = delivery.get("heartbeat") if isinstance(delivery, dict) else None
    if isinstance(beat, dict) and "url" in beat:
        found.append("alerts.delivery.heartbeat.url")  # a ping URL lets anyone fake "still watching"
    # A value under a name that looks like a secret anywhere else (``api_secrett``, ``passwd``, ``token`` at
    # the top level) is no valid option, but it is in the file all the same: the file is held to the same rule.
    found.extend(f for f in _secret_like_values(data, ()) if f not in found)
    return found


def _secret_like_values(node: Any, loc: tuple[str | int, ...]) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and value.strip() and secret_like_name(key):
                found.append(format_location((*loc, key)))
            else:
                found.extend(_secret_like_values(value, (*loc, key)))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found.extend(_secret_like_values(item, (*loc, i)))
    return found
