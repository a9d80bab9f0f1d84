"""What a generic (ccxt) account's key may do, read through ccxt where it exposes a way, judged by the same
rules as the native adapters' (``key_permissions.binance_key_verdict``, Bybit's ``key_verdict``, OKX's
``okx_key_verdict``): a key that can withdraw is refused, always; one that can trade or move funds only with
``allow_trading_key``; one whose permissions cannot be read is not taken for a read-only one.

The reads are ccxt's implicit methods (``KEY_PERMISSION_METHODS``), the one implicit method each id's wrapper
lets through: Binance ``GET /sapi/v1/account/apiRestrictions``, Bybit ``GET /v5/user/query-api``, OKX
``GET /api/v5/account/config``. Another id has none liqwatch knows: ``read_key_verdict`` says so (None), and
the caller decides (stage 2: a standing warning that the key's permissions were not checked).
"""

from __future__ import annotations

from typing import Any

from liqwatch.feeds.bybit_client import key_verdict as bybit_key_verdict
from liqwatch.feeds.ccxt_allowlist import KEY_PERMISSION_METHODS
from liqwatch.feeds.ccxt_guard import ReadOnlyExchange
from liqwatch.feeds.key_permissions import KeyRefused, KeyVerdict, binance_key_verdict
from liqwatch.feeds.okx_client import okx_key_verdict
from liqwatch.feeds.okx_wire import parse_config
from liqwatch.feeds.wire import WireError

__all__ = ["checks_keys", "key_verdict", "read_key_verdict", "require_read_only"]


def checks_keys(ccxt_id: str) -> bool:
    """Whether liqwatch can read a key's permissions for this ccxt id."""
    return ccxt_id in KEY_PERMISSION_METHODS


def key_verdict(ccxt_id: str, payload: Any, allow_trading_key: bool) -> KeyVerdict:
    """The verdict on a key from the answer of the id's permission read (as ccxt returns it: the decoded JSON).
    A key whose permissions the answer does not state is refused, never taken for a read-only one."""
    try:
        if ccxt_id == "binanceusdm":
            return binance_key_verdict(payload, allow_trading_key)
        if ccxt_id == "bybit":
            refused, warnings = bybit_key_verdict(payload, allow_trading_key)
            return KeyVerdict(refused, warnings)
        if ccxt_id == "okx":
            rows = payload.get("data") if isinstance(payload, dict) else None
            return okx_key_verdict(parse_config(rows if isinstance(rows, list) else []), allow_trading_key)
    except WireError as exc:
        return KeyVerdict(f"the API key's permissions could not be read: {exc}; liqwatch never uses a key whose "
                          "permissions are unknown", ())
    raise ValueError(f"ccxt {ccxt_id}: liqwatch has no way to read its keys' permissions")


async def read_key_verdict(exchange: ReadOnlyExchange, allow_trading_key: bool) -> KeyVerdict | None:
    """The key's verdict, read from the exchange through the wrapped instance; None for an id without a
    permission read liqwatch knows. The exchange's own refusal (a revoked key) is raised as ccxt raises it."""
    method = KEY_PERMISSION_METHODS.get(exchange.ccxt_id)
    if method is None:
        return None
    payload = await getattr(exchange, method)()
    return key_verdict(exchange.ccxt_id, payload, allow_trading_key)


async def require_read_only(exchange: ReadOnlyExchange, allow_trading_key: bool) -> tuple[str, ...] | None:
    """The key's standing warnings, or ``KeyRefused`` for a key that may not be used (one that can withdraw,
    always); None when the id has no permission read."""
    verdict = await read_key_verdict(exchange, allow_trading_key)
    if verdict is None:
        return None
    if verdict.refused is not None:
        raise KeyRefused(f"ccxt {exchange.ccxt_id} ({exchange.account}): {verdict.refused}")
    return verdict.warnings
