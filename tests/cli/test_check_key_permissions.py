"""``liqwatch check --json`` in its own process against the emulator (issue 10): a key that can trade is
refused unless its ``[[accounts]]`` entry sets ``allow_trading_key = true``; the refused account is
``disabled`` with the permission's name and how to make a read-only key, check exits 3, the accepted one is
watched with its standing ``warnings``, and the others run."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from liqwatch.emulator import EmulatorServer, demo_scenario
from tests.tui_command import tui_argv

ROOT = Path(__file__).resolve().parents[2]


def scenario_with_trading_keys():  # type: ignore[no-untyped-def]
    sc = demo_scenario()
    perms = {"binance-main": {"enable_futures": True},
             "binance-hedge": {"enable_futures": True, "ip_restrict": False}}
    accounts = tuple(a.model_copy(update=perms.get(a.name, {})) for a in sc.binance.accounts)
    return sc.model_copy(update={"binance": sc.binance.model_copy(update={"accounts": accounts})})


async def test_check_refuses_a_trading_key_and_warns_about_an_accepted_one(tmp_path: Path) -> None:
    async with asyncio.timeout(90), EmulatorServer(scenario_with_trading_keys(), seed=3,
                                                   publish_interval=0.2) as emu:
        env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
        lines = []
        for ba in emu.scenario.binance.accounts:
            if ba.name not in ("binance-main", "binance-hedge"):
                continue
            var = ba.name.upper().replace("-", "_")
            env[f"{var}_KEY"], env[f"{var}_SECRET"] = ba.api_key, ba.secret
            allow = "allow_trading_key = true\n" if ba.name == "binance-hedge" else ""
            lines.append(f'[[accounts]]\nname = "{ba.name}"\nexchange = "binance"\napi_key_env = "{var}_KEY"\n'
                         f'api_secret_env = "{var}_SECRET"\n{allow}rest_url = "{emu.rest_url}"\n'
                         f'ws_url = "{emu.ws_url}"\n')
        whale = next(a for a in emu.scenario.hyperliquid.accounts if a.name == "hl-whale")
        lines.append(f'[[accounts]]\nname = "hl-whale"\nexchange = "hyperliquid"\naddress = "{whale.address}"\n'
                     f'rest_url = "{emu.rest_url}"\nws_url = "{emu.ws_url}"\n')
        cfg = tmp_path / "config.toml"
        cfg.write_text("\n".join(lines), encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(
            *tui_argv(), "check", "--config", str(cfg), "--json", "--timeout", "15",
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
    assert proc.returncode == 3, err.decode()[-2000:]
    accounts = {a["name"]: a for a in json.loads(out)["accounts"]}
    refused = accounts["binance-main"]["disabled"]
    assert refused.startswith("API key refused: the API key can trade futures (enableFutures)")
    assert "Enable Reading" in refused and "allow_trading_key = true" in refused
    hedge = accounts["binance-hedge"]
    assert "disabled" not in hedge and hedge["risk"] is not None  # watched
    assert any("enableFutures" in w and "allow_trading_key" in w for w in hedge["warnings"])
    assert any("no IP restriction" in w for w in hedge["warnings"])
    assert accounts["hl-whale"]["status"] != "stale" and "warnings" not in accounts["hl-whale"]
