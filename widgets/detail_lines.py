"""The detail pane's text: the selected position's figures, its bracket and the next one, and its history."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from liqwatch.model import MarginMode
from liqwatch.store import AccountView, PositionView
from liqwatch.tiers import TierTable
from widgets import fmt
from widgets.funding_view import seconds_to_next
from widgets.history import Sample
from widgets.levels import status_cell, status_tag
from widgets.plot import AXIS, price_plot, spark
from widgets.position_rows import exchange_liq, position_status, roe_pct
from widgets.text_lines import Line

SPARK_LINES = 2


def bracket_lines(tiers: TierTable | None, notional: float) -> Line:
    if tiers is None:
        return (("bracket ", "muted"), ("unknown", "stale"))
    tier = tiers.tier_for(notional)
    floor = fmt.compact(tier.floor)
    span = f"≥{floor}" if math.isinf(tier.cap) else f"{floor}–{fmt.compact(tier.cap)}"
    now: Line = (("bracket ", "muted"),
                 (f"{span} MMR {fmt.pct(tier.mmr * 100, 2)} amt {fmt.compact(tier.maint_amount)}", ""))
    nxt = tiers.next_tier(notional)
    if nxt is None:
        return (*now, ("  · last bracket", "muted"))
    away = nxt.floor - abs(notional)
    return (*now, ("  · next ", "muted"),
            (f"≥{fmt.compact(nxt.floor)} MMR {fmt.pct(nxt.mmr * 100, 2)} ({fmt.compact(away)} notional away)",
             "warning" if away < 0.1 * nxt.floor else ""))


def info_lines(a: AccountView, p: PositionView, tiers: TierTable | None, now: datetime) -> list[Line]:
    r = p.risk
    dim = "" if p.fresh else " stale"
    status = position_status(p)
    level = status_tag(p.status)
    marker = status_cell(status, r.liquidated)
    exch = exchange_liq(p)
    freshness = ("live", "muted") if p.fresh else (f"  not fresh: {p.incomplete}", "stale") if p.incomplete \
        else (f"  not live: data {fmt.age(p.age_s)} old", "stale")
    isolated = r.margin_mode is MarginMode.ISOLATED
    gain = "gain" if r.unrealized_pnl >= 0 else "loss"
    generic = r.figures_from == "exchange"  # a generic (ccxt) account: the exchange's figures, none of ours
    margin: Line = ((("margin ", "muted"), (fmt.NONE_GIVEN, "muted"), ("  maint. margin ", "muted"),
                     (fmt.NONE_GIVEN if r.maintenance_margin is None else fmt.money(r.maintenance_margin), dim))
                    if generic else
                    (("margin ", "muted"), (fmt.ratio_pct(r.margin_ratio) + ("" if isolated else " (account)"),
                                            level + dim), ("  risk ", "muted"), (fmt.risk(r.risk), level + dim)))
    return [
        ((f"{r.symbol} {r.side.value}", "strong"), (f" · {a.name} ({a.exchange}) · {r.margin_mode.value}"
                                                      f" · {fmt.leverage(r.leverage)}  ", "muted"),
         marker, ("  ", ""), freshness),
        (("mark ", "muted"), (fmt.price(r.mark_price), dim), ("  entry ", "muted"), (fmt.price(r.entry_price), "entry"),
         *break_even_spans(p),
         ("  exchange's liq " if generic else "  liq ", "muted"),
         (fmt.NONE_GIVEN if generic and r.liquidation_price is None else fmt.price(r.liquidation_price), "liq"),
         *((("  (the hedge pair's)", "muted"),) if r.liquidation_scope == "pair" else ()),
         *((("  exch ", "muted"), (fmt.price(exch), "warning" + ("" if p.exchange_liq_fresh else " stale")),
            (f" ({fmt.age(p.exchange_liq_age_s)} old)", "muted" if p.exchange_liq_fresh else "stale"))
           if exch is not None else ()),
         ("  dist ", "muted"), (f"{fmt.pct(r.distance_to_liquidation_pct, 1)} · {fmt.sigma(r.distance_sigma)}"
                                f" · {fmt.quote_distance(r.liquidation_distance, r.mark_price)}", level + dim)),
        (*margin, ("  uPnL ", "muted"),
         (fmt.money(r.unrealized_pnl, signed=True), gain + dim), ("  ROE ", "muted"),
         (fmt.pct(roe_pct(p), 1, signed=True), gain + dim),
         *((("  exch ROE ", "muted"), (fmt.pct(r.exchange_roe * 100, 1, signed=True), "muted"))
           if r.exchange_roe is not None else ()),
         ("  notional ", "muted"), (fmt.compact(r.notional), dim)),
        (("bracket ", "muted"), (fmt.NONE_GIVEN, "muted")) if generic else bracket_lines(tiers, r.notional),
        (("funding since open ", "muted"), (fmt.money(p.funding_paid_since_open, signed=True), dim),
         ("  next ", "muted"), (fmt.money(p.next_funding, signed=True), dim), ("  in ", "muted"),
         (fmt.countdown(seconds_to_next(p, a.exchange, now)), dim), ("  rate ", "muted"),
         (fmt.rate(p.funding_rate), dim)),
    ]


def history_lines(samples: Sequence[Sample], width: int) -> list[Line]:
    cols = max(1, width - 12)
    risks = [s.risk for s in samples]
    rates = [s.funding_rate for s in samples]
    last_risk = fmt.risk(risks[-1]) if risks else fmt.NA
    last_rate = fmt.rate(rates[-1]) if rates else fmt.NA
    return [
        (("risk (0..1) ", "muted"), (spark(risks, cols - 8, 0.0, 1.0), "accent"), (f" {last_risk}", "")),
        (("funding    ", "muted"), (spark(rates, cols - 8), "accent"), (f" {last_rate}", "")),
    ]


def detail_lines(a: AccountView, p: PositionView, tiers: TierTable | None, samples: Sequence[Sample],
                 now: datetime, width: int, height: int) -> list[Line]:
    # The account's standing warnings (an API key that can trade, one without an IP restriction) stay in view.
    warnings: list[Line] = [((f"warning: {w}", "warning"),) for w in a.warnings]
    info = [part for line in info_lines(a, p, tiers, now) for part in wrap_fields(line, width)]
    marks, caption = plot_series(p, samples, width)
    plot_height = max(2, height - len(info) - len(warnings) - SPARK_LINES - 1)
    plot = price_plot(marks, p.risk.entry_price, p.risk.liquidation_price, width, plot_height)
    return [*info, *warnings, caption, *plot, *history_lines(samples, width)]


def break_even_spans(p: PositionView) -> Line:
    """The break-even price and whose it is: the exchange's own, or ours from the taker fee rate."""
    r = p.risk
    if r.break_even_price is None:
        return (("  b/e ", "muted"), (fmt.NA, "muted"))
    whose = " (fees)" if r.break_even_source == "fees" else ""
    return (("  b/e ", "muted"), (fmt.price(r.break_even_price), ""), (whose, "muted"))


def plot_series(p: PositionView, samples: Sequence[Sample], width: int) -> tuple[list[float], Line]:
    """The plot's marks and its caption: one column per minute (the exchange's 1-minute candles fetched at
    start, then live marks: ``PositionView.mark_history``) once there are a few, the current mark last; else
    the marks of the last seconds, one per second."""
    cols = max(1, width - AXIS)
    history = p.mark_history
    if len(history) >= 2:
        times = [t for t, _ in history[-cols:]]
        shown = [close for _, close in history[-cols:]]
        shown[-1] = p.risk.mark_price  # the running minute, at the figures' own mark
        # The span is time, not columns: minutes missing (a feed outage) are drawn adjacent, so say so.
        span = times[-1] - times[0] + 60.0
        missing = round(span / 60.0) - len(shown)
        gap = f", {missing} minutes missing (gaps closed up)" if missing > 0 else ""
        return shown, ((f"mark: 1-minute closes, last {fmt.age(span)}{gap}", "muted"),)
    marks = [s.mark for s in samples][-cols:] or [p.risk.mark_price]
    return marks, ((f"mark: last {fmt.age(float(len(marks)))}, one point a second", "muted"),)


def wrap_fields(line: Line, width: int) -> list[Line]:
    """A line too wide for the pane goes on over the next lines, a whole field at a time (a field starts at a
    span that begins with two blanks: "  uPnL "), so that no figure is cut at the pane's edge."""
    fields: list[list[tuple[str, str]]] = []
    for text, tag in line:
        if not fields or text.startswith("  "):
            fields.append([])
        fields[-1].append((text, tag))
    out: list[list[tuple[str, str]]] = []
    used = 0
    for f in fields:
        size = sum(len(t) for t, _ in f)
        if out and used + size > width:
            f = [(f[0][0][2:], f[0][1]), *f[1:]]  # a new line: no indent
            out.append([])
            used = 0
            size -= 2
        elif not out:
            out.append([])
        out[-1].extend(f)
        used += size
    return [tuple(part) for part in out]


def empty_lines(message: str) -> list[Line]:
    return [((message, "muted"),)]
