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
from urllib.parse import urlsplit

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
    ("enableFixApiTrade", "trade over the FIX API"),
    ("enableInternalTransfer", "transfer between accounts"),
    ("permitsUniversalTransfer", "make universal transfers"),
)
#: The flags known to grant reading only (Binance's "Enable Reading", and FIX API reading). Any other
#: ``enable*``/``permits*`` flag set true is a permission liqwatch does not know: it may be one that trades or
#: moves funds (Binance added enablePortfolioMarginTrading and enableFixApiTrade after the others), so it is
#: judged as one that does more than read.
READ_ONLY = frozenset({"enableReading", "enableFixReadOnly"})
_KNOWN = READ_ONLY | {WITHDRAW[0]} | {name for name, _ in TRADING}
_PERMISSION_PREFIXES = ("enable", "permits")

#: Binance's USDⓈ-M REST host, whose keys' wallet endpoints (/sapi) are on the spot host.
_FAPI_HOST, _WALLET_BASE = "fapi.binance.com", "https://api.binance.com"
#: Hosts run by Binance: one of these other than the USDⓈ-M host (a testnet, a regional or new host) has no
#: wallet host liqwatch knows of, so the key's permissions cannot be read.
_BINANCE_DOMAINS = ("binance.com", "binancefuture.com", "binance.vision")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def binance_wallet_base(rest_url: str) -> str | None:
    """Where ``/sapi/v1/account/apiRestrictions`` is asked for a key used on ``rest_url``, or None when no
    wallet host is known for it. The URL is compared normalised (scheme and host case, a default port, a
    trailing slash or dot): ``https://FAPI.binance.com:443/`` is the USDⓈ-M host, whose wallet is on the spot
    host. Another host (a proxy, the emulator) is asked itself: if it does not serve the endpoint, its answer
    says so. Another Binance host is not: asking fapi's own host would answer 404, and the key go unchecked."""
    parts = urlsplit(rest_url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").rstrip(".")
    try:
        port = parts.port
    except ValueError:
        return None
    if port == _DEFAULT_PORTS.get(scheme):
        port = None
    if host == _FAPI_HOST and port is None and parts.path.strip("/") == "":
        return _WALLET_BASE
    if any(host == d or host.endswith("." + d) for d in _BINANCE_DOMAINS):
        return None
    netloc = f"[{host}]" if ":" in host else host
    return f"{scheme}://{netloc}" + (f":{port}" if port is not None else "") + parts.path.rstrip("/")


class KeyRefused(Exception):
    """The key can do more than read and the account's configuration does not allow it: not watched."""


@dataclass(frozen=True, slots=True)
class KeyVerdict:
    refused: str | None  # why the key is not used, or None
    warnings: tuple[str, ...]  # standing warnings for a key that is used


def binance_key_verdict(payload: Any, allow_trading_key: bool) -> KeyVerdict:
    """The verdict on one Binance key from its ``apiRestrictions`` answer; a WireError if it cannot be read
    (a key whose permissions are unknown is never taken for a read-only one): an answer that does not say
    whether the key can withdraw, or whether it has an IP restriction, cannot be judged at all."""
    if not isinstance(payload, dict):
        raise WireError("apiRestrictions: expected an object")

    def flag(name: str) -> bool:
        value = payload.get(name, False)
        if not isinstance(value, bool):
            raise WireError(f"apiRestrictions: field {name!r} is not a boolean")
        return value

    for name, what in (WITHDRAW, ("ipRestrict", "is restricted to an IP")):
        if name not in payload:
            raise WireError(f"apiRestrictions: missing field {name!r}: the answer does not say whether the key "
                            f"can {what}, and a key whose permissions are unknown is not used")
    if flag(WITHDRAW[0]):
        return KeyVerdict(f"the API key can {WITHDRAW[1]} ({WITHDRAW[0]}); liqwatch never uses a key that can "
                          f"withdraw: {HOW_TO_READ_ONLY}", ())
    granted = [(name, what) for name, what in TRADING if flag(name)]
    granted += [(name, "use a permission liqwatch does not know") for name in sorted(payload)
                if name.startswith(_PERMISSION_PREFIXES) and name not in _KNOWN and flag(name)]
    # A trading flag Binance did not send: whether the key has it is not known, so it is not read-only either.
    unknown = [(name, what) for name, what in TRADING if name not in payload]
    warnings: list[str] = []
    if granted:
        named = ", ".join(f"{what} ({name})" for name, what in granted)
        if not allow_trading_key:
            return KeyVerdict(f"the API key can {named}; liqwatch only reads: {HOW_TO_READ_ONLY}, or set "
                              "allow_trading_key = true in this account's [[accounts]] entry to accept it", ())
        warnings.append(f"the API key can {named} (accepted by allow_trading_key = true); a read-only key is "
                        "safer")
    if unknown:
        named = ", ".join(f"{what} ({name})" for name, what in unknown)
        if not allow_trading_key:
            return KeyVerdict(f"the API key's permissions cannot be verified: Binance's answer does not say "
                              f"whether it can {named}; liqwatch only uses a key known to be read-only: "
                              f"{HOW_TO_READ_ONLY}, or set allow_trading_key = true in this account's "
                              "[[accounts]] entry to accept it", ())
        warnings.append(f"the API key's permissions are not all known: Binance did not say whether it can "
                        f"{named} (accepted by allow_trading_key = true)")
    if not flag("ipRestrict"):
        warnings.append("the API key has no IP restriction: anyone holding it can use it from anywhere; "
                        "restrict it to your IP in Binance > API Management")
    return KeyVerdict(None, tuple(warnings))
