"""``liqwatch check --json`` in its own process against the emulator: a position that cannot be evaluated
is listed with ``not_evaluated`` and its account is stale (exit 3); a Multi-Assets account is
``mode_not_modelled``; the other accounts read as usual."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from liqwatch.emulator import EmulatorServer, demo_scenario
from tests.tui_command import tui_argv

ROOT = Path(__file__).resolve().parents[2]


def scenario_with_multi_assets(account: str):  # type: ignore[no-untyped-def]
    sc = demo_scenario()
    accounts = tuple(a.model_copy(update={"multi_assets_margin": True}) if a.name == account else a
                     for a in sc.binance.accounts)
    return sc.model_copy(update={"binance": sc.binance.model_copy(update={"accounts": accounts})})


async def test_check_json_lists_a_position_not_evaluated_and_exits_stale(tmp_path: Path) -> None:
    async with asyncio.timeout(90), EmulatorServer(scenario_with_multi_assets("binance-hedge"), seed=3,
                                                   publish_interval=0.2) as emu:
        emu.faults.bad_position("zero_entry", "BTCUSDT")
        env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
        lines = []
        for ba in emu.scenario.binance.accounts:
            if ba.name not in ("binance-main", "binance-hedge"):
                continue
            var = ba.name.upper().replace("-", "_")
            env[f"{var}_KEY"], env[f"{var}_SECRET"] = ba.api_key, ba.secret
            lines.append(f'[[accounts]]\nname = "{ba.name}"\nexchange = "binance"\napi_key_env = "{var}_KEY"\n'
                         f'api_secret_env = "{var}_SECRET"\nrest_url = "{emu.rest_url}"\nws_url = "{emu.ws_url}"\n')
        whale = next(a for a in emu.scenario.hyperliquid.accounts if a.name == "hl-whale")
        lines.append(f'[[accounts]]\nname = "hl-whale"\nexchange = "hyperliquid"\naddress = "{whale.address}"\n'
                     f'rest_url = "{emu.rest_url}"\nws_url = "{emu.ws_url}"\n')
        cfg = tmp_path / "config.toml"
        cfg.write_text("\n".join(lines), encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(
            *tui_argv(), "check", "--config", str(cfg), "--json", "--timeout", "20",
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
    assert proc.returncode == 3, err.decode()[-2000:]
    doc = json.loads(out)
    assert doc["status"] in ("stale", "critical")
    accounts = {a["name"]: a for a in doc["accounts"]}
    main = accounts["binance-main"]
    assert main["status"] == "stale"
    btc = next(p for p in main["positions"] if p["symbol"] == "BTC/USDT:USDT")
    assert btc["not_evaluated"] == "entry price 0" and btc["side"] == "long" and btc["size"] == 0.5
    assert btc["entry_price"] is None and btc["mark_price"] > 0 and btc["risk"] is None
    eth = next(p for p in main["positions"] if p["symbol"] == "ETH/USDT:USDT")
    assert eth["not_evaluated"] is None and eth["risk"] is not None  # the other position is evaluated
    hedge = accounts["binance-hedge"]
    assert hedge["status"] == "stale" and "Multi-Assets" in hedge["mode_not_modelled"]
    assert hedge["risk"] is None and hedge["margin_balance"] is None
    reasons = {(p["symbol"], p["side"]): p["not_evaluated"] for p in hedge["positions"]}
    assert reasons == {("BTC/USDT:USDT", "long"): "entry price 0", ("BTC/USDT:USDT", "short"): "entry price 0",
                       ("SOL/USDT:USDT", "long"): "mode not modelled"}  # the fault on BTCUSDT hits its legs too
    whale_doc = accounts["hl-whale"]
    assert whale_doc["status"] != "stale" and all(p["not_evaluated"] is None for p in whale_doc["positions"])
    assert all(f["state"] == "LIVE" for f in doc["feeds"])  # every feed went live: stale is the positions' doing
