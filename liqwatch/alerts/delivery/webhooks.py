"""Webhook formats (generic JSON, ntfy, Telegram Bot API, Slack-compatible) and one HTTP attempt.

A URL or bot token is a secret (anyone holding it can post to the trader or read the topic): it stays in a
``SecretStr`` until the request is made, and errors name the webhook and the failure class or HTTP status,
never the URL (aiohttp's exception texts include it).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from pydantic import SecretStr

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.delivery.notification import Notification
from liqwatch.alerts.delivery.ratelimit import RateLimiter
from liqwatch.alerts.model import EventKind

TELEGRAM_API = "https://api.telegram.org"
_MAX_RESPONSE = 64 * 1024


class RetryableError(Exception):
    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PermanentError(Exception):
    """The endpoint refused the request (4xx): retrying the same request cannot help."""


@dataclass(frozen=True, slots=True)
class HttpRequest:
    url: str  # holds the secret: never log or store it
    headers: dict[str, str]
    body: bytes


def _ascii(text: str) -> str:
    # HTTP header values are Latin-1 at best; ntfy titles are short, ASCII is enough.
    return text.encode("ascii", "replace").decode("ascii")


_NTFY_PRIORITY = {AlertLevel.INFO: "2", AlertLevel.WARNING: "3", AlertLevel.CRITICAL: "4",
                  AlertLevel.LIQUIDATION_IMMINENT: "5"}
_NTFY_TAGS = {AlertLevel.INFO: "information_source", AlertLevel.WARNING: "warning",
              AlertLevel.CRITICAL: "rotating_light", AlertLevel.LIQUIDATION_IMMINENT: "rotating_light,skull"}


def build_request(kind: str, url: str, n: Notification, *, token: str | None = None,
                  chat_id: str | None = None) -> HttpRequest:
    if kind == "generic":
        headers = {"Content-Type": "application/json", "Idempotency-Key": f"liqwatch-{n.alert_id}-{n.id}"}
        return HttpRequest(url, headers, n.to_json().encode("utf-8"))
    if kind == "ntfy":
        cleared = n.event is EventKind.CLEARED
        headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "Title": _ascii(n.title),
            "Priority": "2" if cleared else _NTFY_PRIORITY[n.level],
            "Tags": "white_check_mark" if cleared else _NTFY_TAGS[n.level],
        }
        return HttpRequest(url, headers, n.body.encode("utf-8"))
    if kind == "telegram":
        if not token or not chat_id:
            raise ValueError("telegram needs a bot token and a chat id")
        body = {"chat_id": chat_id, "text": f"{n.title}\n{n.body}", "disable_web_page_preview": True}
        return HttpRequest(f"{url.rstrip('/')}/bot{token}/sendMessage", {"Content-Type": "application/json"},
                           json.dumps(body, ensure_ascii=False).encode("utf-8"))
    if kind == "slack":
        return HttpRequest(url, {"Content-Type": "application/json"},
                           json.dumps({"text": f"*{n.title}*\n{n.body}"}, ensure_ascii=False).encode("utf-8"))
    raise ValueError(f"unknown webhook kind {kind!r}")


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


async def post(session: aiohttp.ClientSession, request: HttpRequest, timeout_s: float) -> None:
    """One attempt. Raises ``RetryableError`` (network, timeout, 408/425/429, 5xx) or ``PermanentError``."""
    try:
        async with asyncio.timeout(timeout_s):
            async with session.post(request.url, data=request.body, headers=request.headers,
                                    allow_redirects=False) as resp:
                await resp.content.read(_MAX_RESPONSE)
                status = resp.status
                retry_after = _retry_after(resp.headers.get("Retry-After"))
    except TimeoutError:
        raise RetryableError(f"timed out after {timeout_s:g} s") from None
    except aiohttp.ClientError as exc:
        raise RetryableError(type(exc).__name__) from None
    if 200 <= status < 300:
        return
    if status in (408, 425, 429) or status >= 500:
        raise RetryableError(f"HTTP {status}", retry_after)
    # A redirect is refused too: following it could send the alert (and a token in the path) elsewhere.
    raise PermanentError(f"HTTP {status}")


class WebhookChannel:
    """A configured webhook; sent from the outbox by ``OutboxSender``."""

    def __init__(self, name: str, kind: str, url: SecretStr, *, token: SecretStr | None = None,
                 chat_id: str | None = None, min_level: AlertLevel = AlertLevel.CRITICAL, per_minute: int = 20,
                 timeout_s: float = 10.0, retry_for_s: float = 3600.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.kind = kind
        self._url = url
        self._token = token
        self.chat_id = chat_id
        self.min_level = min_level
        self.limiter = RateLimiter(per_minute)
        self.timeout_s = timeout_s
        self.retry_for_s = retry_for_s
        self.monotonic = monotonic

    def __repr__(self) -> str:
        return f"WebhookChannel({self.name!r}, kind={self.kind!r})"

    def accepts(self, level: AlertLevel) -> bool:
        return level.rank >= self.min_level.rank

    def request(self, n: Notification) -> HttpRequest:
        token = self._token.get_secret_value() if self._token is not None else None
        return build_request(self.kind, self._url.get_secret_value(), n, token=token, chat_id=self.chat_id)

    async def send(self, session: aiohttp.ClientSession, n: Notification) -> None:
        await post(session, self.request(n), self.timeout_s)
