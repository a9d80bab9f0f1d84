"""Snapshot faults of single positions: what an exchange has been seen to send for one position while the
rest of the account is sound (an entry price of "0"; a held symbol missing from the leverage brackets).

Shared by the REST payload builders (Hyperliquid's websocket pushes reuse them), so that every answer about
the account says the same thing; set through ``Faults.bad_position`` (also ``POST /_emulator/faults/bad_position``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("zero_entry", "no_bracket")


@dataclass(slots=True)
class PositionFaults:
    #: (exchange, Binance symbol or Hyperliquid coin) whose positions report entry price "0".
    zero_entry: set[tuple[str, str]] = field(default_factory=set)
    #: Binance symbols left out of GET /fapi/v1/leverageBracket.
    no_bracket: set[str] = field(default_factory=set)

    def set(self, kind: str, exchange: str, symbol: str, on: bool = True) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if exchange not in ("binance", "hyperliquid"):
            raise ValueError("exchange must be binance or hyperliquid")
        if kind == "no_bracket" and exchange != "binance":
            raise ValueError("no_bracket is a Binance fault (Hyperliquid has no bracket endpoint)")
        if not symbol:
            raise ValueError("symbol is required (BTCUSDT on Binance, BTC on Hyperliquid)")
        if kind == "zero_entry":
            (self.zero_entry.add if on else self.zero_entry.discard)((exchange, symbol))
        else:
            (self.no_bracket.add if on else self.no_bracket.discard)(symbol)

    def entry(self, exchange: str, symbol: str, entry: float) -> float:
        """The entry price to report for a position of ``symbol``."""
        return 0.0 if (exchange, symbol) in self.zero_entry else entry

    def clear(self) -> None:
        self.zero_entry.clear()
        self.no_bracket.clear()

    def status(self) -> dict[str, list[str]]:
        return {"zero_entry": sorted(f"{e}:{s}" for e, s in self.zero_entry), "no_bracket": sorted(self.no_bracket)}
