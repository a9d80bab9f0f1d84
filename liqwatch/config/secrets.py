"""Resolving an account's credentials at run time: ``Credentials`` to connect with, or ``Disabled`` with
the reason, so that one account missing its key stops only that account.

A reason names the environment variable or keyring entry that is missing, never a value; a blank value
counts as missing (never a blank or guessed key).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from pydantic import SecretStr

from liqwatch.config.accounts import Account, CredentialSource


@dataclass(frozen=True, slots=True)
class Credentials:
    """What an adapter needs to connect one account. Secrets stay ``SecretStr`` until the adapter calls
    ``get_secret_value()`` to sign a request."""

    account: str
    source: CredentialSource
    origin: str
    """Human description of where they came from, e.g. "environment variables BYBIT_KEY, BYBIT_SECRET"."""
    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    passphrase: SecretStr | None = None
    address: str | None = None
    """Hyperliquid wallet address (public)."""


@dataclass(frozen=True, slots=True)
class Disabled:
    """The account is not watched; ``reason`` says why and what to do, in one line."""

    account: str
    reason: str


def resolve_credentials(account: Account, environ: Mapping[str, str] | None = None) -> Credentials | Disabled:
    """The credentials of ``account`` from its configured source, or why it is disabled.

    ``environ`` defaults to ``os.environ``. Keyring lookups import the optional ``keyring`` package here.
    """
    if not account.enabled:
        return Disabled(account.name, "disabled in the config (enabled = false)")
    source = account.credential_source
    if source == "address":
        return Credentials(account.name, source, "wallet address (read-only)", address=account.address)
    if source == "file":
        return Credentials(
            account.name,
            source,
            "the config file",
            api_key=account.api_key,
            api_secret=account.api_secret,
            passphrase=account.passphrase,
            address=account.address,
        )
    found = _from_keyring(account) if source == "keyring" else _from_environment(
        account, os.environ if environ is None else environ)
    # A ccxt account may carry a public address beside its keys (ccxt's walletAddress).
    return replace(found, address=account.address) if isinstance(found, Credentials) and account.address else found


def resolve_all(
    accounts: Iterable[Account], environ: Mapping[str, str] | None = None
) -> dict[str, Credentials | Disabled]:
    """``resolve_credentials`` for every account, by account name, in file order."""
    return {account.name: resolve_credentials(account, environ) for account in accounts}


def _from_environment(account: Account, environ: Mapping[str, str]) -> Credentials | Disabled:
    names = {
        "api_key": account.api_key_env,
        "api_secret": account.api_secret_env,
        "passphrase": account.passphrase_env,
    }
    values: dict[str, SecretStr] = {}
    unset: list[str] = []
    empty: list[str] = []
    for part, var in names.items():
        if var is None:
            continue
        value = environ.get(var)
        if value is None:
            unset.append(var)
        elif not value.strip():
            empty.append(var)
        else:
            values[part] = SecretStr(value)
    problems = []
    if unset:
        problems.append(f"{_plural(unset)} {'is' if len(unset) == 1 else 'are'} not set")
    if empty:
        problems.append(f"{_plural(empty)} {'is' if len(empty) == 1 else 'are'} empty")
    if problems:
        return Disabled(account.name, "; ".join(problems))
    used = [var for var in names.values() if var is not None]
    return Credentials(
        account.name,
        "environment",
        _plural(used),
        api_key=values["api_key"],
        api_secret=values["api_secret"],
        passphrase=values.get("passphrase"),
    )


def _plural(variables: list[str]) -> str:
    noun = "environment variable" if len(variables) == 1 else "environment variables"
    return f"{noun} {', '.join(variables)}"


def _from_keyring(account: Account) -> Credentials | Disabled:
    service = account.keyring_service or ""
    prefix = account.keyring_username or account.name
    try:
        keyring = importlib.import_module("keyring")
    except ImportError:
        return Disabled(
            account.name,
            "keyring_service is set but the optional 'keyring' package is not installed "
            "(pip install keyring), or use api_key_env / api_secret_env instead",
        )
    get_password: Callable[[str, str], str | None] = keyring.get_password
    required = ["api_key", "api_secret", *(["passphrase"] if account.exchange == "okx" else [])]
    optional = ["passphrase"] if account.exchange == "ccxt" else []
    values: dict[str, SecretStr] = {}
    missing: list[str] = []
    try:
        for part in (*required, *optional):
            value = get_password(service, f"{prefix}/{part}")
            if value is not None and value.strip():
                values[part] = SecretStr(value)
            elif part in required:
                missing.append(f"{prefix}/{part}")
    except Exception as exc:  # keyring backends raise their own types; never print their text (may echo data)
        return Disabled(account.name, f"keyring lookup failed ({type(exc).__name__}) in service '{service}'")
    if missing:
        entries = ", ".join(missing)
        return Disabled(account.name, f"keyring service '{service}' has no (or an empty) entry for user {entries}")
    return Credentials(
        account.name,
        "keyring",
        f"keyring service '{service}'",
        api_key=values["api_key"],
        api_secret=values["api_secret"],
        passphrase=values.get("passphrase"),
    )
