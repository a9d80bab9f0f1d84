"""``liqwatch alerts test [--webhook NAME]`` (issue 10): a test notification through every configured channel,
each one's result, exit 1 if any failed. A separate process, as a user runs it; the webhook receivers are
aiohttp servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from tests.alerts.alert_receiver import Receiver
from tests.cli.test_check_command import ROOT, private_home  # noqa: F401  (the fixture is autouse)
from tests.tui_command import tui_argv


async def _liqwatch(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *tui_argv(), *args, cwd=ROOT, env={**os.environ, **(env or {})},
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    async with asyncio.timeout(60):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _config(tmp_path: Path) -> Path:
    cfg = tmp_path / "alerts.toml"
    cfg.write_text("""
[[alerts.delivery.webhooks]]
name = "phone"
kind = "ntfy"
url_env = "LW_TEST_PHONE_URL"

[[alerts.delivery.webhooks]]
name = "ops"
url_env = "LW_TEST_OPS_URL"

[[alerts.delivery.webhooks]]
name = "gone"
url_env = "LW_TEST_NOT_SET_URL"
""", encoding="utf-8")
    os.chmod(cfg, 0o600)
    return cfg


async def test_every_channel_reports_its_result_and_one_failure_fails_the_command(tmp_path: Path) -> None:
    ok, bad = Receiver(), Receiver(status=500)
    ok_port, bad_port = await ok.start(), await bad.start()
    env = {"LW_TEST_PHONE_URL": f"http://127.0.0.1:{ok_port}/topic",
           "LW_TEST_OPS_URL": f"http://127.0.0.1:{bad_port}/hook"}
    try:
        cfg = _config(tmp_path)
        code, out, err = await _liqwatch("alerts", "test", "--config", str(cfg), "--json", env=env)
        assert code == 1, (out, err)
        results = {r["channel"]: (r["result"], r["detail"]) for r in json.loads(out)["results"]}
        assert results["webhook phone"] == ("ok", None)
        assert results["webhook ops"] == ("error", "HTTP 500")
        assert results["webhook gone"] == ("error", "environment variable LW_TEST_NOT_SET_URL is not set")
        # Not a terminal: the bell and terminal notifications cannot be tried, and say so.
        assert results["bell"] == ("skipped", "standard output is not a terminal")
        assert results["terminal"] == ("skipped", "standard output is not a terminal")
        assert len(ok.requests) == 1 and ok.requests[0].headers["Title"] == "liqwatch test"
        assert len(bad.requests) == 1 and json.loads(bad.requests[0].body)["event"] == "test"
        assert f"127.0.0.1:{ok_port}" not in out + err  # the URL is a secret: never printed

        # Only the named webhook: it works, so the command succeeds.
        code, out, err = await _liqwatch("alerts", "test", "--webhook", "phone", "--config", str(cfg), env=env)
        assert code == 0, (out, err)
        assert out.split() == ["webhook", "phone", "ok"]
        assert len(ok.requests) == 2 and len(bad.requests) == 1

        code, out, err = await _liqwatch("alerts", "test", "--webhook", "gone", "--config", str(cfg), env=env)
        assert code == 1 and "LW_TEST_NOT_SET_URL is not set" in out

        code, out, err = await _liqwatch("alerts", "test", "--webhook", "nope", "--config", str(cfg), env=env)
        assert code == 2 and "no [[alerts.delivery.webhooks]] has that name (phone, ops, gone)" in err
    finally:
        await ok.stop()
        await bad.stop()


def test_in_a_terminal_the_bell_and_terminal_notification_are_sent(tmp_path: Path) -> None:
    import pty
    import subprocess

    cfg = tmp_path / "c.toml"
    cfg.write_text('[alerts.delivery.terminal]\nprotocols = ["osc9"]\n', encoding="utf-8")
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([*tui_argv(), "alerts", "test", "--config", str(cfg)], cwd=ROOT,
                              stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE, timeout=60)
        os.close(slave)
        data = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child's side is closed and everything was read
                break
            if not chunk:
                break
            data += chunk
    finally:
        os.close(master)
    assert proc.returncode == 0, (data, proc.stderr)
    assert b"\x07" in data  # the bell
    assert b"\x1b]9;liqwatch test: " in data  # OSC 9
    text = data.decode("utf-8", "replace")
    assert "bell                 ok" in text and "terminal             ok" in text
