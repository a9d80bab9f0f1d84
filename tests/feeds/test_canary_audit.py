"""Fault catalogue row 27, the secret-leakage audit: a demo-like run with canary credentials (an API key and
secret the emulator accepts, a wrong key it refuses, an OKX passphrase) through the real config loader, with
faults that make the monitor log, raise and rotate (malformed frames, a dropped socket, an expired listen key,
an authentication failure). Every log record at DEBUG and up (with its traceback), every error string, the
report and the ``--record`` file are searched for the canaries and for every listen key issued: zero hits."""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import textwrap
from pathlib import Path

import pytest

from liqwatch.commands.snapshot_output import snapshot_json, snapshot_text
from liqwatch.config import load_settings
from liqwatch.emulator import EmulatorServer
from liqwatch.emulator.demo_scenario import DEMO_TOML
from liqwatch.emulator.scenario import scenario_from_toml
from liqwatch.feed_channel import ChannelState
from liqwatch.feeds.frame_recorder import read_recording
from liqwatch.feeds.from_config import feed_accounts
from liqwatch.monitor import Monitor
from liqwatch.redact import install_redaction
from tests.feeds.harness import FAST, eventually

KEY = "CanaryApiKey" + "k7Q2" * 13  # 64 characters, like a Binance key
SECRET = "CanaryApiSecret" + "s9W4" * 12 + "s"
WRONG_KEY = "CanaryWrongKey" + "w3E8" * 12 + "ww"
WRONG_SECRET = "CanaryWrongSecret" + "x5R1" * 11 + "xx"
PASSPHRASE = "CanaryPassphrase-p6T0"
CANARIES = (KEY, SECRET, WRONG_KEY, WRONG_SECRET, PASSPHRASE)


def canary_scenario() -> str:
    main_key = "LiqwatchDemoMainKey000000000000000000000000000000000000000000001"
    main_secret = "LiqwatchDemoMainSecret000000000000000000000000000000000000000001"
    assert main_key in DEMO_TOML and main_secret in DEMO_TOML
    return DEMO_TOML.replace(main_key, KEY).replace(main_secret, SECRET)


def config(tmp_path: Path, emu: EmulatorServer) -> Path:
    endpoints = f'rest_url = "{emu.rest_url}"\nws_url = "{emu.ws_url}"'
    hl = emu.scenario.hyperliquid.accounts[0].address
    entries = [
        ("main", "binance", 'api_key_env = "LW_C_KEY"\napi_secret_env = "LW_C_SECRET"'),
        ("wrong", "binance", 'api_key_env = "LW_C_WRONG_KEY"\napi_secret_env = "LW_C_WRONG_SECRET"'),
        ("okx", "okx", 'api_key_env = "LW_C_KEY"\napi_secret_env = "LW_C_SECRET"\npassphrase_env = "LW_C_PASS"'),
        ("whale", "hyperliquid", f'address = "{hl}"'),
    ]
    text = "\n".join(f'[[accounts]]\nname = "{n}"\nexchange = "{x}"\n{body}\n{endpoints}\n' for n, x, body in entries)
    path = tmp_path / "private" / "config.toml"
    path.parent.mkdir(mode=0o700)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    path.chmod(0o600)
    return path


async def test_27_no_canary_secret_or_listen_key_in_logs_errors_report_or_record(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    environ = {"LW_C_KEY": KEY, "LW_C_SECRET": SECRET, "LW_C_WRONG_KEY": WRONG_KEY,
               "LW_C_WRONG_SECRET": WRONG_SECRET, "LW_C_PASS": PASSPHRASE}
    record = tmp_path / "frames.jsonl.gz"
    caplog.set_level(logging.DEBUG)
    install_redaction()  # as `liqwatch` does at start, on every root handler (caplog's among them)
    scenario = scenario_from_toml(canary_scenario(), source="canary scenario")
    async with contextlib.AsyncExitStack() as stack:
        emu = await stack.enter_async_context(EmulatorServer(scenario, seed=11, autorun=True, publish_interval=0.1))
        settings = load_settings(config(tmp_path, emu), environ={})
        accounts, disabled = feed_accounts(settings, environ)
        monitor = await stack.enter_async_context(Monitor(accounts, disabled=disabled, options=FAST,
                                                          record_path=record))
        store = monitor.store
        await eventually(lambda: all(c.state is ChannelState.LIVE for n in ("main", "whale")
                                     for c in store.channels(n)), 20, "main and whale LIVE")
        await eventually(lambda: store.snapshot().account("wrong").disabled_reason is not None, 10,
                         "the wrong key to be refused")
        main = next(a for a in monitor.adapters if a.account.name == "main")
        rotations, malformed = main.listen_key_rotations, main.malformed
        for kind in ("truncated", "nan", "invalid_utf8"):
            emu.faults.malformed("binance-user", kind)
        await eventually(lambda: main.malformed >= malformed + 3, 5, "the bad frames to be counted")
        emu.faults.expire_listen_key("binance-main")
        await eventually(lambda: main.listen_key_rotations > rotations, 10, "the listen key to rotate")
        await eventually(lambda: main.user_stream.connected, 10, "the user socket on the new key")
        connects = main.user_stream.connects
        await emu.faults.drop("binance-user", reset=True)
        await eventually(lambda: main.user_stream.connects > connects, 10, "the user socket back")
        await eventually(lambda: all(c.state is ChannelState.LIVE for c in store.channels("main")), 10, "LIVE")
        snap = store.snapshot()
        listen_keys = list(emu.listen_keys.by_key)
        evidence = {
            "report": json.dumps(snapshot_json(snap)) + snapshot_text(snap),
            "errors": repr([(a.account.name, a.last_error) for a in monitor.adapters])
                      + repr([a.disabled_reason for a in snap.accounts]) + repr(disabled),
            "channels": repr([(c.name, c.detail) for n in ("main", "wrong", "whale") for c in store.channels(n)]),
            "accounts": repr(accounts) + repr(settings) + str(settings.model_dump()),
        }
    assert len(listen_keys) >= 2
    assert "wrong" in disabled or "authentication failed" in repr(snap.account("wrong").disabled_reason)
    logs = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert "malformed frame" in logs and "listen key rotated" in logs  # the faults did reach the log
    with gzip.open(record, "rt", encoding="utf-8") as fh:
        evidence["record"] = fh.read()
    evidence["logs"] = logs
    assert any('"listenKeyExpired"' in f["raw"] for f in read_recording(record))  # the one frame that had a key
    for where, text in evidence.items():
        for canary in (*CANARIES, *listen_keys):
            assert canary not in text, f"{canary[:16]}... leaked into the {where}"
