"""What an adapter needs to know about one account: endpoints and credentials, already resolved.

Built by the config layer (or by ``demo`` for the emulator's accounts). Secrets stay wrapped until the
signing call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from liqwatch.model import ExchangeId


class Secret:
    """A string that never shows itself in repr, str or a traceback's locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class FeedAccount:
    name: str
    exchange: ExchangeId
    rest_url: str
    ws_url: str
    api_key: Secret | None = None
    api_secret: Secret | None = None
    passphrase: Secret | None = None  # OKX's (required there), ccxt's ``password`` (optional)
    address: str | None = None  # Hyperliquid: the account's public address
    symbols: tuple[str, ...] = field(default_factory=tuple)  # extra unified symbols to watch beyond positions
    allow_trading_key: bool = False  # a key that can trade or transfer is accepted (with a standing warning)
    ccxt_id: str | None = None  # with exchange "ccxt": the ccxt exchange id (e.g. "krakenfutures")
    #: With exchange "ccxt": ccxt's own ``options`` for the instance, over the adapter's defaults.
    ccxt_options: dict[str, Any] | None = field(default=None, hash=False, compare=False)

    @property
    def market_exchange(self) -> ExchangeId:
        """The exchange id its markets and figures are kept under: ``ccxt:<id>`` for a generic account (two
        ccxt exchanges' ``BTC/USDT:USDT`` are two markets), else the exchange's own."""
        return f"ccxt:{self.ccxt_id}" if self.exchange == "ccxt" and self.ccxt_id else self.exchange
