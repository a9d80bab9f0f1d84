"""The account detail (``i``): why an account reads as it does, in words: each channel's state, age, current
detail, last error and next retry; why it is disabled or not modelled; a REST pause; its standing warnings.

Text only, from one snapshot's ``AccountView`` (never the live feeds): the screen re-renders it as snapshots
arrive. Nothing is cut: long reasons wrap in the scrolling box.
"""

from __future__ import annotations

from datetime import datetime

from liqwatch.read_model import AccountView
from widgets import fmt


def _channel_lines(view: AccountView) -> list[str]:
    if not view.feeds:
        return ["  no channel (the account is not watched)"]
    lines = [f"  {'channel':<10} {'kind':<7} {'state':<13} {'age':>8} {'limit':>6}  next retry"]
    for ch in view.feeds:
        retry = f"in {fmt.age(ch.retry_in_s)}" if ch.retry_in_s is not None else "-"
        lines.append(f"  {ch.channel:<10} {ch.kind.value:<7} {ch.state.value:<13} {fmt.age(ch.age_s):>8} "
                     f"{fmt.age(ch.max_age_s):>6}  {retry}")
        if ch.detail:
            lines.append(f"      now: {ch.detail}")
        if ch.last_error and ch.last_error != ch.detail:
            lines.append(f"      last error: {ch.last_error}")
    return lines


def _balance_lines(view: AccountView) -> list[str]:
    """The account's money, the figures a narrow accounts pane may leave out (withdrawable first of all)."""
    r = view.risk
    if r is None:
        return []
    theirs = "" if r.exchange_available_balance is None else f" (exchange: {fmt.money(r.exchange_available_balance)})"
    return ["", "Balances",
            f"  equity {fmt.money(r.margin_balance)} · free margin {fmt.money(r.available_balance)}{theirs}",
            f"  withdrawable {fmt.money(r.exchange_withdrawable)} (the exchange's own figure)"
            f" · notional {fmt.compact(r.notional)} · effective leverage {fmt.multiple(r.effective_leverage)}"]


def account_info_text(view: AccountView, now: datetime) -> str:
    """The detail of ``view`` as of ``now`` (the snapshot's time)."""
    live = sum(1 for ch in view.feeds if ch.live)
    lines = [f"{view.name} · {view.exchange} · {view.status.value.upper()}"
             f" · {live} of {len(view.feeds)} channel(s) LIVE · {'synced' if view.synced else 'not synced yet'}"
             f" · as of {now:%H:%M:%S} UTC"]
    if view.disabled_reason:
        lines += ["", f"DISABLED, not watched: {view.disabled_reason}",
                  "  (fix the key or the configuration, then start liqwatch again)"]
    if view.mode_not_modelled:
        lines += ["", f"Margin mode not modelled, no figures computed: {view.mode_not_modelled}"]
    if view.rest_pause is not None:
        lines += ["", f"REST paused: {view.rest_pause.describe(str(view.exchange))}"]
    lines += _balance_lines(view)
    lines += ["", "Channels", *_channel_lines(view)]
    if view.unevaluated:
        lines += ["", "Positions not evaluated"]
        lines += [f"  {u.symbol} {u.side.value}: {u.reason}" for u in view.unevaluated]
    if view.warnings:
        lines += ["", "Warnings", *(f"  {w}" for w in view.warnings)]
    if view.clock_offset_s is not None:
        lines += ["", f"Exchange clock minus ours: {view.clock_offset_s:+.3f} s"]
    return "\n".join(lines)
