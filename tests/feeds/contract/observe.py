"""What the contract suite observes, all of it public behaviour: the emulator's side of the wire (sockets it
accepted, REST calls it answered, listen keys it holds), the store's channels and snapshots, and the log.
Nothing here reads an adapter's attributes, so the suite holds for any adapter that keeps the behaviour."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from liqwatch.emulator import EmulatorServer
from liqwatch.emulator.rest_fault_shapes import exchange_of
from liqwatch.emulator.streams import ConnKind
from liqwatch.feed_channel import Channel, ChannelState
from liqwatch.model import Side
from liqwatch.monitor import Monitor
from tests.feeds.contract.profiles import ExchangeProfile
from tests.feeds.ws_relay import Relay

LIVE = ChannelState.LIVE


def connects(emu: EmulatorServer, *kinds: ConnKind) -> int:
    """Sockets of ``kinds`` the emulator has accepted so far (each a connect of the adapter)."""
    return sum(emu.hub.accepted[k] for k in kinds)


def open_sockets(emu: EmulatorServer, kind: ConnKind) -> int:
    return len(emu.hub.of(frozenset({kind})))


@dataclass
class Rest:
    """The REST calls the emulator answered, from a mark on (``since``)."""

    emu: EmulatorServer
    since: int = 0

    @classmethod
    def mark(cls, emu: EmulatorServer) -> Rest:
        return cls(emu, len(emu.requests))

    def calls(self, exchange: str | None = None) -> list[tuple[str, str, int]]:
        rows = list(self.emu.requests)[self.since:]
        return [r for r in rows if exchange is None or exchange_of(r[1]) == exchange]

    def answered(self, path: str, status: int = 200) -> int:
        return sum(1 for _, p, s in self.calls() if p == path and s == status)

    def snapshots(self, profile: ExchangeProfile) -> int:
        """Full account snapshots (resyncs and reconciliations) answered with success."""
        return self.answered(profile.snapshot_path)

    def mark_snapshots(self, profile: ExchangeProfile) -> int:
        return self.answered(profile.mark_snapshot_path)


def reconciliations(relay: Relay, profile: ExchangeProfile) -> int:
    """Account snapshots answered with success, as the relay saw them (it reads a POST's question too)."""
    return sum(1 for path, body, status in list(relay.rest)
               if path == profile.snapshot_path and profile.snapshot_body in body and status == 200)


def suspends(log: Logs, account: str) -> int:
    """Suspends the adapter concluded (and resynced after), as it logs them."""
    return log.count(f"{account}: resumed after", "suspended", level=logging.WARNING)


def clock_checked(log: Logs, account: str) -> bool:
    """The exchange's clock has been read after a gap: a suspend or a step of the local wall clock concluded."""
    return suspends(log, account) > 0 or log.count(f"{account}: the wall clock stepped") > 0


def channels(monitor: Monitor, account: str) -> list[Channel]:
    return list(monitor.store.channels(account))


def channel(monitor: Monitor, account: str, name: str) -> Channel:
    return next(c for c in monitor.store.channels(account) if c.name == name)


def all_live(monitor: Monitor, *accounts: str) -> bool:
    return all(c.state is LIVE for a in accounts for c in monitor.store.channels(a))


def feed_tasks_of(account: str) -> list[str]:
    """The names of the account's running loops (``account:loop``): a reconnect must not start one twice."""
    return sorted(t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith(f"{account}:"))


@dataclass
class Logs(logging.Handler):
    """Every record liqwatch logs while installed (own handler: independent of caplog and of other tests)."""

    records: list[logging.LogRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        logging.Handler.__init__(self, logging.DEBUG)

    def __hash__(self) -> int:
        return id(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self, level: int = logging.DEBUG) -> list[str]:
        return [r.getMessage() for r in list(self.records) if r.levelno >= level]

    def count(self, *parts: str, level: int = logging.DEBUG) -> int:
        return sum(1 for m in self.messages(level) if all(p in m for p in parts))

    def text(self) -> str:
        return "\n".join(self.messages())

    def malformed(self, account: str) -> int:
        """Frames the adapter counted as malformed (each one logged at WARNING, account first)."""
        return self.count(f"{account}/", "malformed frame", level=logging.WARNING)


@contextlib.contextmanager
def logs() -> Iterator[Logs]:
    handler = Logs()
    logger = logging.getLogger("liqwatch")
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


def size(monitor: Monitor, account: str, symbol: str, side: Side = Side.LONG) -> float | None:
    """The size of a leg as the snapshot shows it (None: not held)."""
    view = monitor.store.snapshot().account(account)
    return next((p.risk.size for p in view.positions if (p.risk.symbol, p.risk.side) == (symbol, side)), None)


def mark(monitor: Monitor, account: str, symbol: str) -> float | None:
    """The mark behind the account's row of ``symbol`` in the snapshot."""
    view = monitor.store.snapshot().account(account)
    return next((p.risk.mark_price for p in view.positions if p.risk.symbol == symbol), None)


def wallet(monitor: Monitor, account: str) -> float | None:
    risk = monitor.store.snapshot().account(account).risk
    return None if risk is None else risk.wallet_balance


def down_reasons(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """(account, channel, detail) each time a channel is set RECONNECTING: why its socket went down, as the
    channel tells the trader (a detail the next state replaces at once, so a poll could miss it)."""
    seen: list[tuple[str, str, str]] = []
    original = Channel.reconnecting

    def reconnecting(self: Channel, detail: str = "") -> None:
        seen.append((self.account, self.name, detail))
        original(self, detail)

    monkeypatch.setattr(Channel, "reconnecting", reconnecting)
    return seen
