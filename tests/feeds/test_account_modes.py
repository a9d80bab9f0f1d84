"""Account modes liqwatch does not model are never "ok": the pure decisions on the exchanges' documented
payloads, and Binance's Multi-Assets and Portfolio Margin accounts end to end against the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from liqwatch.emulator import demo_scenario
from liqwatch.emulator.scenario import Scenario
from liqwatch.feed_channel import ChannelState
from liqwatch.feeds.account_modes import (
    binance_multi_assets_mode,
    binance_portfolio_margin,
    bybit_account_mode,
    okx_account_mode,
)
from liqwatch.feeds.binance import READ_ONLY
from liqwatch.feeds.rest import ForbiddenEndpoint
from liqwatch.feeds.wire import WireError
from liqwatch.status import Status
from tests.feeds.harness import eventually, running

# --- documented payloads ---------------------------------------------------------------------------------
# Binance GET /fapi/v1/multiAssetsMargin, "Get Current Multi-Assets Mode (USER_DATA)" response example.
BINANCE_MULTI_ASSETS = {"multiAssetsMargin": True}
# Binance GET /sapi/v1/account/apiRestrictions, "Get API Key Permission" response example (Wallet docs).
BINANCE_API_RESTRICTIONS = {
    "ipRestrict": False, "createTime": 1698645219000, "enableInternalTransfer": False, "enableFutures": False,
    "enablePortfolioMarginTrading": True, "enableVanillaOptions": False, "permitsUniversalTransfer": False,
    "enableReading": True, "enableSpotAndMarginTrading": False, "enableWithdrawals": False, "enableMargin": False,
}
# Bybit GET /v5/account/info response example (v5 docs, Account > Get Account Info).
BYBIT_ACCOUNT_INFO: dict[str, Any] = {
    "retCode": 0, "retMsg": "OK",
    "result": {"marginMode": "REGULAR_MARGIN", "updatedTime": "1697078946000", "unifiedMarginStatus": 4,
               "dcpStatus": "OFF", "timeWindow": 10, "smpGroup": 0, "isMasterTrader": False,
               "spotHedgingStatus": "OFF"},
    "retExtInfo": {}, "time": 1697078946000,
}
# OKX GET /api/v5/account/config response example (v5 docs, Trading Account > Get account configuration).
OKX_ACCOUNT_CONFIG: dict[str, Any] = {
    "code": "0", "msg": "",
    "data": [{"acctLv": "2", "autoLoan": False, "ctIsoMode": "automatic", "greeksType": "PA", "level": "Lv1",
              "levelTmp": "", "mgnIsoMode": "automatic", "posMode": "long_short_mode", "spotOffsetType": "",
              "uid": "44705892343619584", "label": "V5 Test", "roleType": "0", "traderInsts": [],
              "spotRoleType": "0", "spotTraderInsts": [], "opAuth": "0", "kycLv": "3", "ip": "",
              "perm": "read_only", "mainUid": "44705892343619584"}],
}


def with_result(**fields: object) -> dict[str, Any]:
    return {**BYBIT_ACCOUNT_INFO, "result": {**BYBIT_ACCOUNT_INFO["result"], **fields}}


def with_level(level: str) -> dict[str, Any]:
    return {**OKX_ACCOUNT_CONFIG, "data": [{**OKX_ACCOUNT_CONFIG["data"][0], "acctLv": level}]}


def test_binance_multi_assets_and_portfolio_margin_are_not_modelled() -> None:
    assert "Multi-Assets" in (binance_multi_assets_mode(BINANCE_MULTI_ASSETS) or "")
    assert binance_multi_assets_mode({"multiAssetsMargin": False}) is None
    assert "Portfolio Margin" in (binance_portfolio_margin(BINANCE_API_RESTRICTIONS) or "")
    assert binance_portfolio_margin({**BINANCE_API_RESTRICTIONS, "enablePortfolioMarginTrading": False}) is None
    with pytest.raises(WireError, match="multiAssetsMargin"):
        binance_multi_assets_mode({"multiAssetsMargin": "true"})  # an unreadable answer is never "modelled"


def test_bybit_unified_regular_and_isolated_margin_are_modelled_classic_and_portfolio_margin_are_not() -> None:
    assert bybit_account_mode(BYBIT_ACCOUNT_INFO) is None
    for status in (3, 5, 6):
        assert bybit_account_mode(with_result(unifiedMarginStatus=status)) is None
    assert bybit_account_mode(with_result(marginMode="ISOLATED_MARGIN")) is None
    assert "classic" in (bybit_account_mode(with_result(unifiedMarginStatus=1)) or "")
    assert "portfolio margin" in (bybit_account_mode(with_result(marginMode="PORTFOLIO_MARGIN")) or "")
    assert "unknown" in (bybit_account_mode(with_result(unifiedMarginStatus=9)) or "")
    with pytest.raises(WireError, match="unifiedMarginStatus"):
        bybit_account_mode({"retCode": 0, "result": {}})


def test_okx_single_and_multi_currency_margin_are_modelled_portfolio_margin_is_not() -> None:
    assert okx_account_mode(OKX_ACCOUNT_CONFIG) is None
    assert okx_account_mode(with_level("3")) is None
    assert "portfolio margin" in (okx_account_mode(with_level("4")) or "")
    assert "'7'" in (okx_account_mode(with_level("7")) or "")
    with pytest.raises(WireError, match="acctLv"):
        okx_account_mode({"code": "0", "data": []})


def test_the_mode_endpoints_are_on_the_read_only_allowlist_and_changing_the_mode_is_not() -> None:
    READ_ONLY.check("GET", "/fapi/v1/multiAssetsMargin")
    READ_ONLY.check("GET", "/sapi/v1/account/apiRestrictions")
    with pytest.raises(ForbiddenEndpoint):
        READ_ONLY.check("POST", "/fapi/v1/multiAssetsMargin")  # POST switches Multi-Assets mode on or off


# --- Binance, end to end -----------------------------------------------------------------------------------
def demo_with(account: str, **flags: bool) -> Scenario:
    sc = demo_scenario()
    accounts = tuple(a.model_copy(update=flags) if a.name == account else a for a in sc.binance.accounts)
    return sc.model_copy(update={"binance": sc.binance.model_copy(update={"accounts": accounts})})


async def test_a_binance_multi_assets_account_reads_mode_not_modelled_and_stale_never_ok() -> None:
    scenario = demo_with("binance-main", multi_assets_margin=True)
    async with running(only=("binance-main", "binance-degen"), scenario=scenario) as env:
        store = env.monitor.store
        await eventually(lambda: store.snapshot().account("binance-main").mode_not_modelled is not None, 15,
                         "binance-main read as mode not modelled")
        await eventually(lambda: all(ch.state is ChannelState.LIVE for ch in store.channels("binance-main")), 15,
                         "its feeds LIVE (the positions stay watched)")
        a = store.snapshot().account("binance-main")
        assert "Multi-Assets" in (a.mode_not_modelled or "")
        assert a.status is Status.STALE and a.risk is None and a.positions == ()  # no figure under wrong rules
        assert {u.symbol for u in a.unevaluated} == {"BTC/USDT:USDT", "ETH/USDT:USDT"}
        assert all(u.reason.startswith("mode not modelled") for u in a.unevaluated)
        other = store.snapshot().account("binance-degen")
        await eventually(lambda: store.snapshot().account("binance-degen").risk is not None, 15, "degen evaluated")
        assert other.mode_not_modelled is None


async def test_a_binance_portfolio_margin_account_reads_mode_not_modelled_not_an_authentication_failure() -> None:
    scenario = demo_with("binance-main", portfolio_margin=True)
    async with running(only=("binance-main", "binance-degen"), scenario=scenario) as env:
        store = env.monitor.store
        await eventually(lambda: store.snapshot().account("binance-main").mode_not_modelled is not None, 15,
                         "binance-main read as mode not modelled")
        a = store.snapshot().account("binance-main")
        assert "Portfolio Margin" in (a.mode_not_modelled or "")
        assert a.disabled_reason is None and a.status is Status.STALE and a.risk is None
        # Nothing to wait for on it: the other account's feeds alone make the monitor live.
        await eventually(env.monitor.store.all_live, 15, "the monitor live")
        assert store.snapshot().account("binance-degen").risk is not None
