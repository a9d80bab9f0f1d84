"""``liqwatch calc SCENARIO``: compute one account's risk from a TOML or JSON file (``-`` for stdin)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "calc",
        help="compute margins, liquidation and bankruptcy prices of a scenario file",
        description="Compute a scenario (TOML or JSON; '-' reads stdin) and print a table, or JSON.",
    )
    p.add_argument("scenario", help="path to a .toml or .json scenario, or '-' for stdin")
    p.add_argument("--json", action="store_true", help="print JSON only (numbers, null where undefined)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from liqwatch.commands.calc_output import render_json, render_table
    from liqwatch.commands.errors import UserError
    from liqwatch.risk.evaluate import evaluate_account
    from liqwatch.risk.registry import risk_rules
    from liqwatch.scenario import ScenarioError, guess_format, parse_scenario

    if args.scenario == "-":
        name, text = "<stdin>", sys.stdin.read()
    else:
        path = Path(args.scenario)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot read scenario {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise UserError(f"scenario {path} is not UTF-8 text") from None
        name = path.name
    try:
        scenario = parse_scenario(text, guess_format(name, text))
        rules = risk_rules(scenario.exchange, scenario.taker_fee_rate)
        result = evaluate_account(rules, scenario.wallet_balance, scenario.positions)
    except (ScenarioError, ValueError) as exc:
        raise UserError(f"{name}: {exc}") from None
    out = render_json(scenario.exchange, result) if args.json else render_table(scenario.exchange, result)
    sys.stdout.write(out)
    return 0
