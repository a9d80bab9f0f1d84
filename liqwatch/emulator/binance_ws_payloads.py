"""Binance USDⓈ-M websocket payloads, built from the simulation in Binance's shapes: markPriceUpdate,
ACCOUNT_UPDATE (open and closed legs), MARGIN_CALL, and the ORDER_TRADE_UPDATE of a liquidation order."""

from __future__ import annotations

from typing import Any

from liqwatch.emulator.account_records import break_even
from liqwatch.emulator.accounts import (
    BinanceAccount,
    BinancePosition,
    ClosedLeg,
    Liquidation,
    MarginCall,
)
from liqwatch.emulator.fmt import fixed, trimmed
from liqwatch.emulator.simulation import Simulation

Json = dict[str, Any]


class BinancePayloads:
    """The event bodies; ``BinanceStreams`` sends them. Liquidation orders number from ``_order_ids``."""

    sim: Simulation
    _order_ids: int

    def mark_payload(self, symbol: str, now_ms: int) -> Json:
        m = self.sim.binance_markets[symbol]
        return {
            "e": "markPriceUpdate",
            "E": now_ms,
            "s": symbol,
            "p": fixed(m.mark, 8),
            "P": fixed(m.index, 8),
            "i": fixed(m.index, 8),
            "r": fixed(m.funding_rate, 8),
            "T": self.sim.next_funding_ms(m),
        }

    def _position_entry(self, account: BinanceAccount, p: BinancePosition) -> Json:
        mark = self.sim.binance_markets[p.symbol].mark
        spec = self.sim.market.binance_specs[p.symbol]
        return {
            "s": p.symbol,
            "pa": fixed(p.qty, spec.qty_decimals),
            "ep": trimmed(p.entry, 8),
            "bep": trimmed(break_even(p), 8),
            "cr": fixed(p.realized, 8),
            "up": fixed(account.upnl(p, mark), 8),
            "mt": "isolated" if p.isolated else "cross",
            "iw": fixed(p.isolated_wallet, 8) if p.isolated else "0",
            "ps": p.side.value,
            "ma": "USDT",
        }

    def _closed_entry(self, leg: ClosedLeg) -> Json:
        spec = self.sim.market.binance_specs[leg.symbol]
        return {
            "s": leg.symbol,
            "pa": fixed(0.0, spec.qty_decimals),
            "ep": "0.0",
            "bep": "0",
            "cr": fixed(leg.realized, 8),
            "up": "0",
            "mt": "isolated" if leg.isolated else "cross",
            "iw": "0",
            "ps": leg.side,
            "ma": "USDT",
        }

    def account_update(self, account: BinanceAccount, reason: str, positions: list[Json], now: int) -> Json:
        return {
            "e": "ACCOUNT_UPDATE",
            "E": now,
            "T": now,
            "a": {
                "m": reason,
                "B": [
                    {
                        "a": "USDT",
                        "wb": fixed(account.wallet_balance(), 8),
                        "cw": fixed(account.cross_wallet, 8),
                        "bc": "0",
                    }
                ],
                "P": positions,
            },
        }

    def _margin_call_event(self, call: MarginCall, now: int) -> Json:
        account = self.sim.binance_accounts[call.account]
        rows = []
        for p in call.positions:
            m = self.sim.binance_markets[p.symbol]
            spec = self.sim.market.binance_specs[p.symbol]
            rows.append(
                {
                    "s": p.symbol,
                    "ps": p.side.value,
                    "pa": fixed(p.qty, spec.qty_decimals),
                    "mt": "ISOLATED" if p.isolated else "CROSSED",
                    "iw": fixed(p.isolated_wallet, 8) if p.isolated else "0",
                    "mp": fixed(m.mark, 8),
                    "up": fixed(account.upnl(p, m.mark), 8),
                    "mm": fixed(account.mm(p, m), 8),
                }
            )
        return {"e": "MARGIN_CALL", "E": now, "cw": fixed(call.cross_wallet, 8), "p": rows}

    def _liquidation_events(self, liq: Liquidation, now: int) -> list[Json]:
        events: list[Json] = []
        for leg in liq.legs:
            spec = self.sim.market.binance_specs[leg.symbol]
            self._order_ids += 1
            qty = fixed(abs(leg.qty), spec.qty_decimals)
            price = fixed(leg.price, spec.price_decimals)
            events.append(
                {
                    "e": "ORDER_TRADE_UPDATE",
                    "E": now,
                    "T": now,
                    "o": {
                        "s": leg.symbol,
                        "c": f"autoclose-{now}",
                        "S": "SELL" if leg.qty > 0 else "BUY",
                        "o": "LIMIT",
                        "f": "IOC",
                        "q": qty,
                        "p": price,
                        "ap": price,
                        "sp": "0",
                        "x": "TRADE",
                        "X": "FILLED",
                        "i": self._order_ids,
                        "l": qty,
                        "z": qty,
                        "L": price,
                        "N": "USDT",
                        "n": "0",
                        "T": now,
                        "t": self._order_ids,
                        "b": "0",
                        "a": "0",
                        "m": False,
                        "R": True,
                        "wt": "MARK_PRICE",
                        "ot": "LIQUIDATION",
                        "ps": leg.side,
                        "cp": False,
                        "rp": fixed(leg.realized, 8),
                        "pP": False,
                        "si": 0,
                        "ss": 0,
                        "V": "NONE",
                        "pm": "NONE",
                        "gtd": 0,
                    },
                }
            )
        account = self.sim.binance_accounts[liq.account]
        events.append(self.account_update(account, "ORDER", [self._closed_entry(leg) for leg in liq.legs], now))
        return events

