"""The bell and terminal notifications, as the exact bytes written (plain and tmux-wrapped)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.alerts.delivery.notification import Notification
from liqwatch.alerts.delivery.terminal import (
    TerminalBell,
    TerminalNotifier,
    detect_protocols,
    notification_bytes,
    osc9,
    osc99,
    osc777,
    tmux_wrap,
)
from liqwatch.alerts.model import Alert, AlertKey, AlertState, EventKind

T = datetime(2026, 5, 1, 12, tzinfo=UTC)


def note(level: AlertLevel = AlertLevel.CRITICAL, event: EventKind = EventKind.RAISED,
         message: str = "main: risk 0.85, critical") -> Notification:
    return Notification("7", "3-1", event, level, "main", "risk", "", 0.85, 0.8, message,
                        "2026-05-01T12:00:00.000Z", "2026-05-01T12:00:00.000Z")


class Mono:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_osc_sequences_exact_bytes() -> None:
    assert osc9("liqwatch CRITICAL: main", "risk 0.85") == b"\x1b]9;liqwatch CRITICAL: main: risk 0.85\x07"
    assert osc777("liqwatch: a;b", "x;y") == b"\x1b]777;notify;liqwatch: a,b;x,y\x07"
    assert osc99("liqwatch-3-1", "T", "B", 2) == (
        b"\x1b]99;i=liqwatch-3-1:d=0:u=2;T\x1b\\" b"\x1b]99;i=liqwatch-3-1:d=1:p=body;B\x1b\\"
    )


def test_tmux_passthrough_doubles_every_escape() -> None:
    assert tmux_wrap(b"\x1b]9;hi\x07") == b"\x1bPtmux;\x1b\x1b]9;hi\x07\x1b\\"
    wrapped = tmux_wrap(osc99("i", "T", "B", 1))
    assert wrapped.startswith(b"\x1bPtmux;\x1b\x1b]99;") and wrapped.endswith(b"\x1b\x1b\\\x1b\\")
    inner = wrapped[len(b"\x1bPtmux;"):-2]
    assert inner.replace(b"\x1b\x1b", b"").count(b"\x1b") == 0  # no lone ESC could end the passthrough


async def test_notifier_writes_one_chunk_plain_and_in_tmux() -> None:
    plain, tmux = io.BytesIO(), io.BytesIO()
    await TerminalNotifier(plain, ("osc9", "osc777")).deliver(note())
    await TerminalNotifier(tmux, ("osc9",), tmux=True).deliver(note())
    body = b"main: risk 0.85, critical [alert 3-1]"
    assert plain.getvalue() == (b"\x1b]9;liqwatch CRITICAL: " + body + b"\x07"
                                b"\x1b]777;notify;liqwatch CRITICAL: main;" + body + b"\x07")
    assert tmux.getvalue() == b"\x1bPtmux;\x1b\x1b]9;liqwatch CRITICAL: " + body + b"\x07\x1b\\"


async def test_control_characters_from_an_exchange_cannot_escape_the_sequence() -> None:
    out = io.BytesIO()
    evil = "main: Hyperliquid error: \x1b]52;c;cm0gLXJmIH4=\x07\x9b31m done"
    await TerminalNotifier(out, ("osc9",)).deliver(note(message=evil))
    data = out.getvalue()
    assert data.count(b"\x1b") == 1 and data.count(b"\x07") == 1  # only our own introducer and terminator
    assert "\x9b" not in data.decode("utf-8")


async def test_min_level_and_rate_limit_per_channel() -> None:
    out, mono = io.BytesIO(), Mono()
    ch = TerminalNotifier(out, ("osc9",), min_level=AlertLevel.CRITICAL, per_minute=2, monotonic=mono)
    assert not await ch.deliver(note(AlertLevel.WARNING))
    assert await ch.deliver(note()) and await ch.deliver(note())
    assert not await ch.deliver(note())  # third within a minute: dropped
    mono.t += 60
    assert await ch.deliver(note())
    assert out.getvalue().count(b"\x1b]9;") == 3 and ch.dropped == 1


def _critical_state(acked: bool = False, snoozed_until: datetime | None = None) -> AlertState:
    a = Alert("3-1", AlertKey("main", AlertRule.RISK), AlertLevel.CRITICAL, 0.85, 0.8, "m", T, T,
              AlertLevel.CRITICAL, acked_at=T if acked else None, snoozed_until=snoozed_until)
    return AlertState(active={a.key: a})


async def test_bell_rings_with_the_alert_then_repeats_until_acknowledged() -> None:
    out, mono = io.BytesIO(), Mono()
    bell = TerminalBell(out, repeat_s=30, per_minute=100, monotonic=mono)
    assert await bell.deliver(note())
    assert not await bell.deliver(note(AlertLevel.WARNING))  # below the bell's level
    assert not bell.tick(_critical_state(), T)
    mono.t += 29
    assert not bell.tick(_critical_state(), T)
    mono.t += 1
    assert bell.tick(_critical_state(), T)
    mono.t += 30
    assert not bell.tick(_critical_state(acked=True), T)
    assert not bell.tick(_critical_state(snoozed_until=T + timedelta(minutes=5)), T)
    await bell.deliver(note(event=EventKind.CLEARED))  # good news is silent
    assert out.getvalue() == b"\x07\x07"


def test_auto_protocols_from_the_environment() -> None:
    assert detect_protocols({"TERM": "xterm-kitty"}) == ("osc99",)
    assert detect_protocols({"TERM_PROGRAM": "iTerm.app"}) == ("osc9",)
    assert detect_protocols({"TERM": "foot"}) == ("osc777",)
    assert detect_protocols({"TERM": "xterm-256color"}) == ("osc9", "osc777")
    assert notification_bytes(note(), (), tmux=False) == b""
