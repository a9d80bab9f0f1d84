"""The ccxt instances liqwatch makes share one TLS context (``ccxt_instance.share_ssl_context``): the one ccxt
would make for each (its CA file, certificates and host names verified), made once per process instead of at
every instance's first request. An instance whose context ccxt changes keeps its own."""

from __future__ import annotations

import ssl
from typing import Any

from liqwatch.feeds import ccxt_instance

from .support import account


def _raw(ccxt_id: str, options: dict[str, Any] | None = None) -> Any:
    ex = ccxt_instance.create_exchange(account(ccxt_id, "http://127.0.0.1:9"), options=options)
    return object.__getattribute__(ex, "_exchange")  # the ccxt instance behind the read-only wrapper


async def test_instances_share_the_context_ccxt_would_make() -> None:
    a, b = _raw("bybit"), _raw("okx")
    try:
        a.open()
        b.open()  # where ccxt makes its context when it has none, and hands it to aiohttp
        assert a.ssl_context is b.ssl_context
        context = a.ssl_context
        assert isinstance(context, ssl.SSLContext)
        assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
        own = ssl.create_default_context(cafile=a.cafile)  # what ccxt's open() makes
        assert context.cert_store_stats() == own.cert_store_stats()
        assert context.cert_store_stats()["x509_ca"] > 0
        assert a.tcp_connector._ssl is context  # what the requests use
    finally:
        await a.close()
        await b.close()


async def test_an_instance_adding_the_systems_certificates_keeps_its_own_context() -> None:
    shared, own = _raw("bybit"), _raw("bybit", {"include_OS_certificates": True})
    try:
        shared.open()
        own.open()
        assert isinstance(own.ssl_context, ssl.SSLContext)
        assert own.ssl_context is not shared.ssl_context
    finally:
        await shared.close()
        await own.close()
