"""Review of issue 10, key permissions at start, as a hostile (or merely newer) exchange would answer
``GET /sapi/v1/account/apiRestrictions``: over real sockets, the emulator's answer rewritten by a relay.

A key whose permissions are not all known to be read-only must never be taken for a read-only one (the
verdict's own rule): a flag that lets the key trade which liqwatch does not know of, or an answer without the
withdrawal flag, is not a read-only key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from liqwatch.feed_channel import ChannelState
from tests.feeds.harness import eventually
from tests.review.rest_relay import rewritten

MAIN = ("binance-main",)
PATH = "/sapi/v1/account/apiRestrictions"
# Binance's "Get API Key Permission" answer (Wallet docs) for a read-only key restricted to an IP.
READ_ONLY_KEY: dict[str, Any] = {
    "ipRestrict": True, "createTime": 1698645219000, "enableReading": True, "enableWithdrawals": False,
    "enableInternalTransfer": False, "enableMargin": False, "enableFutures": False,
    "permitsUniversalTransfer": False, "enableVanillaOptions": False, "enableFixApiTrade": False,
    "enableFixReadOnly": True, "enableSpotAndMarginTrading": False, "enablePortfolioMarginTrading": False,
}


def answer(payload: dict[str, Any]) -> Callable[[str, bytes], bytes]:
    def rewrite(path: str, body: bytes) -> bytes:
        return orjson.dumps(payload) if path == PATH else body

    return rewrite


async def _verdict(payload: dict[str, Any]) -> tuple[str | None, tuple[str, ...], bool]:
    """(disabled reason, standing warnings, LIVE) of binance-main once it is either watched or refused."""
    async with rewritten(MAIN, answer(payload)) as env:
        store = env.monitor.store

        def settled() -> bool:
            acc = store.snapshot().account("binance-main")
            live = all(c.state is ChannelState.LIVE for c in store.channels("binance-main"))
            return acc.disabled_reason is not None or live

        await eventually(settled, 20, "binance-main watched or refused")
        acc = store.snapshot().account("binance-main")
        live = all(c.state is ChannelState.LIVE for c in store.channels("binance-main"))
        return acc.disabled_reason, acc.warnings, live


async def test_the_unmodified_answer_is_a_read_only_key() -> None:
    """Control: the documented read-only answer is watched without a warning (the relay itself is sound)."""
    reason, warnings, live = await _verdict(READ_ONLY_KEY)
    assert reason is None and warnings == () and live


async def test_a_key_that_can_trade_over_fix_is_not_taken_for_read_only() -> None:
    # Binance documents enableFixApiTrade: "This option authorizes this key to use FIX API trading".
    reason, warnings, _ = await _verdict({**READ_ONLY_KEY, "enableFixApiTrade": True})
    said = (reason or "") + " ".join(warnings)
    assert "enableFixApiTrade" in said, f"refused={reason!r} warnings={warnings!r}"
    assert reason is not None  # not allow_trading_key: refused like every other trading flag


async def test_an_unknown_permission_flag_granted_is_not_taken_for_read_only() -> None:
    # The next permission Binance adds (as it added enableFixApiTrade, enablePortfolioMarginTrading): liqwatch
    # cannot know it is harmless, so a granted flag it does not know is not a read-only key.
    reason, warnings, _ = await _verdict({**READ_ONLY_KEY, "enableCopyTrading": True})
    said = (reason or "") + " ".join(warnings)
    assert "enableCopyTrading" in said, f"refused={reason!r} warnings={warnings!r}"


async def test_an_answer_without_the_withdrawal_flag_is_not_a_read_only_key() -> None:
    # All Binance sends for this key is that it is IP-restricted: whether it can withdraw is not known.
    reason, warnings, live = await _verdict({"ipRestrict": True, "enableReading": True})
    assert reason is not None and "enableWithdrawals" in reason, \
        f"watched (LIVE={live}) with warnings={warnings!r}: a key of unknown permissions taken for read-only"
