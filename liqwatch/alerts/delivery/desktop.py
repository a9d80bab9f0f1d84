"""Desktop notifications through ``notify-send`` (libnotify), when it is on PATH."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import Callable

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.delivery.immediate import DeliveryError, ImmediateSender
from liqwatch.alerts.delivery.notification import Notification
from liqwatch.alerts.model import EventKind

TIMEOUT_S = 5.0


class DesktopNotifier(ImmediateSender):
    slow = True

    def __init__(self, *, min_level: AlertLevel = AlertLevel.CRITICAL, per_minute: int = 10,
                 which: Callable[[str], str | None] = shutil.which, timeout_s: float = TIMEOUT_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__("desktop", min_level, per_minute, monotonic)
        self._which = which
        self.timeout_s = timeout_s

    @property
    def available(self) -> bool:
        return self._which("notify-send") is not None

    async def _send(self, n: Notification) -> None:
        exe = self._which("notify-send")
        if exe is None:
            raise DeliveryError("notify-send is not on PATH")
        urgency = "low" if n.event is EventKind.CLEARED else "critical" if n.level.is_critical else "normal"
        proc = await asyncio.create_subprocess_exec(
            exe, "-a", "liqwatch", "-u", urgency, "--", n.title, n.body,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            async with asyncio.timeout(self.timeout_s):
                code = await proc.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise DeliveryError("notify-send timed out") from None
        if code != 0:
            raise DeliveryError(f"notify-send exited with {code}")
