"""What an API key may do, read from the exchange at start: a monitor needs to read, nothing more.

Binance ``GET /sapi/v1/account/apiRestrictions`` ("Get API Key Permission", Wallet endpoints) reports the
key's flags. A key that can withdraw is refused, always: liqwatch never needs it, and a leaked copy of it
empties the account. A key that can trade or move funds between accounts is refused unless the account's
entry sets ``allow_trading_key = true``; then it is watched with a standing warning. A key without an IP
restriction is watched with a warning. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from liqwatch.feeds.wire import WireError

HOW_TO_READ_ONLY = (
    "make a read-only key: Binance > API Management > Edit restrictions, keep only 'Enable Reading' "
    "(untick trading, transfers and withdrawals) and restrict it to your IP"
)
#: The flags that let the key do more than read, with what each lets it do. Withdrawals are never allowed.
WITHDRAW = ("enableWithdrawals", "withdraw funds")
TRADING = (
    ("enableFutures", "trade futures"),
    ("enableSpotAndMarginTrading", "trade spot and margin"),
    ("enableMargin", "borrow and transfer margin"),
    ("enableVanillaOptions", "trade options"),
    ("enablePortfolioMarginTrading", "trade under portfolio margin"),
    ("enableInternalTransfer", "transfer between accounts"),
    ("permitsUniversalTransfer", "make universal transfers"),
)


class KeyRefused(Exception):
    """The key can do more than read and the account's configuration does not allow it: not watched."""


@dataclass(frozen=True, slots=True)
class KeyVerdict:
    refused: str | None  # why the key is not used, or None
    warnings: tuple[str, ...]  # standing warnings for a key that is used


def binance_key_verdict(payload: Any, allow_trading_key: bool) -> KeyVerdict:
    """The verdict on one Binance key from its ``apiRestrictions`` answer; a WireError if it cannot be read
    (a key whose permissions are unknown is never taken for a read-only one)."""
    if not isinstance(payload, dict):
        raise WireError("apiRestrictions: expected an object")

    def flag(name: str) -> bool:
        value = payload.get(name, False)  # a flag Binance does not send for this key is not granted
        if not isinstance(value, bool):
            raise WireError(f"apiRestrictions: field {name!r} is not a boolean")
        return value

    if flag(WITHDRAW[0]):
        return KeyVerdict(f"the API key can {WITHDRAW[1]} ({WITHDRAW[0]}); liqwatch never uses a key that can "
                          f"withdraw: {HOW_TO_READ_ONLY}", ())
    granted = [(name, what) for name, what in TRADING if flag(name)]
    warnings: list[str] = []
    if granted:
        named = ", ".join(f"{what} ({name})" for name, what in granted)
        if not allow_trading_key:
            return KeyVerdict(f"the API key can {named}; liqwatch only reads: {HOW_TO_READ_ONLY}, or set "
                              "allow_trading_key = true in this account's [[accounts]] entry to accept it", ())
        warnings.append(f"the API key can {named} (accepted by allow_trading_key = true); a read-only key is "
                        "safer")
    if "ipRestrict" not in payload:
        raise WireError("apiRestrictions: missing field 'ipRestrict'")
    if not flag("ipRestrict"):
        warnings.append("the API key has no IP restriction: anyone holding it can use it from anywhere; "
                        "restrict it to your IP in Binance > API Management")
    return KeyVerdict(None, tuple(warnings))
