"""Issue 13's done-when, for Bybit: an account configured against payloads this project did not write (Bybit's
documented response examples, tests/fixtures/bybit_*_docs.json, served by tests/feeds/documented_bybit.py on
127.0.0.1) comes through ``liqwatch check --json`` in its own process."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from tests.feeds.documented_bybit import DocumentedBybit
from tests.local_http import served
from tests.tui_command import tui_argv

ROOT = Path(__file__).resolve().parents[2]


async def _check(tmp_path: Path, base: str) -> tuple[int, dict[str, Any], str]:
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               DOCS_BYBIT_KEY="XXXXXXXX", DOCS_BYBIT_SECRET="documented-example-secret")
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[[accounts]]\nname = "bybit-docs"\nexchange = "bybit"\napi_key_env = "DOCS_BYBIT_KEY"\n'
                   f'api_secret_env = "DOCS_BYBIT_SECRET"\nrest_url = "{base}"\nws_url = "{base.replace("http", "ws")}"\n',
                   encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        *tui_argv(), "check", "--config", str(cfg), "--json", "--timeout", "10",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, json.loads(out), err.decode()


async def test_bybit_documented_examples_through_check(tmp_path: Path) -> None:
    server = DocumentedBybit()
    async with asyncio.timeout(60), served(server.app) as base:
        rc, report, err = await _check(tmp_path, base)
    print(json.dumps(report, indent=1))
    print(err[-3000:])
    print(server.requests)
    assert False
