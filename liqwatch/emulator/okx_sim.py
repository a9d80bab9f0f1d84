"""The OKX accounts of a simulation, and what a step does to them (kept out of ``simulation``, which calls in).

Interest on borrowings accrues at each whole simulated hour, as OKX charges it hourly; ``interest_today``
resets at each simulated UTC midnight.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

from liqwatch.emulator.account_records import FundingApplied, Liquidation
from liqwatch.emulator.market import FundingSettlement, Market, SimMarket
from liqwatch.emulator.okx_account import OkxAccount, OkxPosition, okx_account
from liqwatch.emulator.scenario import Scenario


class OkxBook:
    def __init__(self, scenario: Scenario, market: Market, start_ms: int) -> None:
        self.spec = scenario.okx
        self.market = market
        self.accounts = {a.name: okx_account(a, self.spec, self.price_of, start_ms) for a in self.spec.accounts}
        self.by_key = {a.spec.api_key: a for a in self.accounts.values()}
        self._hour = math.floor(market.sim_time / 3600.0)

    @property
    def markets(self) -> dict[str, SimMarket]:
        return self.market.okx

    def price_of(self, ccy: str) -> float:
        """USD price of a currency: USDT 1, others their path's index."""
        if ccy == "USDT":
            return 1.0
        path = self.spec.currency(ccy).path
        return 1.0 if path is None else self.market.paths[path].price

    def _collateral_path(self, ccy: str) -> str | None:
        return self.spec.currency(ccy).path if ccy != "USDT" else None

    def _market_path(self, inst_id: str) -> str:
        return self.market.okx_specs[inst_id].path

    def liquidation_price(self, account: OkxAccount, p: OkxPosition) -> float | None:
        return account.liquidation_price(p, self.markets, self._collateral_path, self._market_path)

    def revoke_key(self, account: str) -> None:
        self.by_key = {k: a for k, a in self.by_key.items() if a.name != account}

    def settle(self, settlement: FundingSettlement, now: int, next_id: list[int]) -> list[FundingApplied]:
        out: list[FundingApplied] = []
        for account in self.accounts.values():
            out.extend(account.apply_funding(settlement, now, next_id))
        return out

    def after_step(self, now: int, sim_time: float) -> list[Liquidation]:
        hour = math.floor(sim_time / 3600.0)
        if hour > self._hour:
            day_changed = math.floor(hour / 24) > math.floor(self._hour / 24)
            for account in self.accounts.values():
                if day_changed:
                    account.interest_today.clear()
                account.accrue_interest(hour - self._hour)
            self._hour = hour
        out: list[Liquidation] = []
        for account in self.accounts.values():
            solve = partial(self.liquidation_price, account)
            out.extend(account.check_liquidations(self.markets, now, sim_time, solve))
        return out

    def views(self) -> list[dict[str, Any]]:
        """The OKX accounts in the emulator's state view (``GET /_emulator/state``)."""
        markets = self.markets
        return [
            {
                "exchange": "okx", "name": a.name, "api_key": a.spec.api_key, "mode": a.spec.mode,
                "balances": dict(a.balances), "liabilities": dict(a.liabilities), "interest": dict(a.interest),
                "adjusted_equity": a.adjusted_equity(markets), "margin_ratio": a.account_ratio(markets),
                "positions": [
                    {
                        "inst_id": p.inst_id, "contracts": p.pos, "ct_val": p.ct_val, "entry": p.entry,
                        "margin": "isolated" if p.isolated else "cross", "isolated_margin": p.isolated_margin,
                        "liquidation_price": self.liquidation_price(a, p),
                    }
                    for p in a.positions
                ],
            }
            for a in self.accounts.values()
        ]

    def liquidation_prices(self) -> dict[tuple[str, str, str], float | None]:
        return {
            (a.name, p.inst_id, "LONG" if p.pos > 0 else "SHORT"): self.liquidation_price(a, p)
            for a in self.accounts.values()
            for p in a.positions
        }
