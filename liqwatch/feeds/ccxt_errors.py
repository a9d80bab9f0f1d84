"""ccxt's exceptions -> the adapters' REST errors (``liqwatch.feeds.rest_errors``), so that the generic
adapter's base reacts to them as to a native adapter's: a refused key disables the account, a rate limit
waits, anything else is retried; and a call that never answers is a timeout, never a wait forever.

ccxt is imported here only inside ``translated``, when a ccxt call has raised (ccxt is loaded by then).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from liqwatch.feeds.key_permissions import KeyRefused
from liqwatch.feeds.rest_errors import AuthError, Maintenance, RateLimited, RestError
from liqwatch.redact import redact

T = TypeVar("T")

#: A rate limit without a time of its own: waited this long (ccxt's own retry waits on top of ``rateLimit``).
RATE_LIMIT_WAIT_S = 5.0


def translated(exc: BaseException, what: str) -> RestError:
    """``exc`` raised by ccxt during ``what``, as the RestError the adapter base understands."""
    import ccxt  # loaded already: only a ccxt call raises these

    text = f"{what}: {type(exc).__name__}: {redact(str(exc))[:300]}"
    if isinstance(exc, ccxt.AuthenticationError | ccxt.PermissionDenied | ccxt.AccountSuspended):
        return AuthError(text)
    if isinstance(exc, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        return RateLimited(text, RATE_LIMIT_WAIT_S)
    if isinstance(exc, ccxt.OnMaintenance):  # its parent ExchangeNotAvailable is also a refused connection
        return Maintenance(text, RATE_LIMIT_WAIT_S)
    return RestError(text)


async def bounded(call: Awaitable[T], timeout_s: float, what: str) -> T:
    """``call`` within ``timeout_s`` (ccxt can wait forever on a dead connection), its errors translated."""
    try:
        async with asyncio.timeout(timeout_s):
            return await call
    except TimeoutError:
        raise RestError(f"{what}: no answer in {timeout_s:g} s") from None
    except RestError:
        raise
    except KeyRefused:
        raise  # liqwatch's own verdict on the key: the account is disabled, never retried
    except Exception as exc:
        raise translated(exc, what) from None
