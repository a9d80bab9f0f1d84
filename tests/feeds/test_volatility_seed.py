"""σ at start (issue 9): the adapters seed each market's volatility from the exchange's mark-price candles, so
distance in σ is there within seconds of the first LIVE snapshot instead of after an hour of marks."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator

import aiohttp
import orjson
import pytest
from aiohttp import web

from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer
from liqwatch.emulator.candles import stationary_sigma_hour
from liqwatch.feeds import binance
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.model import Exchange
from liqwatch.store import MonitorSnapshot
from tests.feeds.harness import FAST, eventually, running

# The emulator builds 30 days of candles per answer: on a busy machine (the suite runs in parallel) that took
# longer than FAST's 2 s request timeout, and the seeding under test was given up as "no candles".
SEEDING = dataclasses.replace(FAST, request_timeout_s=10.0)

# binance-main 2, -hedge 3, -degen 1, hl-whale 2, hl-isolated 2, bybit-uta 1, okx-iso 1, okx-multi 2
DEMO_POSITIONS = 14


def _positions(snap: MonitorSnapshot) -> list[tuple[str, str, float | None]]:
    return [(a.name, p.risk.symbol, p.risk.distance_sigma) for a in snap.accounts for p in a.positions]


async def test_distance_in_sigma_of_every_demo_position_within_seconds_of_the_first_live_snapshot() -> None:
    async with running(options=SEEDING) as env:
        store = env.monitor.store
        await eventually(store.all_live, 20.0, "every demo account LIVE")

        def every_sigma() -> bool:
            rows = _positions(store.snapshot())
            return len(rows) == DEMO_POSITIONS and all(s is not None for _, _, s in rows)

        await eventually(every_sigma, 3.0, "distance in σ of every demo position")
        assert all(s is not None and s > 0 for _, _, s in _positions(store.snapshot()))


async def test_seeded_sigma_is_the_paths_volatility() -> None:
    """ETH has no regimes or jumps: its configured 0.4 %/sqrt(h) is the σ of its marks. The 30-day hourly
    estimate (720 returns, standard error ~2.6 %) must be within 12 %, the 1-minute one (60 returns, ~9 %,
    plus the premium's noise) within 30 %. SOL switches between 1x and 3x regimes: its hourly σ must match the
    long-run mix within 15 %."""
    async with running(only=("binance-degen", "hl-isolated"), options=SEEDING) as env:
        store = env.monitor.store
        markets = [(Exchange.BINANCE, "ETH/USDT:USDT", "ETH"), (Exchange.HYPERLIQUID, "ETH/USDC:USDC", "ETH"),
                   (Exchange.HYPERLIQUID, "SOL/USDC:USDC", "SOL")]
        await eventually(lambda: all(store.volatility(ex, s).hours.count >= 700 for ex, s, _ in markets), 10.0,
                         "seeded volatility")
        specs = {p.name: p for p in env.emu.scenario.paths}
        for ex, symbol, path in markets:
            vol = store.volatility(ex, symbol)
            expected = stationary_sigma_hour(specs[path])
            assert vol.hours.count == 720 and vol.minutes.count == 60, symbol  # both windows full at once
            long_run, recent = vol.long_sigma_hour(), vol.recent_sigma_hour()
            assert long_run == pytest.approx(expected, rel=0.12 if path == "ETH" else 0.15), symbol
            assert recent is not None and vol.sigma_hour() == max(long_run, recent)
            if path == "ETH":
                assert recent == pytest.approx(expected, rel=0.30), symbol


async def test_binance_pages_the_klines_when_more_are_needed_than_one_call_returns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(binance, "KLINES_LIMIT", 100)  # the 722 hourly candles then take 8 calls
    async with running(only=("binance-degen",), options=SEEDING) as env:
        vol = env.monitor.store.volatility(Exchange.BINANCE, "ETH/USDT:USDT")
        await eventually(lambda: vol.hours.count >= 720, 10.0, "seeded hourly volatility")
        calls = [status for _, path, status in env.emu.requests if path == "/fapi/v1/markPriceKlines"]
        assert len(calls) == 8 + 2 and set(calls) == {200}  # 1h: 7 pages of 100, one of 22; 1m: 100 + 20
        assert vol.hours.count == 720 and vol.minutes.count == 60  # both windows full


@contextlib.asynccontextmanager
async def _candles_refused(upstream: list[str]) -> AsyncIterator[str]:
    """A relaying REST proxy to ``upstream[0]`` that answers HTTP 500 to every candle request."""

    async def relay(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if request.path == "/fapi/v1/markPriceKlines" or (
                request.path == "/info" and orjson.loads(body or b"{}").get("type") == "candleSnapshot"):
            return web.Response(status=500, text="candles unavailable")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with aiohttp.ClientSession() as s, s.request(request.method, upstream[0] + request.path_qs, data=body,
                                                           headers=headers) as r:
            return web.Response(status=r.status, body=await r.read(), content_type=r.content_type)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", relay)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_no_candles_is_not_fatal_and_sigma_waits_for_live_marks(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="liqwatch.feeds.candles")
    upstream: list[str] = []
    async with _candles_refused(upstream) as proxy_url:

        def accounts(emu: EmulatorServer) -> list[FeedAccount]:
            upstream.append(emu.rest_url)
            return scenario_accounts(emu.scenario, proxy_url, emu.ws_url)

        async with running(only=("binance-degen", "hl-isolated"), accounts=accounts) as env:
            store = env.monitor.store
            await eventually(store.all_live, 20.0, "accounts LIVE without candles")
            await eventually(lambda: all(f"no mark-price candles for {s}" in caplog.text
                                         for s in ("ETH/USDT:USDT", "ETH/USDC:USDC", "SOL/USDC:USDC")),
                             5.0, "each failure logged")
            assert store.all_live()  # the accounts stay LIVE with their figures
            rows = _positions(store.snapshot())
            assert len(rows) == 3 and all(s is None for _, _, s in rows)  # σ waits for live marks
            # A failed fetch leaves the market free for another account's attempt.
            assert store.claim_volatility_seed(Exchange.BINANCE, "ETH/USDT:USDT")


async def test_a_symbol_that_appears_later_is_seeded_once() -> None:
    async with running(only=("binance-degen", "binance-main"), options=SEEDING) as env:
        store = env.monitor.store
        await eventually(lambda: store.volatility(Exchange.BINANCE, "BTC/USDT:USDT").hours.count == 720, 10.0,
                         "the held symbols seeded")
        degen = env.adapter("binance-degen")
        for _ in range(3):  # a position in SOL shows up on the user stream, then in every reconciliation
            degen.hold_symbols({"SOL/USDT:USDT"})
        await eventually(lambda: store.volatility(Exchange.BINANCE, "SOL/USDT:USDT").hours.count == 720, 10.0,
                         "the new symbol seeded")
        calls = [p for _, p, _ in env.emu.requests if p == "/fapi/v1/markPriceKlines"]
        # ETH (degen), BTC and ETH (main: ETH shared, fetched once), SOL: two calls (1h, 1m) per market.
        assert len(calls) == 2 * 3


def test_candle_parsers_name_what_is_wrong() -> None:
    from liqwatch.feeds.binance_wire import parse_mark_klines
    from liqwatch.feeds.hyperliquid_wire import parse_candles
    from liqwatch.feeds.wire import CandleClose, WireError

    row = [1591256460000, "9653.29201333", "9654.56401333", "9653.07367333", "9653.07367333", "0 ", 1591256519999,
           "0", 60, "0", "0", "0"]  # Binance's documented example row
    assert parse_mark_klines([row]) == [CandleClose(1591256460000, 9653.07367333)]
    candle = {"T": 1681924499999, "c": "29258.0", "h": "29309.0", "i": "15m", "l": "29250.0", "n": 189,
              "o": "29295.0", "s": "BTC", "t": 1681923600000, "v": "0.98639"}  # Hyperliquid's documented example
    assert parse_candles([candle]) == [CandleClose(1681923600000, 29258.0)]
    with pytest.raises(WireError, match="markPriceKlines: close '0' is not a positive price"):
        parse_mark_klines([[*row[:4], "0", *row[5:]]])
    with pytest.raises(WireError, match=r"markPriceKlines: a row is not \[openTime"):
        parse_mark_klines([row[:3]])
    with pytest.raises(WireError, match="candleSnapshot: open time '1681923600000' is not epoch milliseconds"):
        parse_candles([{**candle, "t": "1681923600000"}])
    with pytest.raises(WireError, match="candleSnapshot: expected a list"):
        parse_candles({"error": "x"})
