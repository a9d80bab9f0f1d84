"""The emulator assembled: one aiohttp server on 127.0.0.1 serving Binance USDⓈ-M and Hyperliquid.

async with EmulatorServer(demo_scenario(), seed=7, autorun=False) as emu:
    await emu.tick(5)                  # five simulated steps, then one push round
    emu.rest_url, emu.ws_url           # what an account's rest_url / ws_url point at
    await emu.faults.drop("binance")   # faults, also under /_emulator/faults over HTTP
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from aiohttp import web

from liqwatch.clock import Clock, SystemClock
from liqwatch.emulator.binance_auth import ListenKeys
from liqwatch.emulator.binance_rest import BinanceRest
from liqwatch.emulator.binance_ws import BinanceStreams
from liqwatch.emulator.bybit_faults import bybit_fault_shape
from liqwatch.emulator.bybit_payloads import bybit_state_view
from liqwatch.emulator.bybit_rest import BybitRest
from liqwatch.emulator.bybit_ws import BybitStreams
from liqwatch.emulator.control import ControlApi
from liqwatch.emulator.demo_scenario import demo_scenario
from liqwatch.emulator.faults import Faults
from liqwatch.emulator.hyperliquid_info import HyperliquidInfo
from liqwatch.emulator.hyperliquid_ws import HyperliquidStreams
from liqwatch.emulator.market import Market
from liqwatch.emulator.okx_faults import OkxFaults
from liqwatch.emulator.okx_rest_account import OkxAccountRest
from liqwatch.emulator.okx_rest_public import OkxPublic
from liqwatch.emulator.okx_ws import OkxStreams
from liqwatch.emulator.position_faults import PositionFaults
from liqwatch.emulator.scenario import Scenario
from liqwatch.emulator.simulation import Simulation, StepResult
from liqwatch.emulator.state_views import binance_state_view, hyperliquid_state_view
from liqwatch.emulator.streams import Hub, StreamFlags

HOST = "127.0.0.1"  # never anything else: the emulator is a local test double
MAX_STEPS_PER_ROUND = 20_000  # ~0.7 s of CPU; past ~20k steps/s the simulation runs behind the wall clock


class EmulatorServer:
    """A local exchange emulator; use as ``async with`` or call ``start()``/``stop()``.

    ``autorun`` runs the market on the wall clock (``speed`` simulated seconds per second) and pushes
    every ``publish_interval`` seconds. With ``autorun=False`` nothing moves until ``tick()``, which is
    what tests use: deterministic, no sleeping.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        seed: int = 0,
        speed: float = 1.0,
        port: int = 0,
        clock: Clock | None = None,
        autorun: bool = True,
        publish_interval: float = 1.0,
        hl_idle_timeout: float | None = 60.0,
        binance_ping_interval: float | None = 180.0,
        binance_pong_timeout: float | None = 600.0,
        listen_key_ttl: float = 3600.0,
        ws_lifetime: float | None = None,
        bybit_idle_timeout: float | None = 600.0,
        okx_idle_timeout: float | None = 30.0,
        first_marks_at_once: bool = False,
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError("port must be in 0..65535")
        if not publish_interval > 0:
            raise ValueError("publish_interval must be > 0")
        self.scenario = scenario if scenario is not None else demo_scenario()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.sim = Simulation(self.scenario, seed=seed, speed=speed, clock=self.clock)
        self.seed = seed
        self.speed = speed
        self.autorun = autorun
        #: With ``autorun``: the market is published but does not move while held (``check --demo`` holds it
        #: until every feed is LIVE, so that its story starts when it can be watched, however slow the start).
        self.held = False
        self.publish_interval = publish_interval
        self._requested_port = port
        self._port: int | None = None
        self.hub = Hub(ws_lifetime)  # Binance closes every socket at 24 h: a test sets a short lifetime
        self.flags = StreamFlags(silent_subscriptions=set())
        self.listen_keys = ListenKeys(seed, listen_key_ttl, self.clock.monotonic)
        self.position_faults = PositionFaults()
        self.binance_rest = BinanceRest(self.sim, self.listen_keys, self._listen_key_deleted, self.position_faults)
        self.binance_ws = BinanceStreams(
            self.sim,
            self.hub,
            self.listen_keys,
            self.flags,
            ping_interval=binance_ping_interval,
            pong_timeout=binance_pong_timeout,
        )
        # The demo's: Binance's mark streams send the current marks to a new subscriber at once instead of at
        # the next round (up to ``publish_interval`` later; the other venues' streams answer with a snapshot).
        self.binance_ws.first_marks_at_once = first_marks_at_once
        self.hl_info = HyperliquidInfo(self.sim, self.position_faults)
        self.hl_ws = HyperliquidStreams(self.sim, self.hl_info, self.hub, self.flags, idle_timeout=hl_idle_timeout)
        self.bybit_rest = BybitRest(self.sim)
        self.bybit_ws = BybitStreams(self.sim, self.hub, self.flags, idle_timeout=bybit_idle_timeout)
        self.okx_public = OkxPublic(self.sim)
        self.okx_private = OkxAccountRest(self.sim)
        self.okx_ws = OkxStreams(
            self.sim, self.okx_public, self.okx_private, self.hub, self.flags, idle_timeout=okx_idle_timeout
        )
        self.okx_faults = OkxFaults(self.sim, self.okx_ws)
        self.faults = Faults(
            self.hub,
            self.flags,
            self.listen_keys,
            self.binance_ws,
            now_ms=self.sim.now_ms,
            stop_listening=self._stop_listening,
            start_listening=self._start_listening,
            position_faults=self.position_faults,
        )
        self.control = ControlApi(self.faults, self._tick_json, self.snapshot)
        self.requests: deque[tuple[str, str, int]] = deque(maxlen=2000)
        self.rounds = 0
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._driver: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    # --- public surface ------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def rest_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}"

    @property
    def market(self) -> Market:
        return self.sim.market

    @property
    def liquidations(self) -> list[Any]:
        return list(self.sim.liquidations)

    def liquidation_price(self, account: str, symbol: str, side: str | None = None) -> float | None:
        """The emulator's own liquidation price (bisection) of an open position; None if it has none.

        ``side`` is "LONG"/"SHORT" (needed only for a hedge-mode symbol with both legs).
        """
        prices = self.sim.liquidation_prices()
        matches = [k for k in prices if k[0] == account and k[1] == symbol and (side is None or k[2] == side.upper())]
        if not matches:
            raise KeyError(f"{account} has no open position in {symbol}")
        if len(matches) > 1:
            raise KeyError(f"{account} holds both legs of {symbol}; pass side='LONG' or 'SHORT'")
        return prices[matches[0]]

    async def tick(self, steps: int = 1) -> StepResult:
        """Advance the simulation ``steps`` steps, then push one round to every subscriber."""
        if steps < 1:
            raise ValueError("steps must be >= 1")
        async with self._lock:
            result = StepResult()
            for _ in range(steps):
                result.extend(self.sim.step())
            self._publish(result)
        await asyncio.sleep(0)
        return result

    async def flush(self, limit_s: float = 2.0) -> None:
        """Wait until every socket's outgoing queue is written (tests read the wire right after)."""
        async with asyncio.timeout(limit_s):
            await asyncio.gather(*(c.drained() for c in list(self.hub.conns) if not c.ws.closed))

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able view of the emulator's state (the control endpoint's ``GET /_emulator/state``)."""
        market = self.sim.market
        prices = self.sim.liquidation_prices()
        accounts = [binance_state_view(self.sim, ba, prices) for ba in self.sim.binance_accounts.values()]
        accounts.extend(hyperliquid_state_view(self.sim, ha, prices) for ha in self.sim.hl_accounts.values())
        accounts.extend(bybit_state_view(self.sim, ya, prices) for ya in self.sim.bybit_accounts.values())
        accounts.extend(self.sim.okx.views())
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "speed": self.speed,
            "steps": market.steps,
            "sim_time": market.sim_time,
            "markets": [
                {
                    "exchange": m.venue.value,
                    "symbol": m.symbol,
                    "mark": m.mark,
                    "index": m.index,
                    "funding_rate": m.funding_rate,
                    "next_funding_time": self.sim.next_funding_ms(m),
                }
                for m in market.all_markets()
            ],
            "accounts": accounts,
            "liquidations": [
                {
                    "exchange": liq.venue.value,
                    "account": liq.account,
                    "symbols": [leg.symbol for leg in liq.legs],
                    "isolated": liq.isolated,
                    "time": liq.time_ms,
                    "mark": liq.legs[0].price,
                    "liquidation_price": liq.liquidation_price,
                }
                for liq in self.sim.liquidations
            ],
        }

    # --- lifecycle --------------------------------------------------------------------------------------
    def _app(self) -> web.Application:
        # Bybit's answers to the REST faults (its own file), outside the request log: the log names the fault
        # that fired (429, 418), the client gets Bybit's shape of it (HTTP 200 retCode 10006, a 403 page).
        shape = bybit_fault_shape(self.sim.now_ms)
        app = web.Application(middlewares=[shape, self._log_middleware, self.faults.middleware])
        app.add_routes(self.control.routes())
        app.add_routes(self.binance_rest.routes())
        app.add_routes(self.binance_ws.routes())
        app.add_routes(self.hl_info.routes())
        app.add_routes(self.hl_ws.routes())
        app.add_routes(self.bybit_rest.routes())
        app.add_routes(self.bybit_ws.routes())
        for routes in (self.okx_public.routes(), self.okx_private.routes(), self.okx_ws.routes()):
            app.add_routes(routes)
        app.add_routes(self.okx_faults.routes())
        return app

    @web.middleware
    async def _log_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        if not request.path.startswith("/_emulator"):
            self.requests.append((request.method, request.path, response.status))
        return response

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("already started")
        self._runner = web.AppRunner(self._app(), handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await self._start_listening()
        if self.autorun:
            self._driver = asyncio.get_running_loop().create_task(self._drive(), name="emulator-driver")

    async def _start_listening(self) -> None:
        assert self._runner is not None
        port = self._port if self._port is not None else self._requested_port
        site = web.TCPSite(self._runner, HOST, port, reuse_address=True)
        await site.start()
        self._site = site
        if self._port is None:
            # aiohttp exposes the bound port only on the site's server: asyncio's Server, or uvloop's (which is
            # not an ``asyncio.base_events.Server``), both with ``sockets``.
            sockets = getattr(site._server, "sockets", None)
            if not sockets:
                raise RuntimeError("the emulator's listening socket is not known")
            self._port = int(sockets[0].getsockname()[1])

    async def _stop_listening(self) -> None:
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def stop(self) -> None:
        if self._driver is not None:
            self._driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver
            self._driver = None
        await self.faults.close()
        await self.hub.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # --- driving ----------------------------------------------------------------------------------------
    def _publish(self, result: StepResult) -> None:
        self.binance_ws.publish_market(self.rounds)
        self.binance_ws.publish_user(result)
        self.hl_ws.publish(result)
        self.bybit_ws.publish(result)
        self.okx_ws.publish()
        due = self.listen_keys.due()
        if due:
            self.binance_ws.announce_expired([(lk.key, lk.account) for lk in due])
        self.rounds += 1

    async def _drive(self) -> None:
        loop = asyncio.get_running_loop()
        started = last = loop.time()
        moved_s = 0.0  # wall time the market has moved for (not while ``held``)
        done = 0
        step_s = self.sim.market.step_seconds
        interval = self.publish_interval
        point = 0  # the grid point (started + point × interval) of the last round
        while True:
            # The next grid point after now, never the last one again: a round skipped while the loop was busy
            # is not made up. The sleep is repeated until that point: uvloop's timers fire up to a millisecond
            # early, and a round published then was published again at the point itself (every frame twice).
            point = max(point + 1, int((loop.time() - started) // interval) + 1)
            for _ in range(3):  # an early wake is short of the point by a millisecond at most: one more sleep
                if (wait := started + point * interval - loop.time()) <= 0:
                    break
                await asyncio.sleep(wait)
            now = loop.time()
            if not self.held:
                moved_s += now - last
            last = now
            target = int(moved_s * self.speed / step_s)
            async with self._lock:
                result = StepResult()
                budget = MAX_STEPS_PER_ROUND
                while done < target and budget > 0:
                    result.extend(self.sim.step())
                    done += 1
                    budget -= 1
                self._publish(result)

    async def _tick_json(self, steps: int) -> dict[str, Any]:
        result = await self.tick(steps)
        return {
            "steps": self.sim.market.steps,
            "funding_settlements": len(result.settlements),
            "margin_calls": len(result.margin_calls),
            "liquidations": [
                {"account": liq.account, "symbols": [leg.symbol for leg in liq.legs]} for liq in result.liquidations
            ],
        }

    async def _listen_key_deleted(self, key: str) -> None:
        await self.binance_ws.close_key(key)
