"""The ``calc`` scenario format: one account, its wallet and its positions, read from TOML or JSON.

Validation names the field that is wrong (``positions[1].size: must be > 0``) and exits cleanly; the engine
types built from it are the same ones the live feeds produce.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from liqwatch.model import Exchange, MarginMode, Position, PositionMode, Side
from liqwatch.risk.hyperliquid import mmr_from_max_leverage
from liqwatch.symbols import SymbolError, to_unified
from liqwatch.tiers import TierTable, TierTableError


class ScenarioError(ValueError):
    """A scenario that cannot be computed; the message names the field."""


_STRICT = ConfigDict(extra="forbid", hide_input_in_errors=True, allow_inf_nan=False)

PositiveFloat = Annotated[float, Field(gt=0)]


class TierIn(BaseModel):
    model_config = _STRICT
    floor: Annotated[float, Field(ge=0)]
    cap: PositiveFloat
    mmr: Annotated[float, Field(ge=0, lt=1)]
    maint_amount: float | None = None
    max_leverage: PositiveFloat | None = None


class PositionIn(BaseModel):
    model_config = _STRICT
    symbol: Annotated[str, Field(min_length=1)]
    side: Literal["long", "short"]
    size: PositiveFloat
    entry_price: PositiveFloat
    mark_price: PositiveFloat | None = None
    margin_mode: Literal["cross", "isolated"] = "cross"
    isolated_margin: float | None = None
    leverage: PositiveFloat | None = None
    mmr: Annotated[float, Field(ge=0, lt=1)] | None = None
    maint_amount: float | None = None
    tiers: list[TierIn] | None = None
    taker_fee_rate: Annotated[float, Field(ge=0, lt=0.1)] | None = None
    max_leverage: PositiveFloat | None = None
    exchange_liquidation_price: PositiveFloat | None = None

    @model_validator(mode="after")
    def _margin_source(self) -> PositionIn:
        if self.mmr is not None and self.tiers is not None:
            raise ValueError("give either mmr (with maint_amount) or tiers, not both")
        if self.tiers is not None and self.maint_amount is not None:
            raise ValueError("maint_amount goes inside each tier when tiers are given")
        if self.margin_mode == "cross" and self.isolated_margin is not None:
            raise ValueError("isolated_margin is only for margin_mode = 'isolated'")
        return self


class ScenarioIn(BaseModel):
    model_config = _STRICT
    exchange: Literal["binance", "bybit", "okx", "hyperliquid"]
    wallet_balance: float = 0.0
    position_mode: Literal["one-way", "hedge"] = "one-way"
    taker_fee_rate: Annotated[float, Field(ge=0, lt=0.1)] | None = None
    positions: Annotated[list[PositionIn], Field(min_length=1)]


@dataclass(frozen=True, slots=True)
class Scenario:
    exchange: Exchange
    wallet_balance: float
    position_mode: PositionMode
    taker_fee_rate: float | None
    positions: tuple[Position, ...]


def _format_validation(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ""
        for part in e["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "missing":
            msg = "required field is missing"
        elif e["type"] == "extra_forbidden":
            msg = "unknown field"
        lines.append(f"{loc or 'scenario'}: {msg}")
    return "; ".join(lines)


def _tiers(exchange: Exchange, p: PositionIn, where: str) -> TierTable:
    # OKX applies the tier rate to the whole notional: no maintenance amount, no recurrence.
    recurrence = exchange is not Exchange.OKX
    try:
        if p.tiers is not None:
            if not p.tiers:
                raise ScenarioError(f"{where}.tiers: at least one tier is needed")
            return TierTable.build(
                [(t.floor, t.cap, t.mmr, t.maint_amount) for t in p.tiers],
                recurrence=recurrence,
                max_leverages=[t.max_leverage for t in p.tiers],
            )
        if p.mmr is not None:
            return TierTable.flat(p.mmr, p.maint_amount or 0.0)
        if p.max_leverage is not None and exchange is Exchange.HYPERLIQUID:
            return TierTable.flat(mmr_from_max_leverage(p.max_leverage), p.maint_amount or 0.0)
    except TierTableError as exc:
        raise ScenarioError(f"{where}.{exc}") from None
    needed = "mmr, tiers or max_leverage" if exchange is Exchange.HYPERLIQUID else "mmr or tiers"
    raise ScenarioError(f"{where}: one of {needed} is required")


def _position(sc: ScenarioIn, exchange: Exchange, i: int, p: PositionIn) -> Position:
    where = f"positions[{i}]"
    try:
        symbol = to_unified(exchange, p.symbol)
    except SymbolError as exc:
        raise ScenarioError(f"{where}.symbol: {exc}") from None
    isolated = p.margin_mode == "isolated"
    margin = p.isolated_margin
    if isolated and margin is None:
        if p.leverage is None:
            raise ScenarioError(f"{where}.isolated_margin: required for an isolated position (or give leverage)")
        # Opened at this leverage with no margin added or removed.
        margin = p.size * p.entry_price / p.leverage
    fee = p.taker_fee_rate if p.taker_fee_rate is not None else sc.taker_fee_rate
    if exchange is Exchange.OKX and fee is None:
        raise ScenarioError(f"{where}.taker_fee_rate: required on OKX (fee term of its margin ratio)")
    if exchange is Exchange.BYBIT and fee is not None and p.leverage is None:
        raise ScenarioError(f"{where}.leverage: required on a Bybit unified account (fee to close)")
    return Position(
        symbol=symbol,
        side=Side(p.side),
        size=p.size,
        entry_price=p.entry_price,
        margin_mode=MarginMode(p.margin_mode),
        tiers=_tiers(exchange, p, where),
        position_mode=PositionMode(sc.position_mode),
        leverage=p.leverage,
        isolated_margin=margin,
        mark_price=p.mark_price,
        exchange_liquidation_price=p.exchange_liquidation_price,
        taker_fee_rate=p.taker_fee_rate,
    )


def scenario_from_mapping(data: Any) -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError("scenario: expected a table (TOML) or an object (JSON) at the top level")
    try:
        sc = ScenarioIn.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format_validation(exc)) from None
    exchange = Exchange(sc.exchange)
    positions = tuple(_position(sc, exchange, i, p) for i, p in enumerate(sc.positions))
    seen: dict[object, int] = {}
    for i, pos in enumerate(positions):
        key: object = pos.key if sc.position_mode == "hedge" else pos.symbol
        if key in seen:
            what = "symbol and side" if sc.position_mode == "hedge" else "symbol (one-way mode)"
            raise ScenarioError(f"positions[{i}].symbol: same {what} as positions[{seen[key]}]")
        seen[key] = i
    return Scenario(exchange, sc.wallet_balance, PositionMode(sc.position_mode), sc.taker_fee_rate, positions)


def parse_scenario(text: str, fmt: Literal["toml", "json"]) -> Scenario:
    try:
        data: Any = tomllib.loads(text) if fmt == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"not valid {fmt.upper()}: {exc}") from None
    return scenario_from_mapping(data)


def guess_format(name: str, text: str) -> Literal["toml", "json"]:
    if name.endswith(".json"):
        return "json"
    if name.endswith(".toml"):
        return "toml"
    return "json" if text.lstrip().startswith("{") else "toml"
