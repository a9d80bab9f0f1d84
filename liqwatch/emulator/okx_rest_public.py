"""OKX v5's public REST under ``/api/v5/public`` and ``/api/v5/market``: time, instruments, marks, funding,
position tiers, discount-rate tiers and mark-price candles, numbers as strings as OKX prints them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from liqwatch.emulator.candles import HOUR_MS, MINUTE_MS, Candle
from liqwatch.emulator.fmt import precise_price, trimmed
from liqwatch.emulator.market import SimMarket
from liqwatch.emulator.okx_auth import fail, ok
from liqwatch.emulator.okx_scenario import OkxMarketSpec
from liqwatch.emulator.simulation import Simulation

Json = dict[str, Any]
_INST_TYPES = frozenset({"SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"})
_BARS = {"1m": MINUTE_MS, "1H": HOUR_MS}
#: OKX: "The maximum is 100" rows per mark-price-candles page.
MAX_CANDLES = 100


def px(value: float) -> str:
    return precise_price(value)


class OkxPublic:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def routes(self) -> list[web.RouteDef]:
        base = "/api/v5/public"
        return [
            web.get(f"{base}/time", self.time),
            web.get(f"{base}/instruments", self.instruments),
            web.get(f"{base}/mark-price", self.mark_price),
            web.get(f"{base}/funding-rate", self.funding_rate),
            web.get(f"{base}/position-tiers", self.position_tiers),
            web.get(f"{base}/discount-rate-interest-free-quota", self.discount_rates),
            web.get("/api/v5/market/mark-price-candles", self.mark_candles),
        ]

    @property
    def markets(self) -> dict[str, SimMarket]:
        return self.sim.market.okx

    def spec(self, inst_id: str) -> OkxMarketSpec:
        return self.sim.market.okx_specs[inst_id]

    async def time(self, request: web.Request) -> web.Response:
        return ok([{"ts": str(self.sim.now_ms())}])

    def instrument(self, m: OkxMarketSpec) -> Json:
        lever = max(r[3] for r in m.tier_rows())
        return {
            "alias": "", "baseCcy": "", "category": "1", "ctMult": "1", "ctType": "linear",
            "ctVal": trimmed(m.ct_val, 8).removesuffix(".0"), "ctValCcy": m.base_ccy, "expTime": "",
            "instFamily": f"{m.base_ccy}-USDT", "instId": m.inst_id, "instType": "SWAP", "lever": f"{lever:g}",
            "listTime": "1573557408000", "lotSz": f"{10 ** -m.lot_decimals:.{m.lot_decimals}f}",
            "maxIcebergSz": "100000000", "maxLmtAmt": "20000000", "maxLmtSz": "100000000",
            "maxMktAmt": "", "maxMktSz": "12000", "maxStopSz": "12000", "maxTriggerSz": "100000000",
            "maxTwapSz": "100000000", "minSz": f"{10 ** -m.lot_decimals:.{m.lot_decimals}f}", "optType": "",
            "quoteCcy": "", "ruleType": "normal", "settleCcy": "USDT", "state": "live", "stk": "",
            "tickSz": f"{10 ** -m.tick_decimals:.{m.tick_decimals}f}" if m.tick_decimals else "1",
            "uly": f"{m.base_ccy}-USDT",
        }

    async def instruments(self, request: web.Request) -> web.Response:
        kind = request.query.get("instType", "")
        if not kind:
            return fail("50014", "Parameter instType can not be empty.")
        if kind not in _INST_TYPES:
            return fail("51000", "Parameter instType error")
        if kind != "SWAP":
            return ok([])  # the emulator lists USDT-margined swaps only
        wanted = request.query.get("instId")
        rows = [self.instrument(m) for m in self.sim.market.okx_specs.values() if wanted in (None, m.inst_id)]
        return ok(rows)

    async def mark_price(self, request: web.Request) -> web.Response:
        # instType is documented as required, but OKX answers an instId alone (ccxt asks that way).
        kind = request.query.get("instType", "SWAP" if "instId" in request.query else "")
        if not kind:
            return fail("50014", "Parameter instType can not be empty.")
        if kind != "SWAP":
            return ok([])
        wanted = request.query.get("instId")
        now = str(self.sim.now_ms())
        return ok([{"instType": "SWAP", "instId": i, "markPx": px(m.mark), "ts": now}
                   for i, m in self.markets.items() if wanted in (None, i)])

    def funding_row(self, inst_id: str) -> Json:
        m = self.markets[inst_id]
        next_ms = self.sim.next_funding_ms(m)
        return {
            "formulaType": "noRate", "fundingRate": trimmed(m.funding_rate, 10),
            "fundingTime": str(next_ms), "impactValue": "", "instId": inst_id, "instType": "SWAP",
            "interestRate": "0", "maxFundingRate": "0.0075", "method": "current_period",
            "minFundingRate": "-0.0075", "nextFundingRate": "",
            "nextFundingTime": str(next_ms + round(m.interval_s * 1000)),
            "premium": trimmed((m.mark - m.index) / m.index if m.index else 0.0, 10),
            "settFundingRate": trimmed(m.last_settled_rate or 0.0, 10), "settState": "settled",
            "ts": str(self.sim.now_ms()),
        }

    async def funding_rate(self, request: web.Request) -> web.Response:
        inst_id = request.query.get("instId", "")
        if not inst_id:
            return fail("50014", "Parameter instId can not be empty.")
        if inst_id not in self.markets:
            return fail("51001", "Instrument ID does not exist.")
        return ok([self.funding_row(inst_id)])

    def tier_rows(self, m: OkxMarketSpec) -> list[Json]:
        out = []
        for i, (lo, hi, mmr, lev) in enumerate(m.tier_rows(), start=1):
            out.append({
                "baseMaxLoan": "", "imr": trimmed(1.0 / lev, 8), "instFamily": f"{m.base_ccy}-USDT", "instId": "",
                "maxLever": f"{lev:g}", "maxSz": f"{hi:g}" if hi != float("inf") else "",
                "minSz": f"{lo:g}" if i == 1 else f"{lo + 10 ** -m.lot_decimals:g}", "mmr": trimmed(mmr, 8),
                "optMgnFactor": "0", "quoteMaxLoan": "", "tier": str(i), "uly": f"{m.base_ccy}-USDT",
            })
        return out

    async def position_tiers(self, request: web.Request) -> web.Response:
        if request.query.get("instType") != "SWAP":
            return fail("50014", "Parameter instType can not be empty.") if "instType" not in request.query \
                else ok([])
        if not request.query.get("tdMode"):
            return fail("50014", "Parameter tdMode can not be empty.")
        family = request.query.get("instFamily") or request.query.get("uly")
        if not family:
            return fail("50014", "Parameter instFamily can not be empty.")
        rows: list[Json] = []
        for fam in family.split(","):
            for m in self.sim.market.okx_specs.values():
                if f"{m.base_ccy}-USDT" == fam:
                    rows.extend(self.tier_rows(m))
        return ok(rows)

    def discount_row(self, ccy: str) -> Json:
        c = self.sim.scenario.okx.currency(ccy)
        tiers = sorted(c.discount, key=lambda t: t.floor_usd)
        details = []
        for i, t in enumerate(tiers, start=1):
            cap = tiers[i].floor_usd if i < len(tiers) else None
            details.append({"discountRate": trimmed(t.rate, 4), "liqPenaltyRate": "0.02",
                            "maxAmt": f"{cap:g}" if cap is not None else "", "minAmt": f"{t.floor_usd:g}",
                            "tier": str(i), "disCcyEq": ""})
        return {"amt": "0", "ccy": ccy, "collateralRestrict": False, "details": details, "discountLv": "",
                "minDiscountRate": trimmed(min(t.rate for t in tiers), 4)}

    async def discount_rates(self, request: web.Request) -> web.Response:
        wanted = request.query.get("ccy")
        return ok([self.discount_row(c.ccy) for c in self.sim.scenario.okx.currencies if wanted in (None, c.ccy)])

    async def mark_candles(self, request: web.Request) -> web.Response:
        """[ts, o, h, l, c, confirm] newest first, as OKX pages them (``after``: older than, ``before``: newer)."""
        inst_id = request.query.get("instId", "")
        if not inst_id:
            return fail("50014", "Parameter instId can not be empty.")
        market = self.markets.get(inst_id)
        if market is None:
            return fail("51001", "Instrument ID does not exist.")
        bar = request.query.get("bar", "1m")
        if bar not in _BARS:
            return fail("51000", "Parameter bar error")
        try:
            limit = min(int(request.query.get("limit", "100")), MAX_CANDLES)
            after = int(request.query["after"]) if "after" in request.query else None
            before = int(request.query["before"]) if "before" in request.query else None
        except ValueError:
            return fail("51000", "Parameter limit error")
        bar_ms = _BARS[bar]
        series = self.sim.candles.series(market, bar_ms)
        # "after": older than it, "before": newer than it (millisecond integers, so the bounds are one in).
        rows = series.newest_first(None if before is None else before + 1, None if after is None else after - 1,
                                   limit)
        prices = series.formatted(rows, "okx", _candle_prices)
        now = self.sim.now_ms()
        return ok([[*five, "1" if c.open_ms + bar_ms <= now else "0"] for five, c in zip(prices, rows, strict=True)])


def _candle_prices(c: Candle) -> tuple[str, str, str, str, str]:
    """A candle's row without its "confirm" flag, which depends on the time of the request."""
    return str(c.open_ms), precise_price(c.open), precise_price(c.high), precise_price(c.low), precise_price(c.close)
