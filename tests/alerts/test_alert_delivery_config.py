"""``[alerts.delivery]``: validation, channels built from it, and webhook secrets kept out of
``config check`` output and error messages."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from liqwatch.alerts.delivery.from_config import build_deliveries
from liqwatch.alerts.delivery.terminal import TerminalBell, TerminalNotifier
from liqwatch.config import load_settings
from liqwatch.config.alerts import AlertDelivery
from liqwatch.config.errors import validation_problems
from liqwatch.redact import redact
from tui.cli import main

CANARY = "hOoKcAnArY7c41"

CONFIG = f"""
[alerts.delivery.bell]
repeat_s = 10
[alerts.delivery.terminal]
protocols = ["osc99", "osc9"]
min_level = "critical"
[alerts.delivery.desktop]
enabled = true
[[alerts.delivery.webhooks]]
name = "phone"
kind = "ntfy"
url = "https://ntfy.sh/{CANARY}"
[[alerts.delivery.webhooks]]
name = "tg"
kind = "telegram"
bot_token_env = "TG_TOKEN"
chat_id = "-1001"
[[alerts.delivery.webhooks]]
name = "ops"
kind = "generic"
url_env = "OPS_HOOK"
min_level = "warning"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_channels_from_config(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, CONFIG), environ={})
    out = io.BytesIO()
    env = {"TG_TOKEN": f"123:{CANARY}", "TMUX": "/tmp/tmux-1000/default,1,0"}
    d = build_deliveries(settings.alerts.delivery, terminal=out, environ=env, which=lambda _n: None)
    assert isinstance(d.bell, TerminalBell) and d.bell.repeat_s == 10
    terminal = next(c for c in d.immediate if isinstance(c, TerminalNotifier))
    assert terminal.protocols == ("osc99", "osc9") and terminal.tmux
    assert [w.name for w in d.webhooks] == ["phone", "tg"]
    assert d.problems == [
        "desktop notifications: notify-send is not on PATH; not sending them",
        "webhook ops: environment variable OPS_HOOK is not set; not sending to it",
    ]
    # Resolved secrets are masked in any later log line.
    assert CANARY not in redact(f"POST https://ntfy.sh/{CANARY} and bot123:{CANARY}")
    headless = build_deliveries(settings.alerts.delivery, terminal=None, environ={"OPS_HOOK": "http://127.0.0.1:9/x"})
    assert headless.bell is None and [w.name for w in headless.webhooks] == ["phone", "ops"]


def test_config_check_never_prints_a_webhook_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, CONFIG)
    assert main(["config", "check", str(path), "--json"]) == 0
    out = capsys.readouterr().out
    assert CANARY not in out
    hooks = json.loads(out)["settings"]["alerts"]["delivery"]["webhooks"]
    assert hooks[0]["url"] == "**********" and hooks[1]["bot_token_env"] == "TG_TOKEN"
    assert main(["config", "check", str(path)]) == 0
    assert CANARY not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("hook", "field"),
    [
        ({"name": "a", "kind": "ntfy"}, "url"),
        ({"name": "a", "url": "ftp://x"}, "url"),
        ({"name": "a", "url": "https://x", "url_env": "X"}, "url_env"),
        ({"name": "a", "url": "https://x", "chat_id": "1"}, "chat_id"),
        ({"name": "a", "kind": "telegram", "chat_id": "1"}, "bot_token_env"),
        ({"name": "a", "kind": "telegram", "bot_token_env": "T"}, "chat_id"),
        ({"name": "a", "url_env": "https://ntfy.sh/oops"}, "url_env"),
        ({"name": "A B", "url": "https://x"}, "name"),
        ({"name": "a", "url": "**********"}, "url"),
    ],
)
def test_bad_webhooks_are_refused_without_echoing_the_value(hook: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        AlertDelivery.model_validate({"webhooks": [hook]})
    problems = validation_problems(info.value)
    assert problems[0].startswith(f"webhooks[0].{field}: "), problems
    assert "oops" not in str(problems) and "oops" not in str(info.value)


def test_webhook_names_are_unique() -> None:
    with pytest.raises(ValidationError, match="two webhooks are named"):
        AlertDelivery.model_validate({"webhooks": [{"name": "a", "url": "https://x"}, {"name": "a", "url": "https://y"}]})
