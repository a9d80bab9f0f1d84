"""The App: themes, the keymap from ``[ui.bindings]``, the command palette, and the feeds' task.

Thin on purpose: the main screen owns the panes and reads the engine's snapshots; ``launch`` builds what is watched.
Build it with ``make_app``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterable
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.screen import Screen

from liqwatch.config.settings import UiSettings
from liqwatch.storage.record import CLOSE_WAIT_S
from tui.backend import Backend, Connect
from tui.bindings import APP_BINDINGS, key_help
from tui.screens.confirm_quit import ConfirmQuitScreen
from tui.screens.help import HelpScreen
from tui.screens.monitor import MonitorScreen
from tui.themes import THEMES, next_theme, theme_name
from widgets.keyed_table import KeyedTable
from widgets.styled import DEFAULT_VARIABLES


class LiqwatchApp(App[None]):
    CSS_PATH = "liqwatch.tcss"
    TITLE = "liqwatch"
    BINDINGS: ClassVar[list[BindingType]] = APP_BINDINGS

    def __init__(self, ui: UiSettings, *, backend: Backend | None = None, connect: Connect | None = None,
                 stop_after_s: float | None = None) -> None:
        super().__init__()
        for theme in THEMES.values():
            self.register_theme(theme)
        self.theme = theme_name(ui.theme)
        ours = {t.name for t in THEMES.values()}
        for name in [n for n in self.available_themes if n not in ours]:
            self.unregister_theme(name)  # Textual's own: a palette offers liqwatch's four, not twenty more
        self.ui = ui
        self.keymap = dict(ui.bindings)
        self.monitor = MonitorScreen(ui.refresh_hz, backend)
        self._connect = None if backend is not None else connect
        self._stop_after_s = stop_after_s
        self._feeds: asyncio.Task[None] | None = None
        self._sigterm = False

    def get_default_screen(self) -> Screen[None]:
        return self.monitor

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(DEFAULT_VARIABLES)

    async def on_ready(self) -> None:
        # Ready, not Mount: the main screen's panes exist only once the first screen is composed.
        self.set_keymap(self.keymap)
        if self._connect is not None:
            # The feeds are tasks on this (Textual's) loop; parsing never blocks painting for long.
            self._feeds = asyncio.create_task(self._run_feeds(self._connect), name="liqwatch-feeds")
        if self._stop_after_s is not None:
            self.set_timer(self._stop_after_s, self.exit)
        self._sigterm = _on_sigterm(self.exit)


    async def _run_feeds(self, connect: Connect) -> None:
        try:
            async with connect() as backend:
                self.monitor.attach(backend)
                await self.monitor.pull(force=True, settle=False)  # the alerts may be stuck: never wait
                await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failed start is shown, not a crash: the trader must see why
            self.notify(f"cannot start the feeds: {exc}", severity="error", timeout=60)

    async def on_unmount(self) -> None:
        if self._sigterm:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)  # its default action again
            self._sigterm = False
        # Close sockets and the emulator before the loop ends, rather than leaving tasks to be destroyed.
        if self._feeds is not None:
            self._feeds.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                # Time for the record to land its queue (its aclose waits up to CLOSE_WAIT_S), then go.
                await asyncio.wait_for(self._feeds, timeout=CLOSE_WAIT_S + 5)

    # --- app-wide actions ------------------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.keymap))

    def action_cycle_theme(self) -> None:
        self.theme = next_theme(self.theme)
        self.notify(f"Theme: {self.theme.removeprefix('liqwatch-')}", timeout=2)

    async def action_quit(self) -> None:
        # Textual's own quit (ctrl+q, the palette's "Quit") must ask too while alerts are active.
        self.action_request_quit()

    def action_request_quit(self) -> None:
        alerts = self.monitor.alert_list()
        if not alerts:
            self.exit()
            return
        now = self.monitor.pump.latest.time if self.monitor.pump and self.monitor.pump.latest else None
        attention = sum(1 for a in alerts if now is not None and a.needs_attention(now))

        def answered(quit_: bool | None) -> None:
            if quit_:
                self.exit()

        self.push_screen(ConfirmQuitScreen(len(alerts), attention), answered)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every action of every key list, with its key, then Textual's own commands."""
        for k in key_help(self.keymap):
            if k.group in ("Everywhere", "Main screen", "Tables") and k.id != "command_palette":
                yield SystemCommand(f"{k.description} ({k.keys})", f"action {k.id}", self._runner(k.group, k.action))
        # Textual's "Theme" would be a second theme entry beside ours; its "Quit" and "Keys" are ours too.
        yield from (c for c in super().get_system_commands(screen) if c.title not in ("Quit", "Keys", "Theme"))

    def _runner(self, group: str, action: str) -> Callable[[], object]:
        async def run() -> None:
            if group == "Tables":
                focused = self.monitor.focused
                target = focused if isinstance(focused, KeyedTable) else self.monitor.focused_table()
                await self.run_action(action, target)
            elif group == "Main screen":
                await self.run_action(action, self.monitor)
            else:
                await self.run_action(action)

        return run


def _on_sigterm(exit_app: Callable[[], object]) -> bool:
    """SIGTERM (systemctl stop, docker stop, kill) quits the App as `q` does, without asking: the feeds and
    the alerts close on unmount ("liqwatch stopped" sent, the record's queue given its chance, the run
    marker removed). False where no handler can be installed (not the main thread, no such signal)."""
    if not hasattr(signal, "SIGTERM"):
        return False
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, exit_app)
    except (NotImplementedError, RuntimeError, ValueError):
        return False
    return True


def make_app(ui: UiSettings | None = None, *, backend: Backend | None = None, connect: Connect | None = None,
             stop_after_s: float | None = None) -> LiqwatchApp:
    """The App watching ``backend`` (already running, e.g. a scripted store in tests) or what ``connect``
    opens on the App's own loop (the demo's emulator and feeds, or the configured accounts)."""
    return LiqwatchApp(ui or UiSettings(), backend=backend, connect=connect, stop_after_s=stop_after_s)
