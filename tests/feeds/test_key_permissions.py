"""Issue 10: each Binance key's permissions are read at start (GET /sapi/v1/account/apiRestrictions, served by
the emulator per account). A key that can withdraw is refused, always; one that can trade or transfer is
refused unless ``allow_trading_key``, and then carries a standing warning; a key without an IP restriction is
warned about. A refused account is not watched, the others are, and ``check`` would exit 3."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from liqwatch.commands.snapshot_output import snapshot_json, snapshot_text
from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.emulator.scenario import Scenario
from liqwatch.feed_channel import ChannelState
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.key_permissions import binance_key_verdict
from liqwatch.feeds.wire import WireError
from tests.feeds.harness import eventually, running

# Binance's "Get API Key Permission" response example (Wallet docs), as documented: a read-only key.
DOC_EXAMPLE = {
    "ipRestrict": False, "createTime": 1698645219000, "enableReading": True, "enableWithdrawals": False,
    "enableInternalTransfer": False, "enableMargin": False, "enableFutures": False,
    "permitsUniversalTransfer": False, "enableVanillaOptions": False, "enableFixApiTrade": False,
    "enableFixReadOnly": True, "enableSpotAndMarginTrading": False, "enablePortfolioMarginTrading": False,
}


def scenario_with(**perms: dict[str, Any]) -> Scenario:
    sc = demo_scenario()
    accounts = tuple(a.model_copy(update=perms.get(a.name.replace("-", "_"), {})) for a in sc.binance.accounts)
    return sc.model_copy(update={"binance": sc.binance.model_copy(update={"accounts": accounts})})


def test_the_verdict_of_each_permission() -> None:
    ok = binance_key_verdict({**DOC_EXAMPLE, "ipRestrict": True}, allow_trading_key=False)
    assert ok.refused is None and ok.warnings == ()
    assert "no IP restriction" in binance_key_verdict(DOC_EXAMPLE, False).warnings[0]
    withdraw = binance_key_verdict({**DOC_EXAMPLE, "enableWithdrawals": True}, allow_trading_key=True)
    assert withdraw.refused is not None and "enableWithdrawals" in withdraw.refused
    for flag in ("enableFutures", "enableSpotAndMarginTrading", "enableInternalTransfer",
                 "permitsUniversalTransfer"):
        refused = binance_key_verdict({**DOC_EXAMPLE, "ipRestrict": True, flag: True}, False).refused
        assert refused is not None and flag in refused and "allow_trading_key = true" in refused
        assert "Enable Reading" in refused  # how to make a read-only key
        allowed = binance_key_verdict({**DOC_EXAMPLE, "ipRestrict": True, flag: True}, True)
        assert allowed.refused is None and flag in allowed.warnings[0]
    with pytest.raises(WireError, match="enableFutures"):
        binance_key_verdict({**DOC_EXAMPLE, "enableFutures": "no"}, False)
    with pytest.raises(WireError, match="ipRestrict"):
        binance_key_verdict({k: v for k, v in DOC_EXAMPLE.items() if k != "ipRestrict"}, False)


async def test_keys_that_can_do_more_than_read_are_refused_at_start_and_the_others_watched() -> None:
    sc = scenario_with(binance_main={"enable_withdrawals": True},
                       binance_degen={"enable_futures": True},
                       binance_hedge={"enable_futures": True, "permits_universal_transfer": True,
                                      "ip_restrict": False})

    def accounts(emu: EmulatorServer) -> list[FeedAccount]:
        accs = scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url)
        # allow_trading_key never lets a key that can withdraw through; it does let the hedge account's.
        return [replace(a, allow_trading_key=a.name in ("binance-main", "binance-hedge")) for a in accs]

    async with running(only=("binance-main", "binance-hedge", "binance-degen", "hl-whale"), scenario=sc,
                       accounts=accounts) as env:
        store = env.monitor.store
        await eventually(lambda: all(c.state is ChannelState.LIVE for name in ("binance-hedge", "hl-whale")
                                     for c in store.channels(name)), 15, "the accepted accounts LIVE")
        snap = store.snapshot()
        main, degen, hedge = (snap.account(n) for n in ("binance-main", "binance-degen", "binance-hedge"))
        assert main.disabled_reason is not None and "enableWithdrawals" in main.disabled_reason
        assert degen.disabled_reason is not None and "enableFutures" in degen.disabled_reason
        assert "allow_trading_key = true" in degen.disabled_reason and "Enable Reading" in degen.disabled_reason
        assert not any(c.state is ChannelState.LIVE for n in ("binance-main", "binance-degen")
                       for c in store.channels(n))
        assert snap.status.exit_code == 3  # what `liqwatch check` exits with
        assert hedge.disabled_reason is None and hedge.positions  # watched...
        assert any("enableFutures" in w and "permitsUniversalTransfer" in w for w in hedge.warnings)  # ...warned
        assert any("no IP restriction" in w for w in hedge.warnings)
        js = {a["name"]: a for a in snapshot_json(snap)["accounts"]}
        assert len(js["binance-hedge"]["warnings"]) == 2 and "warnings" not in js["hl-whale"]
        assert "warning: the API key has no IP restriction" in snapshot_text(snap)
        assert any("binance-hedge: the API key can" in i for i in snap.incidents)  # a warning alert


async def test_the_demo_keys_are_read_only() -> None:
    async with running(only=("binance-main",)) as env:
        assert await env.monitor.wait_live(15)
        assert env.monitor.store.snapshot().account("binance-main").warnings == ()


def test_fix_trading_unknown_and_missing_flags_are_not_read_only() -> None:
    ro = {**DOC_EXAMPLE, "ipRestrict": True}
    fix = binance_key_verdict({**ro, "enableFixApiTrade": True}, False).refused
    assert fix is not None and "enableFixApiTrade" in fix and "FIX" in fix
    assert binance_key_verdict({**ro, "enableFixReadOnly": True}, False) == binance_key_verdict(ro, False)
    # A permission Binance adds later: granted, it is judged as more than reading (refused, or warned).
    new = binance_key_verdict({**ro, "enableCopyTrading": True}, False).refused
    assert new is not None and "enableCopyTrading" in new and "does not know" in new
    assert "enableCopyTrading" in binance_key_verdict({**ro, "enableCopyTrading": True}, True).warnings[0]
    assert binance_key_verdict({**ro, "enableCopyTrading": False}, False).refused is None
    with pytest.raises(WireError, match="permitsCopy"):
        binance_key_verdict({**ro, "permitsCopy": "yes"}, False)
    # Without the withdrawal flag nothing can be judged, whatever allow_trading_key says.
    for allow in (False, True):
        with pytest.raises(WireError, match="enableWithdrawals"):
            binance_key_verdict({k: v for k, v in ro.items() if k != "enableWithdrawals"}, allow)
    # A trading flag not sent: not known to be read-only, so refused; with allow_trading_key, warned.
    partial = {k: v for k, v in ro.items() if k != "enableFutures"}
    refused = binance_key_verdict(partial, False).refused
    assert refused is not None and "cannot be verified" in refused and "enableFutures" in refused
    allowed = binance_key_verdict(partial, True)
    assert allowed.refused is None and "enableFutures" in allowed.warnings[0]
