"""Review of issue 12's positions-tab figures (break-even, free margin, withdrawable, effective leverage, the
totals per settle currency, check --json): each test is a defect found, strict-xfail until it is fixed."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from types import SimpleNamespace

import orjson
import pytest

from liqwatch.account_totals import totals
from liqwatch.commands.snapshot_output import available_differs, snapshot_json, snapshot_text
from liqwatch.feeds.binance_wire import parse_account_free, parse_position_risk
from liqwatch.feeds.candles import seed_volatility
from liqwatch.feeds.hyperliquid_wire import parse_clearinghouse
from liqwatch.feeds.wire import CandleClose, WireError
from liqwatch.model import AccountSpec, AccountState
from liqwatch.risk.volatility import MinuteVolatility
from tests.feeds.harness import eventually, running
from tests.review.rest_relay import rewritten
from tests.tui.scripted import ACCOUNTS, BIN, BTC, MARKS, T0, scripted
from widgets.account_rows import COLUMNS, account_entry
from widgets.detail_lines import plot_series


def _apply_with_free(s, name: str, available: float | None, withdrawable: float | None) -> None:  # type: ignore[no-untyped-def]
    exchange, wallet, positions = ACCOUNTS[name]
    marked = tuple(replace(p, mark_price=MARKS[(exchange, p.symbol)]) for p in positions)
    s.store.apply(AccountState(AccountSpec(name, exchange), wallet, marked, exchange_available_balance=available,
                               exchange_withdrawable=withdrawable))


def test_withdrawable_missing_from_a_later_snapshot_is_not_shown_as_current() -> None:
    s = scripted()
    _apply_with_free(s, "binance-main", 1_000.0, 900.0)
    assert s.store.snapshot().account("binance-main").risk.exchange_withdrawable == 900.0  # type: ignore[union-attr]
    # The next reconciliation's response carries neither figure (a field dropped, a v3 response): the
    # exchange no longer says 900 is withdrawable, so 900 must not stay shown as its figure.
    _apply_with_free(s, "binance-main", None, None)
    r = s.store.snapshot().account("binance-main").risk
    assert r is not None
    assert r.exchange_withdrawable is None and r.exchange_available_balance is None


def test_check_json_totals_say_whether_they_are_fresh() -> None:
    s = scripted()
    s.step(120.0, quiet=("hl-whale",))  # hl-whale's feeds go quiet: its figures are stale, still summed
    snap = s.store.snapshot()
    usdc = {t.currency: t for t in totals(snap)}["USDC"]
    assert "hl-whale" in usdc.accounts and not usdc.fresh  # the engine knows
    row = next(t for t in snapshot_json(snap)["totals"] if t["currency"] == "USDC")
    assert row.get("fresh") is False


def test_totals_effective_leverage_is_in_the_read_model_and_json() -> None:
    snap = scripted().store.snapshot()
    t = totals(snap)[0]
    assert t.effective_leverage == pytest.approx(t.notional / t.equity)  # type: ignore[attr-defined]
    assert "effective_leverage" in snapshot_json(snap)["totals"][0]


_ROW = {"symbol": "BTCUSDT", "positionAmt": "0.5", "positionSide": "BOTH", "marginType": "cross",
        "entryPrice": "60000", "isolatedWallet": "0", "leverage": "10", "markPrice": "60100",
        "liquidationPrice": "50000"}


@pytest.mark.parametrize("bep", ["1e300", "-60000"])
def test_absurd_break_even_price_is_refused(bep: str) -> None:
    with pytest.raises(WireError, match="breakEvenPrice"):
        parse_position_risk({**_ROW, "breakEvenPrice": bep})


@pytest.mark.parametrize("field,value", [("availableBalance", "1e300"), ("maxWithdrawAmount", "1e300"),
                                         ("maxWithdrawAmount", "-250")])
def test_absurd_free_margin_or_withdrawable_is_refused(field: str, value: str) -> None:
    account = {"availableBalance": "100", "maxWithdrawAmount": "100", field: value}
    with pytest.raises(WireError, match=field):
        parse_account_free(account)


@pytest.mark.parametrize("value", ["1e300", "-250"])
def test_absurd_hyperliquid_withdrawable_is_refused(value: str) -> None:
    state = {"marginSummary": {"accountValue": "1000", "totalMarginUsed": "0", "totalNtlPos": "0",
                               "totalRawUsd": "1000"},
             "crossMarginSummary": {"accountValue": "1000", "totalMarginUsed": "0", "totalNtlPos": "0",
                                    "totalRawUsd": "1000"},
             "crossMaintenanceMarginUsed": "0", "assetPositions": [], "withdrawable": value, "time": 1700000000000}
    with pytest.raises(WireError, match="withdrawable"):
        parse_clearinghouse(state, {})


T = 1_780_000_000.0 - 1_780_000_000.0 % 60  # a minute's start, epoch seconds


def _seed_btc(s, closes: list[tuple[float, float]]) -> None:  # type: ignore[no-untyped-def]
    """Seed Binance BTC through the feeds' own path (liqwatch.feeds.candles), candles as the exchange sent them."""
    async def fetch(interval: str, count: int) -> list[CandleClose]:
        return [CandleClose(int(t * 1000), c) for t, c in closes] if interval == "1m" else []

    assert asyncio.run(seed_volatility(s.store, BIN, BTC, fetch, "binance-main"))


def _btc_history(s) -> tuple[tuple[float, float], ...]:  # type: ignore[no-untyped-def]
    view = next(p for p in s.store.snapshot().account("binance-main").positions if p.risk.symbol == BTC)
    return view.mark_history


def test_a_future_dated_candle_does_not_freeze_the_minute_closes() -> None:
    s = scripted()
    now = T0.timestamp() - T0.timestamp() % 60
    _seed_btc(s, [*((now - 60.0 * k, 60_000.0) for k in range(120, 0, -1)), (now + 86_400.0, 60_000.0)])
    for _ in range(5):  # five minutes of live marks
        s.step(60.0)
    last = max(t for t, _ in _btc_history(s))
    assert last <= s.clock.now().timestamp(), "a close dated a day ahead is plotted"
    assert any(t >= now + 240.0 and t <= now + 360.0 for t, _ in _btc_history(s)), "no live minute plotted"


def test_an_absurd_candle_close_is_not_plotted() -> None:
    s = scripted()
    now = T0.timestamp() - T0.timestamp() % 60
    closes = [(now - 60.0 * k, 60_000.0) for k in range(120, 0, -1)]
    closes[60] = (closes[60][0], 6e9)
    _seed_btc(s, closes)
    assert max(c for _, c in _btc_history(s)) < 600_000.0


def test_minute_plot_caption_says_the_span_shown_across_a_gap() -> None:
    history = tuple((T + 60.0 * k, 100.0) for k in (0, 1, 2)) + tuple((T + 60.0 * k, 101.0) for k in (120, 121))
    p = SimpleNamespace(mark_history=history, risk=SimpleNamespace(mark_price=101.0))
    _, caption = plot_series(p, [], 80)  # type: ignore[arg-type]
    text = "".join(t for t, _ in caption)
    # 122 minutes from the first close shown to the last: "last 5m" is false.
    assert "5m" not in text and ("2h" in text or "gap" in text)


async def test_binance_absurd_free_figures_through_a_relay_are_not_shown() -> None:
    def rewrite(path: str, body: bytes) -> bytes:
        if path != "/fapi/v2/account":
            return body
        doc = orjson.loads(body)
        doc["availableBalance"], doc["maxWithdrawAmount"] = "1e300", "-250.00000000"
        return orjson.dumps(doc)

    account = "binance-main"
    async with rewritten((account,), rewrite) as env:
        store = env.monitor.store
        # Until the account has figures (today) or 8 s have passed (refused, as it should be).
        with contextlib.suppress(AssertionError):
            await eventually(lambda: store.snapshot().account(account).risk is not None, 8, "figures")
        acc = next(a for a in snapshot_json(store.snapshot())["accounts"] if a["name"] == account)
        withdrawable, available = acc["exchange_withdrawable"], acc["exchange_available_balance"]
        assert withdrawable is None or withdrawable >= 0, withdrawable
        assert available is None or available < 1e12, available


async def test_hyperliquid_positions_in_the_monitor_have_a_break_even() -> None:
    async with running(speed=0.05) as env:
        assert await env.monitor.wait_live(15)
        snap = env.monitor.store.snapshot()
        held = [p for a in snap.accounts if a.exchange == "hyperliquid" for p in a.positions]
        assert held
        assert all(p.risk.break_even_price is not None and p.risk.break_even_source == "fees" for p in held)


def test_check_text_shows_hyperliquids_figure_when_ours_differs() -> None:
    s = scripted()
    _apply_with_free(s, "hl-whale", None, 12_345.0)
    snap = s.store.snapshot()
    r = snap.account("hl-whale").risk
    assert r is not None and available_differs(r)  # ours differs from Hyperliquid's withdrawable
    lines = snapshot_text(snap).splitlines()
    at = next(n for n, x in enumerate(lines) if x.startswith("hl-whale ["))
    line = next(x for x in lines[at + 1:] if " free " in x)  # "  notional ...  free 140,160.00 (exchange -) ..."
    assert "(exchange -)" not in line and "(exchange 12,345" in line, line


def test_check_text_total_line_says_a_summed_account_is_stale() -> None:
    s = scripted()
    s.step(120.0, quiet=("hl-whale",))
    text = snapshot_text(s.store.snapshot())
    usdc = next(x for x in text.splitlines() if x.startswith("total USDC"))
    assert "STALE" in usdc or "stale" in usdc, usdc


def test_a_wall_clock_step_back_does_not_wipe_an_hour_of_minute_closes() -> None:
    vol = MinuteVolatility()
    vol.seed([(T - 60.0 * k, 100.0 + k % 7) for k in range(120, 0, -1)], [])  # two hours of candles up to T
    for k in range(3):
        vol.update(T + 60.0 * k + 1.0, 100.0, realign=True)  # by arrival, as Hyperliquid's contexts
    vol.update(T - 3600.0 + 5.0, 100.0, realign=True)  # the local clock stepped back an hour
    for k in range(3, 5):  # the next reconciliation re-measured the offset: right times again
        vol.update(T + 60.0 * k + 1.0, 100.0, realign=True)
    minutes = [int(t // 60) for t, _ in vol.closes.series()]
    assert len(minutes) >= 120, len(minutes)  # the exchange's candles of the last hour are still there


def test_free_margin_cell_shows_the_exchanges_figure_when_ours_is_unknown() -> None:
    s = scripted()
    name = "binance-main"
    exchange, wallet, positions = ACCOUNTS[name]
    marked = tuple(replace(p, mark_price=MARKS[(exchange, p.symbol)], leverage=None) for p in positions)
    s.store.apply(AccountState(AccountSpec(name, exchange), wallet, marked, exchange_available_balance=1_000.0,
                               exchange_withdrawable=900.0))
    view = s.store.snapshot().account(name)
    assert view.risk is not None and view.risk.available_balance is None  # ours cannot be computed
    text, _ = account_entry(view).cells[[c.key for c in COLUMNS].index("free")]
    assert "1,000" in text or "1k" in text or "1.00k" in text, text


def _btc_mark_stalls(s) -> None:  # type: ignore[no-untyped-def]
    """Two minutes pass: every channel and every mark goes on, except Binance BTC's mark (binance-main holds it)."""
    s.clock.advance(120.0)
    for key in s.marks:
        if key != (BIN, BTC):
            s._tick(*key)
    s.feed()


def test_a_total_over_a_stale_mark_is_not_fresh() -> None:
    s = scripted()
    _btc_mark_stalls(s)
    snap = s.store.snapshot()
    main = snap.account("binance-main")
    assert main.status.value == "stale" and not all(p.fresh for p in main.positions)
    usdt = {t.currency: t for t in totals(snap)}["USDT"]
    assert "binance-main" in usdt.accounts
    assert not usdt.fresh


def test_account_figures_over_a_stale_mark_are_dimmed() -> None:
    s = scripted()
    _btc_mark_stalls(s)
    cells = account_entry(s.store.snapshot().account("binance-main")).cells
    keys = [c.key for c in COLUMNS]
    for key in ("notional", "eff_lev", "free"):
        assert "stale" in cells[keys.index(key)][1], (key, cells[keys.index(key)])
