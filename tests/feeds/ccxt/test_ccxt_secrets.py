"""A generic account's key, secret and password never show: not in the wrapper's repr or str, not in an error
raised through it (an exchange that echoes them back), not in ccxt's own debug log line of the signed request.
Each check has its control: the raw ccxt instance, or a log handler without the redaction, does show them."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator

import pytest
from aiohttp import web

from liqwatch.feeds import ccxt_instance
from liqwatch.redact import RedactingFilter
from tests.emulator.helpers import LIMIT_S

from .support import account, recorder

# Values of this file's own (registered by create_exchange, masked everywhere in this process from then on).
KEY = "ccxtStage1Key" + "7" * 24
SECRET = "ccxtStage1Secret" + "Q" * 32
PASSWORD = "pw-stage1-x9"
CREDS = (KEY, SECRET, PASSWORD, None)


def _echo(request: web.Request) -> web.Response:
    """An exchange that repeats what it got, and (the worst case) the secret too, in its refusal."""
    echoed = " ".join(f"{k}={v}" for k, v in request.headers.items())
    return web.json_response({"code": -2015, "msg": f"Invalid API-key {echoed} {SECRET} {PASSWORD}",
                              "error": "authenticationError", "result": "error"}, status=401)


def _hidden(text: str) -> bool:
    return not any(s in text for s in (KEY, SECRET, PASSWORD))


@pytest.fixture
def ccxt_log() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """ccxt's logger at DEBUG into two buffers: one through liqwatch's redaction, one raw (the control)."""
    logger = logging.getLogger("ccxt")
    clean, raw = io.StringIO(), io.StringIO()
    filtered, unfiltered = logging.StreamHandler(clean), logging.StreamHandler(raw)
    filtered.addFilter(RedactingFilter())
    old = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(unfiltered)  # first: the filter rewrites the record for the handlers after it
    logger.addHandler(filtered)
    try:
        yield clean, raw
    finally:
        logger.removeHandler(filtered)
        logger.removeHandler(unfiltered)
        logger.setLevel(old)


def test_the_wrapper_shows_no_credential() -> None:
    ex = ccxt_instance.create_exchange(account("okx", creds=CREDS))
    for text in (repr(ex), str(ex), f"{ex}", repr([ex])):
        assert _hidden(text) and "okx" in text and "generic-okx" in text
    assert ex._exchange.apiKey == KEY and ex._exchange.password == PASSWORD  # ccxt does hold them


#: A signed read first for the three whose key-permission read is let through (their key is in the request's
#: headers, so in ccxt's log line); for the other two, fetch_balance (its market load fails first, unsigned: the
#: echoed secret and password are what must not show).
CALLS = [("binanceusdm", "sapiGetAccountApiRestrictions", True), ("okx", "privateGetAccountConfig", True),
         ("bybit", "privateGetV5UserQueryApi", True), ("krakenfutures", "fetch_balance", False),
         ("bitget", "fetch_balance", False)]


@pytest.mark.parametrize(("ccxt_id", "read", "signed"), CALLS)
async def test_an_error_raised_through_the_wrapper_and_the_log_show_no_credential(
    ccxt_id: str, read: str, signed: bool, ccxt_log: tuple[io.StringIO, io.StringIO]
) -> None:
    clean, raw = ccxt_log
    async with asyncio.timeout(LIMIT_S), recorder(_echo) as (base, seen):
        ex = ccxt_instance.create_exchange(account(ccxt_id, base, creds=CREDS), enable_rate_limit=False,
                                           options={"fetchCurrencies": False})
        try:
            with pytest.raises(Exception) as wrapped:
                await getattr(ex, read)()
            with pytest.raises(Exception) as unwrapped:  # the control: ccxt's own error repeats the answer
                await getattr(ex._exchange, read)()
        finally:
            await ex.close()
    assert seen, "the signed read went out"
    assert not _hidden(str(unwrapped.value))
    assert _hidden(str(wrapped.value)) and _hidden(repr(wrapped.value)) and "***" in str(wrapped.value)
    assert type(wrapped.value) is type(unwrapped.value)  # the same ccxt error class, its text redacted
    assert wrapped.value.__suppress_context__  # the unredacted original is not printed beneath it
    assert "Request:" in raw.getvalue() and not _hidden(raw.getvalue())
    assert (KEY in raw.getvalue()) is signed  # ccxt logs the key header of a signed request
    assert "Request:" in clean.getvalue() and _hidden(clean.getvalue())
