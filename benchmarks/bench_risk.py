"""Mark ticks per second on an account of 50 cross positions: incremental aggregates vs full recompute.

Both paths end each tick with the account's margin balance, maintenance margin and risk. "Full" rescans
every position (what an engine without running sums does); "full+liq" also recomputes every liquidation
price per tick (what a naive monitor does). Run: python benchmarks/bench_risk.py [--ticks N]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time

from liqwatch.account_book import AccountBook
from liqwatch.model import Exchange, MarginMode, Position, Side
from liqwatch.risk.evaluate import CrossTotals, evaluate_account, figures
from liqwatch.risk.registry import risk_rules
from liqwatch.tiers import TierTable

BRACKETS = [(0, 50_000, 0.004, None), (50_000, 600_000, 0.005, None), (600_000, 3_000_000, 0.0065, None),
            (3_000_000, 12_000_000, 0.01, None), (12_000_000, 70_000_000, 0.02, None)]


def make_account(n: int, seed: int) -> tuple[list[Position], dict[str, float]]:
    rng = random.Random(seed)
    table = TierTable.build(BRACKETS)
    positions, marks = [], {}
    for i in range(n):
        sym = f"C{i:02d}/USDT:USDT"
        price = rng.uniform(1, 60_000)
        size = rng.uniform(10_000, 400_000) / price
        positions.append(Position(sym, rng.choice([Side.LONG, Side.SHORT]), size, price, MarginMode.CROSS, table,
                                  leverage=10))
        marks[sym] = price
    return positions, marks


def tick_stream(marks: dict[str, float], count: int, seed: int) -> list[tuple[str, float]]:
    rng = random.Random(seed + 1)
    syms = list(marks)
    cur = dict(marks)
    out = []
    for _ in range(count):
        s = rng.choice(syms)
        cur[s] *= math.exp(rng.gauss(0, 0.0005))
        out.append((s, cur[s]))
    return out


def bench_incremental(positions: list[Position], marks: dict[str, float], ticks: list[tuple[str, float]]) -> float:
    rules = risk_rules(Exchange.BINANCE)
    book = AccountBook(rules, wallet_balance=1_000_000)
    for p in positions:
        book.upsert(p, marks[p.symbol])
    sink = 0.0
    t0 = time.perf_counter()
    for sym, px in ticks:
        book.on_mark(sym, px)
        sink += book.risk or 0.0
    dt = time.perf_counter() - t0
    assert sink > 0
    return len(ticks) / dt


def bench_full(positions: list[Position], marks: dict[str, float], ticks: list[tuple[str, float]]) -> float:
    rules = risk_rules(Exchange.BINANCE)
    cur = dict(marks)
    sink = 0.0
    t0 = time.perf_counter()
    for sym, px in ticks:
        cur[sym] = px
        totals = CrossTotals.of(figures(rules, p, cur[p.symbol]) for p in positions)
        sink += rules.risk(1_000_000 + totals.unrealized_pnl, totals.requirement) or 0.0
    dt = time.perf_counter() - t0
    assert sink > 0
    return len(ticks) / dt


def bench_full_with_liq(positions: list[Position], marks: dict[str, float], ticks: list[tuple[str, float]]) -> float:
    rules = risk_rules(Exchange.BINANCE)
    cur = dict(marks)
    t0 = time.perf_counter()
    for sym, px in ticks:
        cur[sym] = px
        evaluate_account(rules, 1_000_000, positions, cur)
    return len(ticks) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticks", type=int, default=200_000)
    ap.add_argument("--positions", type=int, default=50)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    positions, marks = make_account(args.positions, args.seed)
    ticks = tick_stream(marks, args.ticks, args.seed)
    inc = bench_incremental(positions, marks, ticks)
    full = bench_full(positions, marks, ticks[: max(1, args.ticks // 20)])
    full_liq = bench_full_with_liq(positions, marks, ticks[: max(1, args.ticks // 200)])
    result = {
        "positions": args.positions,
        "incremental_ticks_per_s": round(inc),
        "full_recompute_ticks_per_s": round(full),
        "full_recompute_with_liq_prices_ticks_per_s": round(full_liq),
        "speedup_vs_full": round(inc / full, 1),
        "speedup_vs_full_with_liq": round(inc / full_liq, 1),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:45s} {v}")


if __name__ == "__main__":
    main()
