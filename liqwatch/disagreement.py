"""When the stream's state and the exchange's REST state disagree, and for how long the stream may win.

A REST snapshot normally yields to what the stream said after the snapshot was requested (so a resync never
brings back a position that just closed). That rule alone lets a stream event with a wrong but plausible time
hold state against every snapshot; so when two reconciliations in a row disagree with the stream's version of
the same thing, the exchange's REST state replaces it (and an incident says so). Nothing can be stuck for
longer than two reconciliation intervals.
"""

from __future__ import annotations

import math

from liqwatch.model import Position, Side

#: What can disagree: one position (by key) or the wallet.
WALLET = "wallet"
Subject = tuple[str, Side] | str


def positions_agree(stream: Position | None, rest: Position | None) -> bool:
    if stream is None or rest is None:
        return stream is rest
    return math.isclose(stream.size, rest.size, rel_tol=1e-9) and math.isclose(
        stream.entry_price, rest.entry_price, rel_tol=1e-9)


def wallets_agree(stream: float, rest: float) -> bool:
    # Beyond rounding only: Hyperliquid's wallet is derived from two figures each rounded to 6 decimals.
    return math.isclose(stream, rest, rel_tol=1e-7, abs_tol=1e-3)


def describe(account: str, subject: Subject) -> str:
    what = "the wallet" if isinstance(subject, str) else f"{subject[0]} {subject[1].value}"
    return (f"{account}: {what}: the stream's state disagreed with two REST reconciliations in a row; "
            "replaced by the exchange's REST state")
