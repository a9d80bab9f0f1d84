"""Configured accounts -> what the adapters need (endpoints resolved from the exchange's registry entry,
credentials unwrapped lazily), and the adapters themselves (``build_adapter``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from liqwatch.clock import Clock
from liqwatch.config import Credentials, Disabled, Settings, resolve_credentials
from liqwatch.feeds.account_config import FeedAccount, Secret
from liqwatch.feeds.adapter import FeedAdapter
from liqwatch.feeds.frame_recorder import FrameRecorder
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.registry import feed_entry
from liqwatch.feeds.rest import RestGates
from liqwatch.feeds.sink import FeedSink
from liqwatch.model import Exchange, ExchangeId
from liqwatch.redact import register_secret


def feed_options(settings: Settings) -> FeedOptions:
    f = settings.feeds
    return FeedOptions(
        market_max_age_s=f.market_max_age_s,
        reconcile_interval_s=f.reconcile_interval_s,
        connect_timeout_s=f.connect_timeout_s,
        max_body_bytes=f.max_body_bytes,
    )


def feed_accounts(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> tuple[list[FeedAccount], dict[str, tuple[ExchangeId, str]]]:
    """Enabled accounts with resolved credentials, and the disabled ones with their reason."""
    accounts: list[FeedAccount] = []
    disabled: dict[str, tuple[ExchangeId, str]] = {}
    for acc in settings.accounts:
        # Open-ended: "ccxt" (its ccxt_id beside it) as well as ours, which are given as their Exchange member.
        exchange: ExchangeId = Exchange(acc.exchange) if acc.exchange in Exchange._value2member_map_ else acc.exchange
        if not acc.enabled:
            disabled[acc.name] = (exchange, "disabled in the configuration (enabled = false)")
            continue
        creds = resolve_credentials(acc, environ)
        if isinstance(creds, Disabled):
            disabled[acc.name] = (exchange, creds.reason)
            continue
        accounts.append(_feed_account(acc.name, exchange, acc.rest_url, acc.ws_url, creds, acc.allow_trading_key,
                                      acc.ccxt_id, acc.ccxt_options))
    return accounts, disabled


def _feed_account(
    name: str, exchange: ExchangeId, rest_url: str | None, ws_url: str | None, creds: Credentials,
    allow_trading_key: bool = False, ccxt_id: str | None = None, ccxt_options: dict[str, Any] | None = None,
) -> FeedAccount:
    entry = feed_entry(exchange)
    default_rest, default_ws = entry.endpoints if entry is not None else ("", "")
    key = creds.api_key.get_secret_value() if creds.api_key is not None else None
    secret = creds.api_secret.get_secret_value() if creds.api_secret is not None else None
    passphrase = creds.passphrase.get_secret_value() if creds.passphrase is not None else None
    register_secret(key)
    register_secret(secret)
    register_secret(passphrase)
    return FeedAccount(
        name=name,
        exchange=exchange,
        rest_url=rest_url or default_rest,
        ws_url=ws_url or default_ws,
        api_key=Secret(key) if key is not None else None,
        api_secret=Secret(secret) if secret is not None else None,
        passphrase=Secret(passphrase) if passphrase is not None else None,
        address=creds.address,
        allow_trading_key=allow_trading_key,
        ccxt_id=ccxt_id,
        ccxt_options=ccxt_options,
    )


def build_adapter(
    account: FeedAccount, sink: FeedSink, session: aiohttp.ClientSession, clock: Clock,
    options: FeedOptions | None = None, recorder: FrameRecorder | None = None, *, gates: RestGates | None = None,
) -> FeedAdapter | None:
    """The adapter of ``account``'s exchange, from its registry entry; None when the exchange has no live feed.
    ``gates``: the Monitor's REST gates, shared by its accounts on one endpoint. Raises ValueError for an
    account its adapter cannot watch (e.g. no key, no address)."""
    entry = feed_entry(account.exchange)
    if entry is None:
        return None
    return entry.adapter(account, sink, session, clock, options, recorder, gates=gates)
