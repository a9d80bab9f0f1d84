"""A generic (ccxt) account on the screen: the exchange's figures, and "n/a (exchange gives none)" where it gives
none (never a figure of ours or a guess with another exchange's formula); its what-if moves the marks against the
exchange's liquidation price as it stands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from liqwatch.clock import FakeClock
from liqwatch.model import AccountSpec
from liqwatch.risk.base import ExchangeRisk
from liqwatch.store import MonitorStore
from tests.feeds.test_store_reported import EX, T0, _live, _mark, _pos, _state
from widgets.detail_lines import info_lines
from widgets.fmt import NONE_GIVEN
from widgets.position_rows import COLUMNS, position_entry
from widgets.whatif_calc import what_if


def _snapshot():  # type: ignore[no-untyped-def]
    clock = FakeClock(T0)
    store = MonitorStore(clock)
    store.add_account(AccountSpec("kf", EX), ExchangeRisk(), reported_only=True)
    _live(store, clock)
    store.apply(_state(_pos(liq=54000.0)))
    store.apply(_mark(60000.0, T0 + timedelta(seconds=1)))
    return store.snapshot()


def _text(line) -> str:  # type: ignore[no-untyped-def]
    return "".join(t for t, _ in line)


def test_the_detail_pane_says_what_the_exchange_gives_none_of() -> None:
    snap = _snapshot()
    view = snap.account("kf")
    text = "\n".join(_text(line) for line in info_lines(view, view.positions[0], None, datetime.now(UTC)))
    assert "exchange's liq 54,000.0  dist 10.0%" in text
    assert f"margin {NONE_GIVEN}  maint. margin {NONE_GIVEN}  uPnL +0.00" in text  # no risk figure of ours
    assert f"bracket {NONE_GIVEN}" in text


def test_the_positions_table_shows_no_margin_ratio_of_ours() -> None:
    snap = _snapshot()
    view = snap.account("kf")
    entry = position_entry(view, view.positions[0], datetime.now(UTC))
    cells = dict(zip((c.key for c in COLUMNS), (text for text, _ in entry.cells), strict=False))
    assert cells["ratio"] == "n/a" and cells["liq"].startswith("54")


def test_the_what_if_moves_the_mark_against_the_exchanges_liquidation_price() -> None:
    snap = _snapshot()
    (safe,) = what_if(snap, -5.0)  # 57,000: above 54,000
    assert not safe.liquidated and safe.after.positions[0].mark_price == 57000.0
    (gone,) = what_if(snap, -11.0)  # 53,400: past it
    assert [p.symbol for p in gone.liquidated] == ["BTC/USD:USD"]
    assert gone.after.positions[0].liquidation_price == 54000.0  # the exchange's, as it stands
