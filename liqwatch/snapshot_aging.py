"""A published snapshot that could not be rebuilt, told as old: the engine publishes this copy of its last good
snapshot when builds keep failing, so no reader takes a minute-old LIVE for the state of now.

Every channel that read LIVE then reads STALE with its age grown by the time since, and the reason in its
detail; accounts and positions are no longer fresh, and every level below CRITICAL reads STALE (as the
snapshot's own builder judges an account without fresh figures). A CRITICAL level is kept: it was true then
and nothing newer says otherwise.
"""

from __future__ import annotations

from dataclasses import replace

from liqwatch.feed_channel import ChannelState, ChannelStatus
from liqwatch.read_model import AccountView, MonitorSnapshot
from liqwatch.status import Status


def _stale(status: Status) -> Status:
    return status if status is Status.CRITICAL else Status.STALE


def _feed(f: ChannelStatus, elapsed_s: float, why: str) -> ChannelStatus:
    age = None if f.age_s is None else f.age_s + elapsed_s
    state = ChannelState.STALE if f.state is ChannelState.LIVE else f.state
    return replace(f, state=state, age_s=age, detail=f"{why}; {f.detail}" if f.detail else why)


def _account(a: AccountView, elapsed_s: float, why: str) -> AccountView:
    return replace(a, feeds=tuple(_feed(f, elapsed_s, why) for f in a.feeds), fresh=False, feeds_live=False,
                   status=_stale(a.status), positions=tuple(replace(p, fresh=False) for p in a.positions))


def aged(snap: MonitorSnapshot, elapsed_s: float, reason: str) -> MonitorSnapshot:
    """``snap`` as read ``elapsed_s`` after it was built, not rebuilt since because of ``reason``."""
    why = f"snapshot not rebuilt for {elapsed_s:.0f} s: {reason}"
    return replace(snap, accounts=tuple(_account(a, elapsed_s, why) for a in snap.accounts),
                   feeds=tuple(_feed(f, elapsed_s, why) for f in snap.feeds), status=_stale(snap.status),
                   all_live=False)
