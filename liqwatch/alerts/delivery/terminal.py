"""The terminal bell and terminal notifications, as exact bytes on an injectable binary stream.

OSC 9 (iTerm2, WezTerm, Windows Terminal, Ghostty), OSC 777 ``notify`` (foot, urxvt, VTE with the Fedora
patch) and kitty's OSC 99. Inside tmux an OSC is swallowed unless wrapped in tmux's passthrough DCS
(``ESC P tmux; ... ESC \\`` with every inner ESC doubled; tmux >= 3.3 also needs
``set -g allow-passthrough on``). The bell is not wrapped: tmux passes BEL on through its own bell handling.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.delivery.immediate import DeliveryError, ImmediateSender
from liqwatch.alerts.delivery.notification import Notification, sanitize
from liqwatch.alerts.model import AlertState, EventKind

ESC = b"\x1b"
BEL = b"\x07"
ST = ESC + b"\\"


class ByteStream(Protocol):
    def write(self, data: bytes, /) -> int: ...

    def flush(self) -> None: ...


def _text(text: str, limit: int) -> bytes:
    return sanitize(text, limit).encode("utf-8")


def osc9(title: str, body: str) -> bytes:
    # The text must not start with a digit and ';' (ConEmu reads "9;4;..." as a progress bar): the title
    # always starts with "liqwatch".
    return ESC + b"]9;" + _text(f"{title}: {body}", 400) + BEL


def osc777(title: str, body: str) -> bytes:
    # ';' separates the fields, so it cannot appear inside them.
    return (ESC + b"]777;notify;" + _text(title.replace(";", ","), 120) + b";"
            + _text(body.replace(";", ","), 400) + BEL)


def osc99(ident: str, title: str, body: str, urgency: int) -> bytes:
    """kitty: the title in one sequence with d=0 (more to come), the body in a second with p=body."""
    ident_b = "".join(c for c in ident if c.isalnum() or c in "-_").encode("ascii") or b"liqwatch"
    meta = b"i=" + ident_b
    return (ESC + b"]99;" + meta + b":d=0:u=" + str(urgency).encode() + b";" + _text(title, 120) + ST
            + ESC + b"]99;" + meta + b":d=1:p=body;" + _text(body, 400) + ST)


def tmux_wrap(seq: bytes) -> bytes:
    return ESC + b"Ptmux;" + seq.replace(ESC, ESC + ESC) + ST


def detect_protocols(environ: Mapping[str, str]) -> tuple[str, ...]:
    """Best guess from the environment; OSC 9 and OSC 777 for an unknown terminal (it ignores both)."""
    term = environ.get("TERM", "")
    program = environ.get("TERM_PROGRAM", "")
    if "KITTY_WINDOW_ID" in environ or term == "xterm-kitty":
        return ("osc99",)
    if (program in ("iTerm.app", "WezTerm", "ghostty") or environ.get("LC_TERMINAL") == "iTerm2"
            or "WT_SESSION" in environ or term == "xterm-ghostty"):
        return ("osc9",)
    if term.startswith(("foot", "rxvt")):
        return ("osc777",)
    return ("osc9", "osc777")


def resolve_protocols(requested: Sequence[str], environ: Mapping[str, str]) -> tuple[str, ...]:
    out: list[str] = []
    for p in requested:
        for q in detect_protocols(environ) if p == "auto" else (p,):
            if q not in out:
                out.append(q)
    return tuple(out)


def _urgency(n: Notification) -> int:
    if n.event is EventKind.CLEARED:
        return 0
    return 2 if n.level.is_critical else 1


def notification_bytes(n: Notification, protocols: Sequence[str], tmux: bool) -> bytes:
    parts = []
    for p in protocols:
        if p == "osc9":
            parts.append(osc9(n.headline, n.body))  # one line: the body already names the account
        elif p == "osc777":
            parts.append(osc777(n.title, n.body))
        elif p == "osc99":
            parts.append(osc99(f"liqwatch-{n.alert_id}", n.title, n.body, _urgency(n)))
    return b"".join(tmux_wrap(s) if tmux else s for s in parts)


def _write(stream: ByteStream, data: bytes) -> None:
    try:
        # One write per notification, so another writer cannot land inside an escape sequence.
        stream.write(data)
        stream.flush()
    except (OSError, ValueError) as exc:  # ValueError: the stream was closed
        raise DeliveryError(f"terminal write failed: {type(exc).__name__}") from None


class TerminalNotifier(ImmediateSender):
    def __init__(self, stream: ByteStream, protocols: Sequence[str], *, tmux: bool = False,
                 min_level: AlertLevel = AlertLevel.WARNING, per_minute: int = 10,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__("terminal", min_level, per_minute, monotonic)
        self.stream = stream
        self.protocols = tuple(protocols)
        self.tmux = tmux

    async def _send(self, n: Notification) -> None:
        data = notification_bytes(n, self.protocols, self.tmux)
        if data:
            _write(self.stream, data)


class TerminalBell(ImmediateSender):
    """BEL for each alert sent, and again every ``repeat_s`` while a critical alert is neither acknowledged
    nor snoozed (``tick``, called on every evaluation)."""

    def __init__(self, stream: ByteStream, *, min_level: AlertLevel = AlertLevel.CRITICAL, repeat_s: float = 30.0,
                 per_minute: int = 6, monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__("bell", min_level, per_minute, monotonic)
        self.stream = stream
        self.repeat_s = repeat_s
        self._last_ring: float | None = None

    async def _send(self, n: Notification) -> None:
        if n.event is EventKind.CLEARED:
            return  # good news does not ring
        self._ring()

    def _ring(self) -> None:
        _write(self.stream, BEL)
        self._last_ring = self.monotonic()

    def tick(self, state: AlertState, now: datetime) -> bool:
        """Ring again if it is time; True when it rang."""
        if self.repeat_s <= 0 or not state.needs_attention(now):
            return False
        mono = self.monotonic()
        if self._last_ring is not None and mono - self._last_ring < self.repeat_s:
            return False
        if self._last_ring is None:
            # The first ring came with the alert itself (or was filtered out by level): start the period.
            self._last_ring = mono
            return False
        if not self.limiter.allow(mono):
            return False
        self._ring()
        return True
