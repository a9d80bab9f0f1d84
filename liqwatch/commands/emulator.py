"""``liqwatch emulator``: a local exchange that speaks Binance USDⓈ-M and Hyperliquid on 127.0.0.1."""

from __future__ import annotations

import argparse
import sys
from typing import Any

_POLL_S = 0.25


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535 (0 picks a free one): {text!r}")
    return value


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "emulator",
        help="run a local Binance USDⓈ-M + Hyperliquid emulator on 127.0.0.1",
        description=(
            "Serve a simulated market and accounts at Binance's and Hyperliquid's real paths on 127.0.0.1, "
            "so that an account's rest_url/ws_url can point at it. Without --scenario the built-in demo runs. "
            "Faults are injected through http://127.0.0.1:PORT/_emulator/faults/<name>."
        ),
    )
    p.add_argument("--port", type=_port, default=0, help="port on 127.0.0.1 (default 0: pick a free one)")
    p.add_argument("--scenario", metavar="FILE", help="scenario TOML file (default: the built-in demo)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the price paths (default 0)")
    p.add_argument(
        "--speed", type=_positive_float, default=1.0, help="simulated seconds per wall-clock second (default 1)"
    )
    p.add_argument(
        "--duration",
        type=_positive_float,
        default=None,
        metavar="SECONDS",
        help="stop after this many seconds (default: run until Ctrl-C)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from liqwatch.commands.errors import UserError
    from liqwatch.emulator import EmulatorServer, ScenarioError, demo_scenario, load_scenario

    try:
        scenario = load_scenario(args.scenario) if args.scenario else demo_scenario()
    except ScenarioError as exc:
        raise UserError(str(exc)) from None
    if args.speed > 10_000:
        raise UserError("--speed above 10000 would step the market faster than it can be served")
    server = EmulatorServer(scenario, seed=args.seed, speed=args.speed, port=args.port)
    try:
        return asyncio.run(_serve(server, show_secrets=not args.scenario, duration=args.duration))
    except OSError as exc:
        raise UserError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        print("liqwatch emulator: stopped", file=sys.stderr)
        return 0


async def _serve(server: Any, *, show_secrets: bool, duration: float | None) -> int:
    import asyncio

    from liqwatch.emulator import describe_accounts

    async with server:
        out = sys.stdout
        scenario = server.scenario
        out.write(
            f"liqwatch emulator: scenario {scenario.name!r}, seed {server.seed}, speed {server.speed:g}x\n"
            f"  port       {server.port}\n"
            f"  rest_url   {server.rest_url}\n"
            f"  ws_url     {server.ws_url}\n"
            f"  faults     {server.rest_url}/_emulator/faults/<name>   state: {server.rest_url}/_emulator/state\n"
            "accounts:\n"
        )
        for line in describe_accounts(scenario, show_secrets=show_secrets):
            out.write(line + "\n")
        out.write("Ctrl-C to stop.\n")
        out.flush()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + duration if duration is not None else None
        reported = 0
        while deadline is None or loop.time() < deadline:
            await asyncio.sleep(_POLL_S)
            for liq in server.sim.liquidations[reported:]:
                legs = ", ".join(f"{leg.symbol} {leg.side} {abs(leg.qty):g} at mark {leg.price:g}" for leg in liq.legs)
                solved = f"{liq.liquidation_price:.6f}" if liq.liquidation_price is not None else "none"
                out.write(f"liquidated: {liq.venue.value} {liq.account}: {legs} (liquidation price {solved})\n")
                out.flush()
            reported = len(server.sim.liquidations)
    return 0
