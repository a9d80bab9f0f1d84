"""A local exchange emulator that speaks Binance USDⓈ-M and Hyperliquid on 127.0.0.1.

Market simulation (``paths``, ``market``), accounts and ledgers (``accounts``), the exchange's own
liquidation by bisection (``liquidation``), the wire protocols (``binance_*``, ``hyperliquid_*``),
faults (``faults``, ``control``), scenarios (``scenario``, ``demo``) and the assembly (``server``).
"""

from liqwatch.emulator.demo_scenario import demo_scenario, describe_accounts
from liqwatch.emulator.faults import Faults
from liqwatch.emulator.scenario import Scenario, ScenarioError, load_scenario, scenario_from_toml
from liqwatch.emulator.server import EmulatorServer
from liqwatch.emulator.simulation import StepResult

__all__ = [
    "EmulatorServer",
    "Faults",
    "Scenario",
    "ScenarioError",
    "StepResult",
    "demo_scenario",
    "describe_accounts",
    "load_scenario",
    "scenario_from_toml",
]
