"""One account's live positions with its cross aggregates kept up to date incrementally.

A mark tick touches only the positions of that symbol (one, or two hedge legs): their figures are
recomputed and the account sums adjusted by the difference, so a tick costs O(1) in the number of
positions. Liquidation prices depend on every other position and are computed only when a snapshot is
taken (a few times a second), from sums rebuilt exactly; the running sums themselves are rebuilt every
``RESUM_EVERY`` ticks, on the write side, so that rounding never accumulates (reading changes nothing).

The snapshot is read more often than the book changes (the engine's step, the screen's pull and every reader
of ``MonitorStore.snapshot``, several times between two marks): the last one is kept with what it was made
from (a change count, the wallet, the rules and the σ asked for) and returned again while they are the same.
"""

from __future__ import annotations

from collections.abc import Mapping

from liqwatch.model import MarginMode, Position, Side
from liqwatch.risk.base import ExchangeRisk
from liqwatch.risk.evaluate import AccountRisk, CrossTotals, PositionFigures, assemble, figures, mark_of

PositionKey = tuple[str, Side]

#: Mark ticks between two exact rebuilds of the running sums (each tick adds a difference: rounding drifts).
RESUM_EVERY = 256


class AccountBook:
    def __init__(self, rules: ExchangeRisk, wallet_balance: float = 0.0) -> None:
        self.rules = rules
        self.wallet_balance = wallet_balance
        self._positions: dict[PositionKey, Position] = {}
        self._figures: dict[PositionKey, PositionFigures] = {}
        self._by_symbol: dict[str, list[PositionKey]] = {}
        self._totals = CrossTotals()
        self._ticks = 0
        self._changes = 0  # every change of the positions or their figures
        self._last: tuple[tuple[object, ...], AccountRisk] | None = None  # (what it was made from, snapshot)

    # --- changes -----------------------------------------------------------------------------------
    def set_wallet_balance(self, wallet_balance: float) -> None:
        self.wallet_balance = wallet_balance

    def upsert(self, pos: Position, mark: float | None = None) -> None:
        """Add or replace a position; ``mark`` defaults to the last known mark of its symbol."""
        key = pos.key
        self._changes += 1
        if mark is None:
            old = self._figures.get(key)
            mark = old.mark if old is not None else self._last_mark(pos.symbol, mark_of(pos))
        self.remove(key)
        fig = figures(self.rules, pos, mark)
        self._positions[key] = pos
        self._figures[key] = fig
        self._by_symbol.setdefault(pos.symbol, []).append(key)
        if pos.margin_mode is MarginMode.CROSS:
            self._totals.add(fig)

    def remove(self, key: PositionKey) -> bool:
        pos = self._positions.pop(key, None)
        if pos is None:
            return False
        self._changes += 1
        fig = self._figures.pop(key)
        keys = self._by_symbol[pos.symbol]
        keys.remove(key)
        if not keys:
            del self._by_symbol[pos.symbol]
        if pos.margin_mode is MarginMode.CROSS:
            self._totals.add(fig, -1)
        return True

    def on_mark(self, symbol: str, mark: float) -> bool:
        """Apply a mark tick; True when this account holds the symbol."""
        keys = self._by_symbol.get(symbol)
        if not keys:
            return False
        self._changes += 1
        for key in keys:
            pos = self._positions[key]
            new = figures(self.rules, pos, mark)
            if pos.margin_mode is MarginMode.CROSS:
                self._totals.add(self._figures[key], -1)
                self._totals.add(new)
            self._figures[key] = new
        self._ticks += 1
        if self._ticks % RESUM_EVERY == 0:
            self._totals = self._exact_totals()
        return True

    def _exact_totals(self) -> CrossTotals:
        return CrossTotals.of(self._figures[k] for k, p in self._positions.items()
                              if p.margin_mode is MarginMode.CROSS)

    def _last_mark(self, symbol: str, default: float) -> float:
        keys = self._by_symbol.get(symbol)
        return self._figures[keys[0]].mark if keys else default

    # --- reading -----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._positions)

    def get(self, key: PositionKey) -> Position | None:
        """One position by key, O(1) (frames look up the version they replace)."""
        return self._positions.get(key)

    def positions(self) -> tuple[Position, ...]:
        return tuple(self._positions.values())

    def mark(self, symbol: str) -> float | None:
        keys = self._by_symbol.get(symbol)
        return self._figures[keys[0]].mark if keys else None

    @property
    def margin_balance(self) -> float:
        """The cross margin balance (cross wallet + cross PnL): what the account's cross risk is measured on."""
        return self.wallet_balance + self._totals.unrealized_pnl

    @property
    def maintenance_margin(self) -> float:
        return self._totals.maintenance_margin

    @property
    def risk(self) -> float | None:
        """Normalized account risk (1.0 = liquidation) from the running sums: O(1)."""
        return self.rules.risk(self.margin_balance, self._totals.requirement)

    @property
    def margin_ratio(self) -> float | None:
        return self.rules.margin_ratio(self.margin_balance, self._totals.requirement)

    def snapshot(self, sigma_by_symbol: Mapping[str, float | None] | None = None) -> AccountRisk:
        """Full figures, liquidation prices included, from sums rebuilt exactly; changes nothing (but the copy
        kept of the last one). Numbers are compared by their repr, which tells -0.0 from 0.0 and 1 from 1.0."""
        rules = self.rules
        sigmas = repr(tuple(sigma_by_symbol.items())) if sigma_by_symbol else ""
        made_from = (self._changes, repr(self.wallet_balance), rules, repr(rules.taker_fee_rate), sigmas)
        last = self._last
        if last is not None and last[0] == made_from:
            return last[1]
        positions = tuple(self._positions.values())
        risk = assemble(rules, self.wallet_balance, positions, self._figures, self._exact_totals(),
                        sigma_by_symbol)
        self._last = (made_from, risk)
        return risk
