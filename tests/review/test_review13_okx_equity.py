"""Review of issue 13, OKX equity: in a multi-currency margin account (acctLv 3) OKX's equity for cross margin is
``adjEq`` (every currency at its discount rate, less liabilities and interest; formulas.md, OKX). An answer of
such an account whose ``adjEq`` is "" carries no equity of the account's own definition; USDT's ``eq`` is
another one. The adapter refuses such a balance whole, the REST snapshot's and the ``account`` push's alike:
the account is shown stale and not evaluated (no figure, no position, no wallet of the refused answer), no
channel LIVE, each naming why (its last error), and REST keeps asking (the next answer may carry it). The
emulator's balance of the multi-currency account loses its ``adjEq``; 127.0.0.1 only, the market held still
(autorun off)."""

from __future__ import annotations

from typing import Any

from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer
from liqwatch.feed_channel import ChannelState
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.status import Status
from tests.emulator.okx_helpers import okx_scenario
from tests.feeds.contract.frames import holds
from tests.feeds.harness import eventually, running

REFUSAL = "a multi-currency margin account's balance without adjEq (its cross equity)"


async def test_okx_a_multi_currency_balance_without_adj_eq_is_refused_and_the_account_shown_stale() -> None:
    seen: dict[str, float] = {}

    def accounts(emu: EmulatorServer) -> list[FeedAccount]:
        rest = emu.okx_private
        real = rest.balance_row

        def balance_row(a: Any) -> Any:
            row = dict(real(a))
            if a.multi:
                seen["adjEq"] = float(row["adjEq"])
                row["adjEq"] = ""
            return row

        rest.balance_row = balance_row  # type: ignore[method-assign]
        return scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url)

    async with running(scenario=okx_scenario(), only=("okx-multi",), autorun=False, okx_idle_timeout=None,
                       accounts=accounts) as env:
        adapter, store = env.adapter("okx-multi"), env.monitor.store

        def balance_calls() -> int:
            return sum(1 for _, path, _ in env.emu.requests if path == "/api/v5/account/balance")

        # Refused at REST (and asked again, not given up) and on the private socket's account push.
        await eventually(lambda: balance_calls() >= 2 and adapter.malformed >= 1, 10, "the balance refused twice")
        assert seen["adjEq"] > 0  # the account has an equity of its own definition: only the answer lacks it
        assert adapter.last_error is not None and REFUSAL in adapter.last_error

        def refused_whole() -> bool:
            view = store.snapshot().account("okx-multi")
            return (view.risk is None and not view.synced and not view.fresh and view.status is Status.STALE
                    and view.positions == () and view.unevaluated == () and store.book("okx-multi").wallet_balance == 0
                    and all(f.state is not ChannelState.LIVE and REFUSAL in f.last_error for f in view.feeds))

        await eventually(refused_whole, 5, "the account stale, nothing of the refused answer applied")
        await holds(refused_whole, 1.5, "a balance without adjEq was applied, or the account shown fresh")
