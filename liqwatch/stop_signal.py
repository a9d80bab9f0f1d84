"""SIGTERM as a clean stop. Services are stopped with SIGTERM (``systemctl stop``, ``docker stop``, ``kill
<pid>``), whose default action ends the process at once: no ``finally`` runs, so no "liqwatch stopped"
notice, the record's queued writes dropped unsaid, the run marker left for the next start to call an
unclean stop. ``run`` is ``asyncio.run`` with SIGTERM handled as Ctrl-C is: the main task is cancelled, so
every ``async with`` closes as on any exit (the heartbeat's notice sent, the record given its ``aclose``
wait, the marker removed), and ``Terminated`` is raised once it has. The handler is removed at the end, so
SIGTERM does its default again (a second one while stopping is ignored: the first is being honoured; a
supervisor's SIGKILL after its grace period still ends it).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

#: The exit status of a process stopped by SIGTERM, as a shell reports one (128 + 15).
EXIT_TERMINATED = 128 + int(getattr(signal, "SIGTERM", 15))


class Terminated(KeyboardInterrupt):
    """Raised by ``run`` after a SIGTERM stopped its coroutine cleanly (a KeyboardInterrupt, so that code
    that treats Ctrl-C as "the user stopped it" treats this the same)."""


def run(main: Coroutine[Any, Any, T]) -> T:
    fired = False
    task: asyncio.Task[T] | None = None

    async def wrapper() -> T:
        nonlocal task
        task = asyncio.current_task()
        return await main

    def on_term() -> None:
        nonlocal fired
        if fired:
            return
        fired = True
        if task is not None and not task.done():
            task.cancel()

    with asyncio.Runner() as runner:
        loop = runner.get_loop()
        installed = hasattr(signal, "SIGTERM")
        if installed:
            try:
                loop.add_signal_handler(signal.SIGTERM, on_term)
            except (NotImplementedError, RuntimeError, ValueError):
                installed = False  # not the main thread, or no signals on this platform: default action
        try:
            return runner.run(wrapper())
        except asyncio.CancelledError:
            if fired:
                raise Terminated from None
            raise
        finally:
            if installed:
                loop.remove_signal_handler(signal.SIGTERM)  # back to the default action
