"""One account's live positions with its cross aggregates kept up to date incrementally.

A mark tick touches only the positions of that symbol (one, or two hedge legs): their figures are
recomputed and the account sums adjusted by the difference, so a tick costs O(1) in the number of
positions. Liquidation prices depend on every other position and are computed only when a snapshot is
taken (a few times a second), from sums rebuilt exactly; the running sums themselves are rebuilt every
``RESUM_EVERY`` ticks, on the write side, so that rounding never accumulates (reading changes nothing).
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

    # --- changes -----------------------------------------------------------------------------------
    def set_wallet_balance(self, wallet_balance: float) -> None:
        self.wallet_balance = wallet_balance

    def upsert(self, pos: Position, mark: float | None = None) -> None:
        """Add or replace a position; ``mark`` defaults to the last known mark of its symbol."""
        key = pos.key
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
        """Full figures, liquidation prices included, from sums rebuilt exactly; changes nothing."""
        positions = tuple(self._positions.values())
        return assemble(self.rules, self.wallet_balance, positions, self._figures, self._exact_totals(),
                        sigma_by_symbol)
