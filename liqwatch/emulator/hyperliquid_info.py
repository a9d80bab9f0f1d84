"""Hyperliquid's ``POST /info`` with the shapes and string-encoded numbers the exchange sends."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from liqwatch.emulator.accounts import HlPosition, HyperliquidAccount
from liqwatch.emulator.candles import INTERVALS_MS, Candle
from liqwatch.emulator.fmt import hl_px, precise_price, trimmed
from liqwatch.emulator.hyperliquid_fills import user_fills
from liqwatch.emulator.position_faults import PositionFaults
from liqwatch.emulator.simulation import Simulation

Json = dict[str, Any]
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_USDC_TOKEN_ID = "0x6d1e7cde53ba9467b783cb7c530ce054"
_DESERIALIZE = "Failed to deserialize the JSON body into the target type"
# Hyperliquid's info docs: "Only the most recent 5000 candles are available" for candleSnapshot.
MAX_CANDLES = 5000
#: Hyperliquid's base-tier perpetual fees (tier 0, no discount): taker ("cross") 0.045 %, maker ("add") 0.015 %.
TAKER_RATE = "0.00045"
MAKER_RATE = "0.00015"


class HyperliquidInfo:
    def __init__(self, sim: Simulation, position_faults: PositionFaults | None = None) -> None:
        self.sim = sim
        self.position_faults = position_faults or PositionFaults()
        self._table_ids: dict[str, int] = {}
        for i, (coin, spec) in enumerate(sim.market.hyperliquid_specs.items()):
            # Hyperliquid: margin table ids below 50 mean one tier at that leverage; tiered tables get ids above.
            self._table_ids[coin] = spec.max_leverage if len(spec.tier_pairs()) == 1 else 50 + i

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/info", self.info)]

    async def info(self, request: web.Request) -> web.StreamResponse:
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return web.Response(status=422, text=f"{_DESERIALIZE}: expected value at line 1 column 1")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return web.Response(status=422, text=f"{_DESERIALIZE}: missing field `type`")
        kind = body["type"]
        handlers: dict[str, Callable[[], object]] = {
            "meta": lambda: self.meta(),
            "metaAndAssetCtxs": lambda: [self.meta(), self.asset_ctxs()],
            "spotMeta": lambda: self.spot_meta(),
            "spotMetaAndAssetCtxs": lambda: [self.spot_meta(), []],
            "perpDexs": lambda: [None],
            "allMids": lambda: self.all_mids(),
            "exchangeStatus": lambda: {"specialStatuses": None, "time": self.sim.now_ms()},
            "predictedFundings": lambda: self.predicted_fundings(),
        }
        if kind == "candleSnapshot":
            return self.candle_snapshot(body.get("req"))
        handler = handlers.get(kind)
        if handler is not None:
            return web.json_response(handler(), dumps=_dumps)
        if kind in ("clearinghouseState", "userFunding", "spotClearinghouseState", "userAbstraction", "userFills",
                    "userFillsByTime", "userFees"):
            user = body.get("user")
            if not isinstance(user, str) or not _ADDRESS.match(user):
                return web.Response(status=422, text=f"{_DESERIALIZE}: invalid user address")
            account = self.sim.hl_accounts.get(user.lower())
            if kind == "clearinghouseState":
                return web.json_response(self.clearinghouse_state(account), dumps=_dumps)
            if kind == "spotClearinghouseState":
                return web.json_response({"balances": []}, dumps=_dumps)
            if kind == "userAbstraction":
                return web.json_response("default", dumps=_dumps)
            if kind == "userFees":
                return web.json_response(user_fees(), dumps=_dumps)
            if kind == "userFills":
                return web.json_response(user_fills(self.sim, account), dumps=_dumps)
            start = body.get("startTime", 0)
            end = body.get("endTime")
            if not isinstance(start, int) or (end is not None and not isinstance(end, int)):
                return web.Response(status=422, text=f"{_DESERIALIZE}: invalid startTime/endTime")
            if kind == "userFillsByTime":
                return web.json_response(user_fills(self.sim, account, start, end), dumps=_dumps)
            return web.json_response(self.user_funding(account, start, end), dumps=_dumps)
        return web.Response(status=422, text=f"{_DESERIALIZE}: unknown variant `{kind}`")

    # --- market -----------------------------------------------------------------------------------------
    def meta(self) -> Json:
        universe = []
        tables = []
        for coin, spec in self.sim.market.hyperliquid_specs.items():
            entry: Json = {
                "szDecimals": spec.sz_decimals,
                "name": coin,
                "maxLeverage": spec.max_leverage,
                "marginTableId": self._table_ids[coin],
            }
            if spec.only_isolated:
                entry["onlyIsolated"] = True
            universe.append(entry)
            tiers = [{"lowerBound": trimmed(low, 1), "maxLeverage": int(lev)} for low, lev in spec.tier_pairs()]
            tables.append([self._table_ids[coin], {"description": "", "marginTiers": tiers}])
        return {"universe": universe, "marginTables": tables}

    def px(self, coin: str, value: float) -> str:
        return hl_px(value, 6 - self.sim.market.hyperliquid_specs[coin].sz_decimals)

    def asset_ctx(self, coin: str) -> Json:
        m = self.sim.hl_markets[coin]
        start = m.path.spec.start
        return {
            "funding": trimmed(m.funding_rate, 10),
            "openInterest": "10764.48",
            "prevDayPx": self.px(coin, start),
            "dayNtlVlm": "94505882.2273",
            "premium": trimmed(m.premium, 8),
            "oraclePx": self.px(coin, m.index),
            "markPx": self.px(coin, m.mark),
            "midPx": self.px(coin, m.mark),
            "impactPxs": [self.px(coin, m.mark * 0.9999), self.px(coin, m.mark * 1.0001)],
            "dayBaseVlm": "1234.5",
        }

    def predicted_fundings(self) -> list[Any]:
        # Hyperliquid's own venue only; nextFundingTime is when the next simulated hour falls on the wall
        # clock at the current speed, as the settlement will be stamped.
        return [
            [coin, [["HlPerp", {"fundingRate": trimmed(m.funding_rate, 10),
                                "nextFundingTime": self.sim.next_funding_ms(m), "fundingIntervalHours": 1}]]]
            for coin, m in self.sim.hl_markets.items()
        ]

    def asset_ctxs(self) -> list[Json]:
        return [self.asset_ctx(coin) for coin in self.sim.hl_markets]

    def all_mids(self) -> dict[str, str]:
        return {coin: self.px(coin, m.mark) for coin, m in self.sim.hl_markets.items()}

    def candle_snapshot(self, req: Any) -> web.StreamResponse:
        """{"type": "candleSnapshot", "req": {"coin", "interval", "startTime", "endTime"?}} -> candles
        {t, T, s, i, o, c, h, l, v, n} oldest first, of the most recent 5000 only. Hyperliquid's candles are
        of trades; the emulator has no trades and serves its marks (volume "0.0"). Intervals 1m and 1h."""
        if not isinstance(req, dict):
            return web.Response(status=422, text=f"{_DESERIALIZE}: missing field `req`")
        coin, interval = req.get("coin"), req.get("interval")
        start, end = req.get("startTime"), req.get("endTime")
        if not isinstance(interval, str) or interval not in INTERVALS_MS:
            return web.Response(status=422, text=f"{_DESERIALIZE}: unknown variant `{interval}`")
        if not isinstance(start, int) or (end is not None and not isinstance(end, int)):
            return web.Response(status=422, text=f"{_DESERIALIZE}: invalid startTime/endTime")
        market = self.sim.hl_markets.get(coin) if isinstance(coin, str) else None
        if market is None or not isinstance(coin, str):
            return web.json_response([], dumps=_dumps)  # Hyperliquid answers an unknown coin with no candles
        interval_ms = INTERVALS_MS[interval]
        series = self.sim.candles.series(market, interval_ms)
        decimals = 6 - self.sim.market.hyperliquid_specs[coin].sz_decimals

        def row(c: Candle) -> Json:
            return {"t": c.open_ms, "T": c.open_ms + interval_ms - 1, "s": coin, "i": interval,
                    "o": hl_px(c.open, decimals), "c": hl_px(c.close, decimals), "h": hl_px(c.high, decimals),
                    "l": hl_px(c.low, decimals), "v": "0.0", "n": c.count}

        # The compact JSON of the list, from each row's own (orjson joins a list's items with a bare comma), so
        # that a history row is encoded once, not on every request.
        texts = series.formatted(series.between(start, end, newest=MAX_CANDLES), "hyperliquid-json",
                                 lambda c: _dumps(row(c)))
        return web.Response(text="[" + ",".join(texts) + "]", content_type="application/json")

    @staticmethod
    def spot_meta() -> Json:
        usdc = {
            "name": "USDC",
            "szDecimals": 8,
            "weiDecimals": 8,
            "index": 0,
            "tokenId": _USDC_TOKEN_ID,
            "isCanonical": True,
            "evmContract": None,
            "fullName": None,
        }
        return {"universe": [], "tokens": [usdc]}

    # --- accounts ---------------------------------------------------------------------------------------
    def _position(self, account: HyperliquidAccount, p: HlPosition) -> Json:
        markets = self.sim.hl_markets
        m = markets[p.coin]
        spec = self.sim.market.hyperliquid_specs[p.coin]
        upnl = account.upnl(p, m.mark)
        value = abs(p.szi) * m.mark
        if p.isolated:
            margin_used = p.isolated_margin + upnl
            leverage: Json = {
                "type": "isolated",
                "value": p.leverage,
                "rawUsd": trimmed(p.isolated_margin - p.szi * p.entry, 6),
            }
        else:
            margin_used = value / p.leverage
            leverage = {"type": "cross", "value": p.leverage}
        liq = account.liquidation_price(p, markets)
        initial = abs(p.szi) * p.entry / p.leverage
        return {
            "type": "oneWay",
            "position": {
                "coin": p.coin,
                "szi": trimmed(p.szi, spec.sz_decimals),
                "leverage": leverage,
                "entryPx": trimmed(self.position_faults.entry("hyperliquid", p.coin, p.entry), 6),
                "positionValue": trimmed(value, 6),
                "unrealizedPnl": trimmed(upnl, 6),
                "returnOnEquity": trimmed(upnl / initial if initial else 0.0, 8),
                "liquidationPx": precise_price(liq) if liq is not None else None,
                "marginUsed": trimmed(margin_used, 6),
                "maxLeverage": spec.max_leverage,
                "cumFunding": {
                    "allTime": trimmed(p.cum_all, 6),
                    "sinceOpen": trimmed(p.cum_open, 6),
                    "sinceChange": trimmed(p.cum_change, 6),
                },
            },
        }

    def clearinghouse_state(self, account: HyperliquidAccount | None) -> Json:
        now = self.sim.now_ms()
        if account is None:
            # Hyperliquid answers unknown addresses with an empty account, not an error.
            zero = {"accountValue": "0.0", "totalNtlPos": "0.0", "totalRawUsd": "0.0", "totalMarginUsed": "0.0"}
            return {
                "marginSummary": zero,
                "crossMarginSummary": dict(zero),
                "crossMaintenanceMarginUsed": "0.0",
                "withdrawable": "0.0",
                "assetPositions": [],
                "time": now,
            }
        markets = self.sim.hl_markets
        cross = [p for p in account.positions if not p.isolated]
        isolated = [p for p in account.positions if p.isolated]
        value_c = account.cross_value(markets)
        ntl_c = sum(abs(p.szi) * markets[p.coin].mark for p in cross)
        raw_c = account.balance - sum(p.szi * p.entry for p in cross)
        used_c = sum(abs(p.szi) * markets[p.coin].mark / p.leverage for p in cross)
        value_i = sum(account.isolated_value(p, markets) for p in isolated)
        ntl_i = sum(abs(p.szi) * markets[p.coin].mark for p in isolated)
        raw_i = sum(p.isolated_margin - p.szi * p.entry for p in isolated)
        return {
            "marginSummary": {
                "accountValue": trimmed(value_c + value_i, 6),
                "totalNtlPos": trimmed(ntl_c + ntl_i, 6),
                "totalRawUsd": trimmed(raw_c + raw_i, 6),
                "totalMarginUsed": trimmed(used_c + value_i, 6),
            },
            "crossMarginSummary": {
                "accountValue": trimmed(value_c, 6),
                "totalNtlPos": trimmed(ntl_c, 6),
                "totalRawUsd": trimmed(raw_c, 6),
                "totalMarginUsed": trimmed(used_c, 6),
            },
            "crossMaintenanceMarginUsed": trimmed(account.cross_mm(markets), 6),
            "withdrawable": trimmed(max(0.0, value_c - used_c), 6),
            "assetPositions": [self._position(account, p) for p in account.positions],
            "time": now,
        }

    def user_funding(self, account: HyperliquidAccount | None, start: int, end: int | None) -> list[Json]:
        if account is None:
            return []
        return [
            {
                "time": f.time_ms,
                "hash": f.hash,
                "delta": {
                    "type": "funding",
                    "coin": f.coin,
                    "usdc": trimmed(f.usdc, 6),
                    "szi": trimmed(f.szi, 8),
                    "fundingRate": trimmed(f.rate, 10),
                    "nSamples": None,
                },
            }
            for f in account.fundings
            if f.time_ms >= start and (end is None or f.time_ms <= end)
        ]


def _dumps(obj: object) -> str:
    return orjson.dumps(obj).decode()


def user_fees() -> Json:
    """``userFees`` as Hyperliquid answers it for an account of the base tier without discounts (every
    simulated account: no volume of its own). Only ``userCrossRate`` is read by liqwatch."""
    return {
        "dailyUserVlm": [],
        "feeSchedule": {"cross": TAKER_RATE, "add": MAKER_RATE, "spotCross": "0.0007", "spotAdd": "0.0004",
                        "tiers": {"vip": [], "mm": []}, "referralDiscount": "0.04", "stakingDiscountTiers": []},
        "userCrossRate": TAKER_RATE,
        "userAddRate": MAKER_RATE,
        "userSpotCrossRate": "0.0007",
        "userSpotAddRate": "0.0004",
        "activeReferralDiscount": "0.0",
        "trial": None,
        "feeTrialReward": "0.0",
        "nextTrialAvailableTimestamp": None,
        "stakingLink": None,
        "activeStakingDiscount": {"bpsOfMaxSupply": "0.0", "discount": "0.0"},
    }
