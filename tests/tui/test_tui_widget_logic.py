"""The pure parts of the UI: formatting, levels, sorting and filtering, what-if, exposure, history, plots,
the header, key lists and themes."""

from __future__ import annotations

import itertools
import math
import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liqwatch.alert_levels import AlertLevel
from liqwatch.risk.evaluate import evaluate_account
from liqwatch.status import Status
from tests.tui.scripted import BIN, ETH, into_danger, scripted
from tui.bindings import action_ids, display_keys, key_help
from tui.themes import THEMES, next_theme
from widgets import fmt
from widgets.exposure_rows import exposures
from widgets.header_lines import header_lines
from widgets.history import PositionHistory
from widgets.levels import alert_cell, status_cell
from widgets.plot import price_plot, spark
from widgets.position_rows import position_entries
from widgets.styled import DEFAULT_VARIABLES
from widgets.table_model import Entry, filter_entries, sort_entries
from widgets.whatif_calc import shifted_marks, what_if


def test_numbers_format_compactly_and_none_is_a_dash() -> None:
    assert fmt.price(60_014.12) == "60,014.1"
    assert fmt.price(2_990.0) == "2,990.00"
    assert fmt.price(0.123456) == "0.123456"
    assert fmt.money(-1_234.5, signed=True) == "-1,234.50"
    assert fmt.money(2_500_000) == "2.50M"
    assert fmt.compact(-44_550) == "-44.55k"
    assert fmt.pct(None) == fmt.price(None) == fmt.sigma(float("nan")) == "—"
    assert fmt.gauge(0.5, 6) == "███···"
    assert fmt.gauge(1.7, 4) == "████"
    assert fmt.countdown(3_725.2) == "1:02:06" and fmt.countdown(59) == "00:59"
    assert fmt.age(3_725) == "1h02m" and fmt.short_age(900) == "15m"


@given(st.floats(min_value=0, max_value=1e6))
def test_ages_change_text_at_most_once_a_second(seconds: float) -> None:
    # Every instant of one whole second formats alike, so an age repaints its cell once a second at most.
    assert fmt.age(seconds) == fmt.age(float(int(seconds)))
    assert fmt.countdown(seconds) == fmt.countdown(float(math.ceil(seconds)))


def test_every_level_carries_a_text_marker() -> None:
    for status in Status:
        text, tag = status_cell(status)
        assert text and tag
    assert status_cell(Status.OK, liquidated=True)[0] == "XX LIQD"
    markers = {alert_cell(level)[0] for level in AlertLevel}
    assert markers == {"i INFO", "! WARN", "!! CRIT", "!!! LIQ"}


def test_sorting_puts_missing_values_last_in_both_directions() -> None:
    rows = [Entry(k, (), (v,), k) for k, v in (("a", 3.0), ("b", None), ("c", 1.0), ("d", 2.0))]
    assert [e.key for e in sort_entries(rows, 0)] == ["c", "d", "a", "b"]
    assert [e.key for e in sort_entries(rows, 0, reverse=True)] == ["a", "d", "c", "b"]
    assert [e.key for e in sort_entries(rows, None)] == ["a", "b", "c", "d"]
    assert [e.key for e in filter_entries(rows, " C ")] == ["c"]


def test_what_if_is_the_engines_evaluation_at_shifted_marks() -> None:
    s = scripted()
    snap = s.store.snapshot()
    results = {r.view.name: r for r in what_if(snap, -5.0, "ETH")}
    degen = results["binance-degen"]
    book = s.store.book("binance-degen")
    expected = evaluate_account(book.rules, book.wallet_balance, book.positions(), {ETH: 2_990.0 * 0.95})
    assert degen.after == expected
    assert degen.liquidated and degen.liquidated[0].symbol == ETH
    main = results["binance-main"]
    assert shifted_marks(main.view, -5.0, "ETH")["BTC/USDT:USDT"] == 60_000.0  # BTC untouched
    assert not main.liquidated
    with pytest.raises(ValueError):
        what_if(snap, -100.0)


def test_exposure_nets_longs_and_shorts_per_asset_across_accounts() -> None:
    snap = scripted().store.snapshot()
    by_asset = {e.asset: e for e in exposures(snap)}
    eth = by_asset["ETH"]
    assert eth.long == pytest.approx(10 * 2_990) and eth.short == pytest.approx(4 * 2_990)
    assert eth.net_size == pytest.approx(6) and eth.accounts == {"binance-main", "binance-degen"}
    assert by_asset["BTC"].positions == 2
    assert next(e.asset for e in exposures(snap)) == "BTC"  # the largest net first


def test_history_is_bounded_and_forgets_closed_positions() -> None:
    s = scripted()
    history = PositionHistory(maxlen=4, min_interval_s=1.0)
    for _ in range(10):
        history.record(s.store.snapshot())
        s.step(0.5)
    key = "binance-main|BTC/USDT:USDT|long"
    samples = history.samples(key)
    assert len(samples) == 4
    assert all(b.t - a.t >= 1.0 for a, b in itertools.pairwise(samples))


def test_price_plot_draws_entry_liquidation_and_marks_with_distinct_glyphs() -> None:
    lines = price_plot([100.0, 101.0, 99.0], entry=100.0, liq=90.0, width=30, height=6)
    text = ["".join(t for t, _ in line) for line in lines]
    assert len(lines) == 6 and all(len(t) == 30 for t in text)
    assert "E 100.0000" in text[1] or any("E 100" in t for t in text)
    assert "┄" in "".join(text) and "━" in text[-1] and "•" in "".join(text)
    assert spark([0.0, 0.5, 1.0], 3, 0.0, 1.0) == "▁▅█"


def test_header_fits_its_width_and_reads_the_snapshot_clock() -> None:
    s = scripted()
    into_danger(s)
    snap = s.store.snapshot()
    for width in (80, 160):
        lines = header_lines(snap, [], width)
        assert all(sum(len(t) for t, _ in line) <= width for line in lines)
    wide = "".join(t for t, _ in header_lines(snap, [], 160)[0])
    assert "2026-05-01 07:21:30 UTC" in wide and "binance-degen !! CRIT" in wide
    later = s.store.snapshot()
    assert later.time == snap.time  # frozen clock, frozen header


def test_positions_show_the_exchange_liquidation_price_only_when_it_differs() -> None:
    entries = {e.key: e for e in position_entries(scripted().store.snapshot())}
    assert entries["binance-main|BTC/USDT:USDT|long"].cells[8][0] == "9,950.00"
    assert entries["binance-main|ETH/USDT:USDT|short"].cells[8][0] == ""


def test_funding_countdown_reads_the_next_settlement() -> None:
    s = scripted()
    entry = {e.key: e for e in position_entries(s.store.snapshot())}["binance-main|BTC/USDT:USDT|long"]
    assert entry.cells[17][0] == "38:30"  # 07:21:30 -> 08:00:00
    s.clock.advance(timedelta(minutes=8).total_seconds())
    entry = {e.key: e for e in position_entries(s.store.snapshot())}["binance-main|BTC/USDT:USDT|long"]
    assert entry.cells[17][0] == "30:30"


def test_action_names_are_unique_and_valid_for_the_config() -> None:
    ids = action_ids()
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]{0,63}", i) for i in ids)
    remapped = {k.id: k.keys for k in key_help({"quit": "ctrl+q,f10"})}
    assert remapped["quit"] == "ctrl+q, f10" and remapped["help"] == "?"
    assert display_keys("left_square_bracket") == "["


def test_every_theme_defines_every_level_variable_and_the_cycle_covers_all() -> None:
    for theme in THEMES.values():
        assert set(DEFAULT_VARIABLES) <= set(theme.variables)
    mono = THEMES["monochrome"].variables
    assert len({mono[f"lw-{t}"] for t in ("ok", "warning", "critical")}) <= 2  # no colour coding
    assert mono["lw-critical-style"] != mono["lw-warning-style"] != mono["lw-ok-style"]
    name, seen = THEMES["dark"].name, []
    for _ in THEMES:
        name = next_theme(name)
        seen.append(name)
    assert sorted(seen) == sorted(t.name for t in THEMES.values())


def test_danger_state_orders_positions_and_accounts() -> None:
    s = scripted()
    into_danger(s)
    snap = s.store.snapshot()
    assert snap.accounts[0].name == "binance-degen"
    assert s.marks[(BIN, ETH)] == 2_921.0


def test_cached_position_rows_equal_fresh_ones_and_follow_changes() -> None:
    s = scripted()
    cache: dict[str, tuple[tuple[object, ...], object]] = {}
    first = position_entries(s.store.snapshot(), cache=cache)  # type: ignore[arg-type]
    assert first == position_entries(s.store.snapshot())
    again = position_entries(s.store.snapshot(), cache=cache)  # type: ignore[arg-type]
    assert all(a is b for a, b in zip(first, again, strict=True))  # nothing changed: the same rows
    s.mark(BIN, ETH, 2_950.0)
    s.clock.advance(1.0)
    third = position_entries(s.store.snapshot(), cache=cache)  # type: ignore[arg-type]
    assert third == position_entries(s.store.snapshot())


def test_a_distance_in_quote_is_shown_to_its_prices_precision() -> None:
    # The ETH row read "55.9465" beside a mark of 2,971.61: a price move carries the decimals of the price.
    assert fmt.quote_distance(55.94651, 2971.61) == "55.95"
    assert fmt.quote_distance(14263.84, 60045.0) == "14,263.8"
    assert fmt.quote_distance(0.01234567, 0.5) == "0.012346"
    assert fmt.quote_distance(-3.5, 150.13) == "-3.50"
    assert fmt.quote_distance(None, 1.0) == fmt.NA
