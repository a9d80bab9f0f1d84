"""One ``[[accounts]]`` entry: which exchange, where its credentials come from, endpoint overrides.

Only the shape is checked here; whether the named environment variables or keyring entries exist is
decided at run time by ``liqwatch.config.secrets.resolve_credentials``, so that one account missing its
key is disabled while the others run.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, SecretStr, field_validator, model_validator

from liqwatch.config.alerts import MODEL_CONFIG, AlertOverrides
from liqwatch.config.errors import field_error
from liqwatch.model import Exchange

ExchangeName = Literal["binance", "bybit", "okx", "hyperliquid", "ccxt"]
CredentialSource = Literal["environment", "keyring", "file", "address"]

# What `config check` prints in place of a secret; a file saved from that output must not pass it as a key.
REDACTED = "**********"

_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")
_ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_CCXT_ID = re.compile(r"[a-z][a-z0-9_]{1,31}")
_HL_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")

KEY_ENV_FIELDS = ("api_key_env", "api_secret_env", "passphrase_env")
LITERAL_FIELDS = ("api_key", "api_secret", "passphrase")


def _env_name(value: str) -> str:
    # Upper case only: an API key pasted here by mistake (mixed case, or hex) is refused by the
    # pattern rather than echoed later as "environment variable <key> is not set".
    if not _ENV_NAME.fullmatch(value):
        raise ValueError(
            "must be the NAME of an environment variable (upper-case letters, digits and _), not the key itself"
        )
    return value


def _secret(value: SecretStr) -> SecretStr:
    raw = value.get_secret_value()
    if not raw.strip():
        raise ValueError("must not be empty")
    if raw == REDACTED:
        raise ValueError("is the redaction placeholder printed by `liqwatch config check`, not a secret")
    return value


def _base_url(value: str, schemes: tuple[str, str]) -> str:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError("is not a valid URL (bad host or port)") from None
    wanted = " or ".join(f"{s}://" for s in schemes)
    if parts.scheme.lower() not in schemes:
        raise ValueError(f"must start with {wanted}")
    if not parts.hostname:
        raise ValueError("must name a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain a user name or password")
    if parts.path not in ("", "/"):
        raise ValueError("must be a base URL (scheme, host and port only): the adapter appends the real paths")
    if parts.query or parts.fragment or value.rstrip().endswith(("?", "#")):
        raise ValueError("must not contain a query (?...) or fragment (#...)")
    host = parts.hostname
    if ":" in host:  # IPv6 literal: urlsplit strips the brackets
        host = f"[{host}]"
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")


def _rest_url(value: str) -> str:
    return _base_url(value.strip(), ("http", "https"))


def _ws_url(value: str) -> str:
    return _base_url(value.strip(), ("ws", "wss"))


def _name(value: str) -> str:
    if not _ACCOUNT_NAME.fullmatch(value):
        raise ValueError("must be 1-32 characters: letters, digits, '_', '.', '-', starting with a letter or digit")
    return value


def _ccxt_id(value: str) -> str:
    if not _CCXT_ID.fullmatch(value):
        raise ValueError("must be a ccxt exchange id (lower-case letters, digits and _), e.g. kraken")
    return value


def _address(value: str) -> str:
    if not _HL_ADDRESS.fullmatch(value.strip()):
        raise ValueError("must be a wallet address: 0x followed by 40 hex digits (never the private key)")
    return value.strip().lower()


EnvName = Annotated[str, AfterValidator(_env_name)]
Secret = Annotated[SecretStr, AfterValidator(_secret)]
RestUrl = Annotated[str, AfterValidator(_rest_url)]
WsUrl = Annotated[str, AfterValidator(_ws_url)]


class Account(BaseModel):
    """``[[accounts]]``: one exchange account to watch."""

    model_config = MODEL_CONFIG

    name: Annotated[str, AfterValidator(_name)]
    """Unique name shown in the app and used in the database (1-32 characters: letters, digits, ``_.-``)."""

    exchange: ExchangeName
    """``binance``, ``bybit``, ``okx``, ``hyperliquid``, or ``ccxt`` for the generic ccxt adapter."""

    enabled: bool = True
    """Set to false to keep the entry without watching the account."""

    allow_trading_key: bool = False
    """Accept an API key that can trade or transfer funds (it is then watched with a standing warning). By
    default such a key is refused: liqwatch only reads. A key that can withdraw is refused whatever this says."""

    ccxt_id: Annotated[str, AfterValidator(_ccxt_id)] | None = None
    """The ccxt exchange id (e.g. ``kraken``); required with ``exchange = "ccxt"``, refused otherwise."""

    ccxt_options: dict[str, Any] | None = None
    """With ``exchange = "ccxt"`` only: ccxt's own ``options`` for the instance (e.g. ``defaultType``), over
    liqwatch's defaults. They cannot widen what it may send: the read-only guards check every request."""

    api_key_env: EnvName | None = None
    """Name of the environment variable holding the API key (recommended source)."""

    api_secret_env: EnvName | None = None
    """Name of the environment variable holding the API secret; required with ``api_key_env``."""

    passphrase_env: EnvName | None = None
    """Name of the environment variable holding the API passphrase: required for OKX, optional for ccxt
    (ccxt's ``password``), refused for Binance and Bybit."""

    keyring_service: str | None = Field(default=None, min_length=1, max_length=128)
    """Read the credentials from the system keyring under this service name instead of the environment.
    Needs the optional ``keyring`` package; without it the account is disabled with a message."""

    keyring_username: str | None = Field(default=None, min_length=1, max_length=128)
    """Prefix of the keyring user names (default: the account ``name``); the entries are
    ``<prefix>/api_key``, ``<prefix>/api_secret`` and ``<prefix>/passphrase``."""

    api_key: Secret | None = None
    """The API key written in the file itself. Accepted only when the file is readable by its owner alone
    (``chmod 600``); prefer ``api_key_env``."""

    api_secret: Secret | None = None
    """The API secret written in the file itself (same rule as ``api_key``)."""

    passphrase: Secret | None = None
    """The API passphrase written in the file itself (same rule as ``api_key``)."""

    address: Annotated[str, AfterValidator(_address)] | None = None
    """Hyperliquid only (and ccxt, as ccxt's ``walletAddress``): the public wallet address (0x + 40 hex
    digits). Read-only; no key is used."""

    rest_url: RestUrl | None = None
    """Base URL (``http(s)://host[:port]``, no path) replacing every REST host of the exchange: testnet,
    proxy or the local emulator. The adapter appends the real paths."""

    ws_url: WsUrl | None = None
    """Base URL (``ws(s)://host[:port]``, no path) replacing every WebSocket host of the exchange."""

    alerts: AlertOverrides = AlertOverrides()
    """``[accounts.alerts]``: this account's overrides of the ``[alerts]`` thresholds."""

    @field_validator("keyring_service", "keyring_username")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and (not value.isprintable() or value != value.strip()):
            raise ValueError("must be printable text without leading or trailing spaces")
        return value

    @model_validator(mode="after")
    def _check_credentials(self) -> Account:
        if self.exchange == "ccxt" and self.ccxt_id is None:
            raise field_error("ccxt_id", 'is required with exchange = "ccxt"')
        if self.exchange != "ccxt" and self.ccxt_id is not None:
            raise field_error("ccxt_id", 'is only used with exchange = "ccxt"')
        if self.exchange != "ccxt" and self.ccxt_options is not None:
            raise field_error("ccxt_options", 'is only used with exchange = "ccxt"')
        if self.exchange == "hyperliquid":
            self._check_hyperliquid()
        else:
            if self.address is not None and self.exchange != "ccxt":
                raise field_error("address", "is only used by hyperliquid accounts (and ccxt ones, as ccxt's "
                                  "walletAddress)")
            if self.exchange != "ccxt" or self.address is None or self._has_key_source():
                self._check_key_sources()
        return self

    def _check_hyperliquid(self) -> None:
        if self.address is None:
            raise field_error("address", "is required: hyperliquid accounts are watched by wallet address")
        for name in (*KEY_ENV_FIELDS, *LITERAL_FIELDS, "keyring_service", "keyring_username"):
            if getattr(self, name) is not None:
                raise field_error(name, "is not used by hyperliquid accounts (read by address, no key): remove it")
        if self.allow_trading_key:
            raise field_error("allow_trading_key", "is not used by hyperliquid accounts (read by address, no key)")

    def _check_key_sources(self) -> None:
        # One entry per source in use, naming its first field that is set, so errors blame a real line.
        used = [
            next(f for f in fields if getattr(self, f) is not None)
            for fields in (KEY_ENV_FIELDS, LITERAL_FIELDS, ("keyring_service",))
            if any(getattr(self, f) is not None for f in fields)
        ]
        if not used:
            raise field_error(
                "api_key_env",
                "no credentials configured: set api_key_env and api_secret_env (or keyring_service, "
                "or api_key and api_secret in a chmod 600 file)",
            )
        if len(used) > 1:
            raise field_error(used[1], f"choose one credential source per account (also set: {used[0]})")
        if self.keyring_username is not None and self.keyring_service is None:
            raise field_error("keyring_username", "is only used with keyring_service")
        if used[0] in KEY_ENV_FIELDS:
            self._check_parts(KEY_ENV_FIELDS)
            if self.api_key_env == self.api_secret_env:
                raise field_error("api_secret_env", "names the same variable as api_key_env")
        elif used[0] in LITERAL_FIELDS:
            self._check_parts(LITERAL_FIELDS)

    def _check_parts(self, fields: tuple[str, str, str]) -> None:
        key, secret, passphrase = fields
        for name in (key, secret):
            if getattr(self, name) is None:
                raise field_error(name, f"is required with {key if name == secret else secret}")
        if self.exchange == "okx" and getattr(self, passphrase) is None:
            raise field_error(passphrase, "is required for okx accounts")
        if self.exchange in ("binance", "bybit") and getattr(self, passphrase) is not None:
            raise field_error(passphrase, f"is not used by {self.exchange} accounts")

    def _has_key_source(self) -> bool:
        return any(v is not None for v in (self.keyring_service, self.api_key, self.api_key_env, self.api_secret,
                                           self.api_secret_env))

    @property
    def native_exchange(self) -> Exchange | None:
        """The engine's ``Exchange`` for a native adapter; ``None`` for the generic ccxt adapter."""
        return None if self.exchange == "ccxt" else Exchange(self.exchange)

    @property
    def credential_source(self) -> CredentialSource:
        """Where this account's credentials come from (by shape; resolution may still fail)."""
        if self.exchange == "hyperliquid" or (self.exchange == "ccxt" and self.address is not None
                                              and not self._has_key_source()):
            return "address"  # a ccxt exchange read by wallet address alone (Hyperliquid through ccxt)
        if self.keyring_service is not None:
            return "keyring"
        if self.api_key is not None:
            return "file"
        return "environment"

    @property
    def has_literal_secrets(self) -> bool:
        return any(getattr(self, f) is not None for f in LITERAL_FIELDS)
