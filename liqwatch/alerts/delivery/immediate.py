"""An alert sender that sends at once, from the running app (terminal, desktop): a minimum level and a rate limit.
What it drops is still in the log and in the app; only the interruption is spared."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.delivery.notification import Notification
from liqwatch.alerts.delivery.ratelimit import RateLimiter
from liqwatch.alerts.model import EventKind

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A send failed; the message is safe to log and store (no URL, no token)."""


class ImmediateSender(ABC):
    slow = False  # True when a send may take a while (a subprocess): the service runs it in the background

    def __init__(
        self,
        name: str,
        min_level: AlertLevel,
        per_minute: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.min_level = min_level
        self.limiter = RateLimiter(per_minute)
        self.monotonic = monotonic
        self.dropped = 0

    def accepts(self, level: AlertLevel) -> bool:
        return level.rank >= self.min_level.rank

    async def deliver(self, n: Notification) -> bool:
        """Send if the level is high enough and the rate allows; False when filtered or dropped."""
        if not self.accepts(n.level) or n.event is EventKind.REMINDED:
            # A reminder is for the webhooks: in the terminal the bell repeats on its own (``tick``).
            return False
        if not self.limiter.allow(self.monotonic()):
            self.dropped += 1
            log.info("%s: rate limit reached, alert %s not sent", self.name, n.alert_id)
            return False
        await self._send(n)
        return True

    async def send_test(self, n: Notification) -> None:
        """``liqwatch alerts test``: send whatever the level and rate limit (raises ``DeliveryError``)."""
        await self._send(n)

    @abstractmethod
    async def _send(self, n: Notification) -> None: ...
