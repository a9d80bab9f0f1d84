"""The documented, stable JSON of a monitor snapshot (``liqwatch check --json``) and its text table."""

from __future__ import annotations

from typing import Any

from liqwatch.account_totals import figures_fresh, totals
from liqwatch.commands.calc_output import fmt
from liqwatch.liquidations import LiquidatedPosition
from liqwatch.model import UnevaluatedPosition
from liqwatch.risk.evaluate import AccountRisk
from liqwatch.store import AccountView, MonitorSnapshot

#: Beyond this relative gap between our equity and the exchange's (both at the exchange's snapshot) both are
#: shown; below it they are the same figure up to the exchange's rounding and the marks' timing.
EQUITY_TOLERANCE = 0.005


def _r(value: float | None, digits: int = 10) -> float | None:
    return None if value is None else round(value, digits)


def equity_differs(r: AccountRisk) -> bool:
    """True when the exchange's reported equity and ours disagree beyond ``EQUITY_TOLERANCE``."""
    if r.exchange_margin_balance is None or r.exchange_margin_balance_gap is None:
        return False
    return abs(r.exchange_margin_balance_gap) > EQUITY_TOLERANCE * max(abs(r.exchange_margin_balance), 1.0)


def snapshot_json(snap: MonitorSnapshot) -> dict[str, Any]:
    return {
        "time": snap.time.isoformat().replace("+00:00", "Z"),
        "status": snap.status.value,
        "alerts_behind_s": _r(snap.alerts_behind_s, 1),
        "feeds": [
            {"account": f.account, "channel": f.channel, "state": f.state.value, "age_s": _r(f.age_s, 3)}
            for f in snap.feeds
        ],
        "accounts": [_account_json(a) for a in snap.accounts],
        # One row per settle currency: USDT and USDC are never added into one figure.
        "totals": [
            {"currency": t.currency, "accounts": list(t.accounts), "missing": list(t.missing), "equity": t.equity,
             "unrealized_pnl": t.unrealized_pnl, "funding_today": t.funding_today, "notional": t.notional,
             "effective_leverage": t.effective_leverage, "fresh": t.fresh}
            for t in totals(snap)
        ],
    }


#: What a figure the exchange does not report reads as (a generic account's: never guessed with another formula).
NONE_GIVEN = "n/a (exchange gives none)"


def _given(value: float | None, digits: int = 2) -> str:
    return NONE_GIVEN if value is None else fmt(value, digits)


def available_differs(r: AccountRisk) -> bool:
    """True when our free margin and the exchange's (both at its snapshot) disagree beyond the tolerance."""
    theirs = r.exchange_available_balance if r.exchange_available_balance is not None else r.exchange_withdrawable
    if theirs is None or r.exchange_available_gap is None:
        return False
    return abs(r.exchange_available_gap) > EQUITY_TOLERANCE * max(abs(theirs), 1.0)


def _account_json(a: AccountView) -> dict[str, Any]:
    r = a.risk
    out: dict[str, Any] = {
        "name": a.name,
        "exchange": str(a.exchange),
        "status": a.status.value,
        "wallet_balance": r.wallet_balance if r else None,
        "margin_balance": r.margin_balance if r else None,
        "cross_wallet_balance": r.cross_wallet_balance if r else None,
        "cross_margin_balance": r.cross_margin_balance if r else None,
        "exchange_margin_balance": r.exchange_margin_balance if r else None,
        "margin_balance_differs": equity_differs(r) if r else False,
        "maintenance_margin": r.maintenance_margin if r else None,
        # "liqwatch": computed under the exchange's rules; "exchange": a generic (ccxt) account, the
        # exchange's own figures only (no margin ratio or risk of ours: null).
        "figures_from": r.figures_from if r else None,
        "margin_ratio": r.margin_ratio if r else None,
        "risk": r.risk if r else None,
        "funding_today": a.funding_today if r else None,
        "notional": r.notional if r else None,
        "effective_leverage": r.effective_leverage if r else None,
        "available_balance": r.available_balance if r else None,
        "exchange_available_balance": r.exchange_available_balance if r else None,
        "available_balance_differs": available_differs(r) if r else False,
        "exchange_withdrawable": r.exchange_withdrawable if r else None,
        # Exchange risk events (margin call, ADL, closed while blind) whose alert is not acknowledged yet.
        "exchange_events": list(a.exchange_events),
        "positions": [
            _position_json(
                symbol=p.risk.symbol,
                side=p.risk.side.value,
                state="open",
                size=p.risk.size,
                entry_price=p.risk.entry_price,
                mark_price=p.risk.mark_price,
                liquidation_price=p.risk.liquidation_price,
                liquidation_distance=p.risk.liquidation_distance,
                liquidation_scope=p.risk.liquidation_scope,
                break_even_price=p.risk.break_even_price,
                break_even_source=p.risk.break_even_source or None,
                exchange_liquidation_price=p.risk.exchange_liquidation_price,
                maintenance_margin=p.risk.maintenance_margin,
                figures_from=p.risk.figures_from,
                distance_to_liquidation_pct=p.risk.distance_to_liquidation_pct,
                distance_sigma=p.risk.distance_sigma,
                margin_ratio=p.risk.margin_ratio,
                risk=p.risk.risk,
                unrealized_pnl=p.risk.unrealized_pnl,
                roe=p.risk.roe,
                exchange_roe=p.risk.exchange_roe,
                next_funding=p.next_funding,
                funding_since_open=p.funding_paid_since_open,
                age_s=_r(p.age_s, 3),
            )
            for p in a.positions
        ] + [_unevaluated_json(u) for u in a.unevaluated] + [_liquidated_json(r) for r in a.liquidations],
    }
    if a.disabled_reason is not None:
        out["disabled"] = a.disabled_reason
    if a.mode_not_modelled is not None:
        out["mode_not_modelled"] = a.mode_not_modelled
    if a.warnings:
        out["warnings"] = list(a.warnings)
    # Its exchange's REST paused (an IP ban until its end, or a maintenance), and its clock's offset.
    out["rest_paused"] = a.rest_pause.json() if a.rest_pause is not None else None
    out["clock_offset_s"] = _r(a.clock_offset_s, 3)
    return out


def _fixed(value: float | None, digits: int) -> str:
    # One precision per figure in the text report (fmt's significant digits would vary from row to row).
    return "-" if value is None else f"{value:,.{digits}f}"


def _signed(value: float | None) -> str:
    # Funding reads the same everywhere: negative = paid, positive = received.
    return "-" if value is None else f"{value:+,.2f}"


#: Every position object carries every key (null where undefined), whatever its state: open, not evaluated,
#: liquidated; a script reads one schema.
POSITION_KEYS = (
    "symbol", "side", "state", "size", "entry_price", "mark_price", "liquidation_price", "liquidation_scope",
    "exchange_liquidation_price", "distance_to_liquidation_pct", "distance_sigma", "margin_ratio", "risk",
    "unrealized_pnl", "roe", "exchange_roe", "next_funding", "funding_since_open", "age_s", "not_evaluated",
    "partial", "size_before", "liquidated_at", "price", "realized_pnl", "found_in",
    "liquidation_distance", "break_even_price", "break_even_source", "maintenance_margin", "figures_from",
)


def _position_json(**fields: Any) -> dict[str, Any]:
    unknown = set(fields) - set(POSITION_KEYS)
    if unknown:
        raise ValueError(f"position keys not in the schema: {sorted(unknown)}")
    return {k: fields.get(k) for k in POSITION_KEYS}


def _size(size: float | None) -> str:
    """A size as shown: "?" when not known (never a figure in its place)."""
    return "?" if size is None else format(size, "g")


def _unevaluated_json(u: UnevaluatedPosition) -> dict[str, Any]:
    """What is known of a position that is not evaluated; every computed figure is null, never a guess."""
    return _position_json(
        symbol=u.symbol, side=u.side.value, state="open", size=u.size, entry_price=u.entry_price,
        mark_price=u.mark_price, exchange_liquidation_price=u.exchange_liquidation_price, not_evaluated=u.reason,
    )


def _liquidated_json(r: LiquidatedPosition) -> dict[str, Any]:
    """A liquidation not acknowledged yet: listed with the positions until its alert is acknowledged."""
    return _position_json(
        symbol=r.symbol,
        side=r.side.value,
        state="liquidated",
        partial=r.partial,
        size=r.size_taken,  # what the exchange took
        size_before=r.size_before,
        liquidated_at=r.time.isoformat().replace("+00:00", "Z"),
        price=r.price,
        realized_pnl=r.realized_pnl,
        found_in=r.source,
    )


def snapshot_text(snap: MonitorSnapshot) -> str:
    lines = [f"{snap.time:%Y-%m-%d %H:%M:%S} UTC  status {snap.status.value.upper()}"]
    if snap.alerts_behind_s is not None:
        lines.append(f"  alerts behind: they judged the state of {snap.alerts_behind_s:.0f} s ago (their "
                     "evaluation is slow or stuck)")
    for f in snap.feeds:
        age = "-" if f.age_s is None else f"{f.age_s:.1f}s"
        detail = f"  {f.detail}" if f.detail else ""
        lines.append(f"  feed {f.account}/{f.channel}: {f.state.value} (age {age}){detail}")
    for a in snap.accounts:
        r = a.risk
        lines.append("")
        head = f"{a.name} [{a.exchange}] {a.status.value.upper()}"
        if a.rest_pause is not None:
            lines.append(f"{head}  {a.rest_pause.describe(a.exchange)}")
        if a.disabled_reason:
            lines.append(f"{head}  disabled: {a.disabled_reason}")
            continue
        if a.mode_not_modelled:
            lines.append(f"{head}  mode not modelled: {a.mode_not_modelled}")
        elif r is None:
            lines.append(f"{head}  waiting for the first snapshot")
            continue
        else:
            # Beside ours when they differ, or when ours lacks a position not evaluated.
            shown = equity_differs(r) or (bool(a.unevaluated) and r.exchange_margin_balance is not None)
            exch = f" (exchange {fmt(r.exchange_margin_balance)})" if shown else ""
            if r.figures_from == "exchange":  # a generic account: the exchange's own figures, none of ours
                lines.append(f"{head}  the exchange's figures only (generic)  equity {fmt(r.margin_balance)}  "
                             f"wallet {fmt(r.wallet_balance)}  MM {_given(r.maintenance_margin)}  ratio, risk "
                             f"{NONE_GIVEN}{'' if figures_fresh(a) else '  (NOT FRESH)'}")
            else:
                lines.append(f"{head}  equity {fmt(r.margin_balance)}{exch}  wallet {fmt(r.wallet_balance)}  "
                             f"cross equity {fmt(r.cross_margin_balance)}  MM {fmt(r.maintenance_margin)}  "
                             f"ratio {_fixed(r.margin_ratio, 4)}  risk {_fixed(r.risk, 4)}  "
                             f"funding today {_signed(a.funding_today)}{'' if figures_fresh(a) else '  (NOT FRESH)'}")
            lines.append(f"  notional {fmt(r.notional)}  eff lev {_fixed(r.effective_leverage, 2)}x  "
                         f"free {fmt(r.available_balance)}{_exchange_free(r)}")
        lines.extend(f"  warning: {w}" for w in a.warnings)
        for p in a.positions:
            pr = p.risk
            if pr.figures_from == "exchange":
                lines.append(
                    f"  {pr.symbol:<16} {pr.side.value:<5} {pr.margin_mode.value:<8} size {pr.size:g}  "
                    f"mark {fmt(pr.mark_price, 4)}  exchange's liq {_given(pr.liquidation_price, 4)}  "
                    f"dist {_fixed(pr.distance_to_liquidation_pct, 2)}%  MM {_given(pr.maintenance_margin)}  "
                    f"uPnL {_signed(pr.unrealized_pnl)}{'' if p.fresh else '  STALE'}")
                continue
            lines.append(
                f"  {pr.symbol:<16} {pr.side.value:<5} {pr.margin_mode.value:<8} size {pr.size:g}  "
                f"mark {fmt(pr.mark_price, 4)}  liq {fmt(pr.liquidation_price, 4)}"
                f"{' (pair)' if pr.liquidation_scope == 'pair' else ''}  "
                f"(exch {fmt(pr.exchange_liquidation_price, 4)})  dist {_fixed(pr.distance_to_liquidation_pct, 2)}%  "
                f"risk {_fixed(pr.risk, 4)}  uPnL {_signed(pr.unrealized_pnl)}  "
                f"ROE {_signed(None if pr.roe is None else pr.roe * 100)}%  "
                f"funding {_signed(p.funding_paid_since_open)}  b/e {fmt(pr.break_even_price, 4)}"
                f"{'' if p.fresh else '  STALE'}"
            )
        lines.extend(f"  {u.symbol:<16} {u.side.value:<5} size {_size(u.size)}  entry {fmt(u.entry_price, 4)}  "
                     f"mark {fmt(u.mark_price, 4)}  not evaluated: {u.reason}" for u in a.unevaluated)
        lines.extend(f"  {liq.describe()} at {liq.time:%H:%M:%S} UTC  (acknowledge its alert to clear)"
                     for liq in a.liquidations)
    lines.append("")
    views = {a.name: a for a in snap.accounts}
    for t in totals(snap):
        missing = f"  (without {', '.join(t.missing)}: no figures)" if t.missing else ""
        # A total summing a stale account is as stale as it: say which, as its positions' STALE does.
        stale = [n for n in t.accounts if not figures_fresh(views[n])]
        flag = f"  STALE ({', '.join(stale)})" if stale else ""
        lines.append(f"total {t.currency} ({len(t.accounts)} accounts)  equity {fmt(t.equity)}  "
                     f"uPnL {_signed(t.unrealized_pnl)}  funding today {_signed(t.funding_today)}  "
                     f"notional {fmt(t.notional)}  eff lev {_fixed(t.effective_leverage, 2)}x{missing}{flag}")
    return "\n".join(lines) + "\n"


def _exchange_free(r: AccountRisk) -> str:
    """The exchange's free margin beside ours when they differ, and its withdrawable amount."""
    # The figure ours was compared with (``available_differs``): Hyperliquid reports only its withdrawable.
    theirs = r.exchange_available_balance if r.exchange_available_balance is not None else r.exchange_withdrawable
    out = f" (exchange {fmt(theirs)})" if available_differs(r) else ""
    return out + (f"  withdrawable {fmt(r.exchange_withdrawable)}" if r.exchange_withdrawable is not None else "")
