"""A generic (ccxt) account in the store: the exchange's figures at live marks (liqwatch.risk.reported), never a
margin ratio or risk of ours, judged by the distance to the exchange's own liquidation price; snapshots ordered
by their time; a position gone from a reconciliation closed while the stream was blind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from liqwatch.clock import FakeClock
from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.model import (
    AccountSpec,
    AccountState,
    MarginMode,
    MarkTick,
    ReportedBalance,
    ReportedPosition,
    Side,
    Stamp,
)
from liqwatch.risk.base import ExchangeRisk
from liqwatch.risk.reported import reported_position_risk
from liqwatch.risk_events import RiskEventKind
from liqwatch.status import Status
from liqwatch.store import MonitorStore

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
EX = "ccxt:krakenfutures"


def _pos(liq: float | None = 54000.0, mode: MarginMode | None = MarginMode.ISOLATED, **over: object
         ) -> ReportedPosition:
    fields: dict[str, object] = dict(symbol="BTC/USD:USD", side=Side.LONG, size=1.0, entry_price=60000.0,
                                     mark_price=60000.0, liquidation_price=liq, margin_mode=mode, leverage=10.0,
                                     notional=60000.0, unrealized_pnl=0.0, maintenance_margin=None)
    fields.update(over)
    return ReportedPosition(**fields)  # type: ignore[arg-type]


def _state(*positions: ReportedPosition, at: datetime = T0, equity: float = 10000.0) -> AccountState:
    return AccountState(AccountSpec("kf", EX), equity, as_of=at, reported=positions,
                        reported_balance=ReportedBalance("USD", equity, source="ccxt"))


def _store() -> tuple[MonitorStore, FakeClock]:
    clock = FakeClock(T0)
    store = MonitorStore(clock)
    store.add_account(AccountSpec("kf", EX), ExchangeRisk(), reported_only=True)
    return store, clock


def _live(store: MonitorStore, clock: FakeClock) -> None:
    """The account's one channel LIVE: its figures are judged (on data not fresh, levels are held)."""
    ch = Channel("kf", "marks", ChannelKind.MARKET, 60.0)
    store.add_channel(ch)
    now = clock.monotonic()
    ch.subscribed(now)
    ch.synced(now)
    ch.data(now)


def _mark(price: float, at: datetime) -> MarkTick:
    return MarkTick(EX, "BTC/USD:USD", price, Stamp(at, at))


def test_the_exchanges_liquidation_price_at_live_marks_and_no_figures_of_ours() -> None:
    store, _ = _store()
    assert store.apply(_state(_pos()))
    assert store.apply(_mark(57000.0, T0 + timedelta(seconds=1)))
    view = store.snapshot().account("kf")
    assert view.risk is not None and view.risk.figures_from == "exchange"
    assert view.risk.margin_ratio is None and view.risk.risk is None and view.risk.maintenance_margin is None
    assert view.what_if is not None and view.what_if.reported == (_pos(),)  # the exchange's, for the what-if
    (p,) = view.positions
    assert p.risk.liquidation_price == 54000.0 and p.risk.mark_price == 57000.0
    assert p.risk.distance_to_liquidation_pct == pytest.approx((57000 - 54000) / 57000 * 100)
    assert p.risk.unrealized_pnl == pytest.approx(-3000.0) and p.risk.notional == pytest.approx(57000.0)
    assert p.risk.margin_ratio is None and p.risk.risk is None


def test_an_isolated_position_without_a_risk_of_ours_is_not_called_liquidated() -> None:
    """A native isolated position without a risk figure is at its liquidation (equity gone); a generic one has
    no risk of ours at all: it is judged by its distance only."""
    store, clock = _store()
    _live(store, clock)
    store.apply(_state(_pos(liq=30000.0)))
    store.apply(_mark(60000.0, T0 + timedelta(seconds=1)))
    view = store.snapshot().account("kf")
    assert view.fresh and view.status is Status.OK and view.danger is Status.OK
    assert not view.positions[0].risk.liquidated


def test_past_the_exchanges_price_it_is_liquidated_and_critical() -> None:
    store, clock = _store()
    _live(store, clock)
    store.apply(_state(_pos(liq=59000.0)))
    store.apply(_mark(58000.0, T0 + timedelta(seconds=1)))
    view = store.snapshot().account("kf")
    assert view.positions[0].risk.liquidated and view.danger is Status.CRITICAL


def test_an_older_snapshot_is_ignored_and_a_position_gone_at_reconciliation_closed_while_blind() -> None:
    store, _ = _store()
    store.apply(_state(_pos(), at=T0))
    assert not store.apply(_state(at=T0 - timedelta(seconds=5)))  # older: ignored, the position stays
    assert len(store.snapshot().account("kf").positions) == 1
    store.apply(_state(at=T0 + timedelta(seconds=5)))  # a reconciliation without it
    kinds = [e.kind for e in store.snapshot().events if hasattr(e, "kind")]
    assert RiskEventKind.CLOSED_WHILE_BLIND in kinds
    assert store.snapshot().account("kf").positions == ()


def test_a_close_seen_on_the_stream_is_no_close_while_blind() -> None:
    from dataclasses import replace

    store, _ = _store()
    store.apply(_state(_pos(), at=T0))
    store.apply(replace(_state(at=T0 + timedelta(seconds=5)), from_stream=True))
    assert not [e for e in store.snapshot().events if getattr(e, "kind", None) is RiskEventKind.CLOSED_WHILE_BLIND]


def test_an_inverse_position_keeps_the_exchanges_pnl_and_notional() -> None:
    p = _pos(linear=False, unrealized_pnl=0.01, notional=60000.0)
    r = reported_position_risk(p, 50000.0)
    assert r.unrealized_pnl == 0.01 and r.notional == 60000.0 and r.mark_price == 50000.0
    no_liq = reported_position_risk(_pos(liq=None), 50000.0)
    assert no_liq.distance_to_liquidation_pct is None and not no_liq.liquidated
