"""The trader's own actions on an emulated Binance account, as another holder of the key would make them: a
fill that opens, resizes or closes a position (pushed as Binance does, an ``ACCOUNT_UPDATE`` of reason
``ORDER``), and a leverage change (``ACCOUNT_CONFIG_UPDATE``; the position's ``leverage`` in REST from then on).

For tests of position activity; liqwatch itself never trades. Cross positions only (an isolated fill would
also move margin between wallets, which no test needs yet).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from liqwatch.emulator.account_records import BinancePosition, ClosedLeg, PositionSide

if TYPE_CHECKING:
    from liqwatch.emulator.server import EmulatorServer


def _position(emu: EmulatorServer, account: str, symbol: str, side: PositionSide) -> BinancePosition | None:
    return next((p for p in emu.sim.binance_accounts[account].positions if p.symbol == symbol and p.side is side),
                None)


def binance_fill(emu: EmulatorServer, account: str, symbol: str, qty: float, price: float | None = None,
                 side: PositionSide = PositionSide.BOTH) -> None:
    """A fill of signed ``qty`` (> 0 buys) at ``price`` (default: the mark): opens, grows, reduces or closes
    the position of ``symbol`` (``side`` in hedge mode), and pushes the account update."""
    acc = emu.sim.binance_accounts[account]
    if symbol not in emu.sim.binance_markets:
        raise ValueError(f"no market {symbol} in the scenario")
    if (side is PositionSide.BOTH) == acc.hedge:
        raise ValueError("hedge mode needs side LONG or SHORT; one-way mode needs BOTH")
    if not qty:
        raise ValueError("qty must not be 0")
    at = price if price is not None else emu.sim.binance_markets[symbol].mark
    p = _position(emu, account, symbol, side)
    now = emu.sim.now_ms()
    if p is None:
        # The symbol's leverage setting, as REST reports it for a symbol without a position (20 by default).
        acc.leverage.setdefault(symbol, 20)
        p = BinancePosition(symbol, side, qty, at, False, 0.0, acc.leverage[symbol], update_ms=now)
        acc.positions.append(p)
        entry = emu.binance_ws._position_entry(acc, p)
    elif (p.qty > 0) == (qty > 0):
        p.entry = (p.entry * abs(p.qty) + at * abs(qty)) / (abs(p.qty) + abs(qty))
        p.qty += qty
        p.update_ms = now
        entry = emu.binance_ws._position_entry(acc, p)
    else:
        closed = min(abs(qty), abs(p.qty))
        if abs(qty) > abs(p.qty) + 1e-12:
            raise ValueError("a fill past the position's size would flip it: close it first")
        realized = closed * (at - p.entry) * (1.0 if p.qty > 0 else -1.0)
        acc.cross_wallet += realized
        p.realized += realized
        before = p.qty
        p.qty += qty
        p.update_ms = now
        if abs(p.qty) <= 1e-12:
            acc.positions.remove(p)
            entry = emu.binance_ws._closed_entry(ClosedLeg(symbol, side.value, before, p.entry, at, realized, False))
        else:
            entry = emu.binance_ws._position_entry(acc, p)
    emu.binance_ws.send_user(account, emu.binance_ws.account_update(acc, "ORDER", [entry], now))


def binance_set_leverage(emu: EmulatorServer, account: str, symbol: str, leverage: int) -> None:
    """The trader changes a symbol's leverage (an endpoint liqwatch never calls): Binance pushes
    ``ACCOUNT_CONFIG_UPDATE``, and REST reports the new leverage from then on."""
    if not 1 <= leverage <= 125:
        raise ValueError("leverage must be in [1, 125]")
    acc = emu.sim.binance_accounts[account]
    acc.leverage[symbol] = leverage
    for p in acc.positions:
        if p.symbol == symbol:
            p.leverage = leverage
    now = emu.sim.now_ms()
    emu.binance_ws.send_user(account, {"e": "ACCOUNT_CONFIG_UPDATE", "E": now, "T": now,
                                       "ac": {"s": symbol, "l": leverage}})
