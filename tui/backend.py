"""What the App watches: a snapshot source, the alerts, and a label; and how a live one is opened."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from widgets.ports import AlertPort, MonitorSource


@dataclass(frozen=True, slots=True)
class Backend:
    source: MonitorSource
    alerts: AlertPort | None = None
    label: str = ""


#: Opens feeds (and alerting) on the running loop, yields the backend, closes everything on exit.
Connect = Callable[[], AbstractAsyncContextManager[Backend]]
