"""What ``liqwatch config check`` prints: the effective configuration with every secret redacted and the
state of each account, as JSON-able data and as TOML-like text."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from liqwatch.config.accounts import REDACTED
from liqwatch.config.loader import LoadedConfig
from liqwatch.config.secrets import Credentials, resolve_credentials
from liqwatch.feeds.registry import feed_entry

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def check_report(loaded: LoadedConfig, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The effective configuration and each account's status. Holds no secret: ``model_dump`` in JSON mode
    renders every ``SecretStr`` as the mask, and credential values are never read into it."""
    settings = loaded.settings
    accounts = []
    for account in settings.accounts:
        outcome = resolve_credentials(account, environ)
        # What the app will do: an exchange with risk math but no live feed (Bybit, OKX) is listed disabled
        # however good its keys, so it is not called enabled here.
        no_feed = feed_entry(account.exchange) is None
        enabled = isinstance(outcome, Credentials) and not no_feed
        reason = (outcome.reason if not isinstance(outcome, Credentials)
                  else f"{account.exchange}: no live feed yet (use `liqwatch calc` for its risk math)"
                  if no_feed else None)
        accounts.append(
            {
                "name": account.name,
                "exchange": account.exchange,
                "status": "enabled" if enabled else "disabled",
                "credentials": outcome.origin if isinstance(outcome, Credentials) else None,
                "reason": reason,
                "alerts": settings.alerts_for(account).model_dump(mode="json", exclude={"delivery"}),
            }
        )
    return {
        "valid": True,
        "config_file": str(loaded.path),
        "config_file_found": loaded.file_found,
        "env_overrides": list(loaded.env_applied),
        "env_ignored": list(loaded.env_ignored),
        "settings": settings.model_dump(mode="json"),
        "accounts": accounts,
    }


def render_text(report: Mapping[str, Any]) -> str:
    """TOML-like text: the effective values as tables, everything else as ``#`` comments."""
    settings = report["settings"]
    enabled = sum(1 for a in report["accounts"] if a["status"] == "enabled")
    found = "" if report["config_file_found"] else " (not found: defaults are used)"
    lines = [
        "# liqwatch configuration: valid",
        f"# file: {report['config_file']}{found}",
    ]
    if report["env_overrides"]:
        lines.append(f"# overridden by environment: {', '.join(report['env_overrides'])}")
    if report["env_ignored"]:
        lines.append(f"# ignored (accounts come from the file only): {', '.join(report['env_ignored'])}")
    lines.append(f"# secrets are shown as {REDACTED}")
    for name, table in settings.items():
        if name != "accounts":
            _table(lines, name, table)
    for entry, status in zip(settings["accounts"], report["accounts"], strict=True):
        lines += ["", "[[accounts]]", f"# {_status(status)}"]
        # Unset account options are noise here; the global tables keep theirs to show what is optional.
        _values(lines, {k: v for k, v in entry.items() if k != "alerts" and v is not None})
        overrides = {k: v for k, v in entry["alerts"].items() if v is not None}
        if overrides:
            lines += ["[accounts.alerts]"]
            _values(lines, overrides)
        effective = ", ".join(f"{k} {_value(v)}" for k, v in status["alerts"].items() if v is not None)
        lines.append(f"# effective alerts: {effective}")
    lines += ["", f"# accounts: {enabled} enabled, {len(report['accounts']) - enabled} disabled"]
    lines += [f"#   {a['name']} ({a['exchange']}): {_status(a)}" for a in report["accounts"]]
    return "\n".join(lines) + "\n"


def _status(account: Mapping[str, Any]) -> str:
    if account["status"] == "enabled":
        return f"enabled, credentials from {account['credentials']}"
    return f"DISABLED: {account['reason']}"


def _table(lines: list[str], name: str, table: Mapping[str, Any]) -> None:
    lines += ["", f"[{name}]"]
    _values(lines, {k: v for k, v in table.items() if not isinstance(v, dict)})
    for key, value in table.items():
        if isinstance(value, dict):
            _table(lines, f"{name}.{_key(key)}", value)


def _values(lines: list[str], values: Mapping[str, Any]) -> None:
    for key, value in values.items():
        if value is None:
            lines.append(f"# {_key(key)} = (not set)")
        else:
            lines.append(f"{_key(key)} = {_value(value)}")


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)
