"""Issue 13's done-when, for OKX: an account configured against OKX's documented response examples
(tests/fixtures/okx_*_docs.json, served on 127.0.0.1) through ``liqwatch check --json`` in its own process.

OKX's documented account/config answers for a key with ``perm`` "read_only,withdraw,trade": a key that can
withdraw, which liqwatch never uses. So the account comes through check disabled, with why, and check exits 3
(unknown) before any balance or position is asked for. Only public/time (its ``ts`` now: a 2020 server time
would be a clock offset of years) and account/config are served; every other request is recorded and
answered 404, so the test can say none was made."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.local_http import served
from tests.tui_command import tui_argv

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def _response(name: str) -> Any:
    doc = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert str(doc["_source"]).startswith("OKX v5 API docs")
    return doc["response"]


def documented_okx(requests: list[tuple[str, bool]]) -> web.Application:
    async def answer(request: web.Request) -> web.Response:
        signed = "OK-ACCESS-SIGN" in request.headers
        requests.append((request.path, signed))
        if request.path == "/api/v5/public/time":
            body = copy.deepcopy(_response("okx_time_docs.json"))
            body["data"][0]["ts"] = str(time.time_ns() // 10**6)
            return web.json_response(body)
        if request.path == "/api/v5/account/config" and signed:
            return web.json_response(_response("okx_config_docs.json"))
        return web.json_response({"code": "50000", "msg": "not served", "data": []}, status=404)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


async def test_documented_okx_config_key_that_can_withdraw_is_refused_by_check(tmp_path: Path) -> None:
    requests: list[tuple[str, bool]] = []
    async with asyncio.timeout(60), served(documented_okx(requests)) as base:
        env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
                   # the docs' own example key, secret and passphrase (OKX's login and signing examples)
                   DOCS_OKX_KEY="985d5b66-57ce-40fb-b714-afc0b9787083",
                   DOCS_OKX_SECRET="22582BD0CFF14C41EDBF1AB98506286D", DOCS_OKX_PASSPHRASE="123456")
        cfg = tmp_path / "config.toml"
        cfg.write_text(f'[[accounts]]\nname = "okx-docs"\nexchange = "okx"\napi_key_env = "DOCS_OKX_KEY"\n'
                       f'api_secret_env = "DOCS_OKX_SECRET"\npassphrase_env = "DOCS_OKX_PASSPHRASE"\n'
                       f'rest_url = "{base}"\nws_url = "{base.replace("http://", "ws://")}"\n', encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(
            *tui_argv(), "check", "--config", str(cfg), "--json", "--timeout", "5",
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
    assert proc.returncode == 3, err.decode()[-2000:]
    (account,) = json.loads(out)["accounts"]
    assert account["name"] == "okx-docs" and account["positions"] == []
    refused = account["disabled"]
    assert refused.startswith("API key refused: the API key can withdraw funds (perm 'read_only,withdraw,trade')")
    assert "Read permission only" in refused
    # The key was checked (signed) and nothing of the account was read with it.
    assert ("/api/v5/account/config", True) in requests
    assert not {p for p, _ in requests} & {"/api/v5/account/balance", "/api/v5/account/positions"}
