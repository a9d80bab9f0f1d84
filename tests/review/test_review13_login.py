"""Review of issue 13, the private sockets' logins against a hostile exchange: a login refused for a reason
that is not the key (OKX 63999 "internal error, try again later") must not disable the account for good, and
what the exchange echoes of the login it was sent (the passphrase, the signature) must never reach the
account's disabled reason, check --json or the incidents. The emulator's login answer is replaced before the
Monitor dials it (``running(accounts=...)`` is handed the emulator first); everything over 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from liqwatch.commands.snapshot_output import snapshot_json
from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer
from liqwatch.feed_channel import ChannelState
from liqwatch.feeds.account_config import FeedAccount
from tests.emulator.bybit_helpers import bybit_scenario
from tests.emulator.okx_helpers import okx_scenario
from tests.feeds.harness import eventually, running


def _shown(env: Any, name: str) -> str:
    snap = env.monitor.store.snapshot()
    return (json.dumps(snapshot_json(snap)) + "\n".join(str(i) for i in snap.incidents)
            + str(snap.account(name).disabled_reason) + str(env.adapter(name).last_error))


async def test_okx_a_transient_login_error_does_not_disable_the_account() -> None:
    def accounts(emu: EmulatorServer) -> list[FeedAccount]:
        ws = emu.okx_ws
        real = ws._login
        calls = {"n": 0}

        def login(conn: Any, args: list[Any]) -> None:
            calls["n"] += 1
            if calls["n"] == 1:
                ws._error(conn, "63999", "Login failed due to internal error. Please try again later.")
                return
            real(conn, args)

        ws._login = login  # type: ignore[method-assign]
        return scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url)

    async with running(scenario=okx_scenario(), only=("okx-iso",), okx_idle_timeout=None, accounts=accounts) as env:
        store = env.monitor.store
        await eventually(lambda: store.snapshot().account("okx-iso").disabled_reason is not None
                         or all(c.state is ChannelState.LIVE for c in store.channels("okx-iso")), 10,
                         "okx-iso live or disabled")
        assert store.snapshot().account("okx-iso").disabled_reason is None, \
            store.snapshot().account("okx-iso").disabled_reason


async def test_okx_an_echoed_login_signature_never_reaches_the_screen() -> None:
    sent: dict[str, str] = {}

    def accounts(emu: EmulatorServer) -> list[FeedAccount]:
        ws = emu.okx_ws

        def login(conn: Any, args: list[Any]) -> None:
            arg = args[0]
            sent["sign"] = str(arg.get("sign"))
            ws._error(conn, "60007", f"Invalid sign {arg.get('sign')}")

        ws._login = login  # type: ignore[method-assign]
        return scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url)

    async with running(scenario=okx_scenario(), only=("okx-iso",), okx_idle_timeout=None, accounts=accounts) as env:
        store = env.monitor.store
        await eventually(lambda: store.snapshot().account("okx-iso").disabled_reason is not None, 10,
                         "okx-iso disabled")
        assert sent["sign"] and len(sent["sign"]) > 20
        assert sent["sign"] not in _shown(env, "okx-iso"), "the login signature is on the screen"


def _echoing_bybit_auth(sent: dict[str, str]) -> Callable[[EmulatorServer], list[FeedAccount]]:
    """The accounts of a run whose Bybit private socket refuses the auth, echoing its signature back (kept in
    ``sent["sig"]``)."""
    def accounts(emu: EmulatorServer) -> list[FeedAccount]:
        ws = emu.bybit_ws
        real = ws._request

        def request(session: Any, text: str) -> None:
            req = json.loads(text) if text.startswith("{") else {}
            if req.get("op") == "auth":
                sent["sig"] = str(req["args"][2])
                ws._reply(session, "auth", False, f"error sign! sig={req['args'][2]}", req.get("req_id"))
                return
            real(session, text)

        ws._request = request  # type: ignore[method-assign]
        return scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url)

    return accounts


async def test_bybit_an_echoed_auth_signature_never_reaches_the_screen() -> None:
    sent: dict[str, str] = {}
    accounts = _echoing_bybit_auth(sent)

    async with running(scenario=bybit_scenario(), only=("yuki",), bybit_idle_timeout=None, accounts=accounts) as env:
        store = env.monitor.store
        await eventually(lambda: store.snapshot().account("yuki").disabled_reason is not None, 10, "yuki disabled")
        assert len(sent["sig"]) == 64
        assert sent["sig"] not in _shown(env, "yuki"), "the auth signature is on the screen"


async def test_okx_a_malformed_frame_before_the_login_answer_is_counted() -> None:
    def accounts(emu: EmulatorServer) -> list[FeedAccount]:
        ws = emu.okx_ws
        real = ws._login

        def login(conn: Any, args: list[Any]) -> None:
            conn.send_control("<html>502 Bad Gateway</html>")
            real(conn, args)

        ws._login = login  # type: ignore[method-assign]
        return scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url)

    async with running(scenario=okx_scenario(), only=("okx-iso",), okx_idle_timeout=None, accounts=accounts) as env:
        assert await env.monitor.wait_live(15)
        assert env.adapter("okx-iso").malformed >= 1, "the frame before the login's answer was not counted"


async def test_bybit_an_echoed_auth_signature_is_not_recorded(tmp_path: Any) -> None:
    from liqwatch.feeds.frame_recorder import read_recording

    sent: dict[str, str] = {}
    accounts = _echoing_bybit_auth(sent)

    path = tmp_path / "frames.jsonl.gz"
    async with running(scenario=bybit_scenario(), only=("yuki",), bybit_idle_timeout=None, accounts=accounts,
                       record_path=path) as env:
        store = env.monitor.store
        await eventually(lambda: store.snapshot().account("yuki").disabled_reason is not None, 10, "yuki disabled")
    recorded = "\n".join(str(r.get("raw")) for r in read_recording(path))
    assert "auth" in recorded  # the auth answer was recorded
    assert sent["sig"] not in recorded, "the auth signature is in the recording"
