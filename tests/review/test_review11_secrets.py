"""Review of issue 11's passphrase (FeedAccount now carries it, OKX requires it): a secret the config accepts must
be masked wherever the exchange echoes it. ``register_secret`` skips values under 8 characters on the word that
"the config layer refuses them anyway"; the config layer does not refuse a short passphrase."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from liqwatch.config import load_settings
from liqwatch.config.errors import ConfigError
from liqwatch.feeds.from_config import feed_accounts
from liqwatch.feeds.okx_errors import OKX_ERRORS
from liqwatch.feeds.rest import AuthError, ReadOnlyGuard, RestGate, request_json

PATH = "/api/v5/account/balance"
PHRASE = "Pass12"  # six characters: a passphrase the OKX form or a ccxt password may well be
ENV = {"OKX_KEY": "review1KEYcanary01", "OKX_SECRET": "review1SECRETcanary02", "OKX_PASS": PHRASE}
FILE = """
[[accounts]]
name = "okx-main"
exchange = "okx"
api_key_env = "OKX_KEY"
api_secret_env = "OKX_SECRET"
passphrase_env = "OKX_PASS"
"""


async def _echoed_error() -> str:
    """An OKX refusal that quotes the passphrase it was sent, through request_json over 127.0.0.1."""
    async def handle(request: web.Request) -> web.Response:
        sent = request.headers.get("OK-ACCESS-PASSPHRASE", "")
        return web.json_response({"code": "50105", "msg": f"Your passphrase {sent} is incorrect", "data": []})

    app = web.Application()
    app.router.add_get(PATH, handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with asyncio.timeout(10), aiohttp.ClientSession() as s:
            with pytest.raises(AuthError) as info:
                await request_json(s, "GET", f"http://127.0.0.1:{port}{PATH}",
                                   guard=ReadOnlyGuard("okx", frozenset({("GET", PATH)})), gate=RestGate(),
                                   timeout_s=5, headers={"OK-ACCESS-PASSPHRASE": PHRASE}, errors=OKX_ERRORS)
            return str(info.value)
    finally:
        await runner.cleanup()


async def test_a_short_passphrase_is_refused_or_masked(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(FILE), encoding="utf-8")
    path.chmod(0o600)
    try:
        accounts, disabled = feed_accounts(load_settings(path, environ=ENV), ENV)
    except ConfigError as exc:  # refused, with a clear message naming the field: acceptable
        assert "passphrase" in str(exc)
        return
    if "okx-main" in disabled:  # refused as a disabled account, saying why: acceptable
        assert "passphrase" in disabled["okx-main"][1]
        return
    assert [a.name for a in accounts] == ["okx-main"]
    text = await _echoed_error()
    assert "incorrect" in text  # the exchange's message is there...
    assert PHRASE not in text  # ...but not the passphrase it echoed
