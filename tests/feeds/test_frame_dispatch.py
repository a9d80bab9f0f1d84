"""The base's frame prelude, for any exchange's declared routes: record -> JSON -> shape -> exchange time ->
event type -> the exchange's handler; an unknown event type counted and logged once; a frame that cannot be
used counted as malformed and nothing of it applied. Shown on a toy exchange that declares only data."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from liqwatch.clock import FakeClock
from liqwatch.feed_channel import ChannelKind, ChannelState
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.adapter import FeedAdapter
from liqwatch.feeds.adapter_streams import FrameRoutes, StreamSpec, event_type_in
from liqwatch.feeds.stream import WS, StreamRunner
from liqwatch.feeds.wire import WireError
from liqwatch.model import AccountSpec, AccountState, Exchange
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorStore

T0 = datetime(2026, 5, 1, tzinfo=UTC)


class ToyAdapter(FeedAdapter):
    """All an exchange declares for its stream: where, what opens it, its channels, its frames' routes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mark = self.channel("mark", ChannelKind.MARKET)
        self.seen: list[dict[str, Any]] = []

    async def fetch_snapshot(self) -> AccountState:
        return AccountState(AccountSpec(self.account.name, Exchange.BINANCE), 0.0, (), as_of=self.clock.now())

    def routes(self) -> FrameRoutes:
        return FrameRoutes(event_type=lambda e: str(e.get("type")),
                           handlers={"tick": self._tick, "broken": self._broken},
                           ignored=frozenset({"ack"}),
                           exchange_time=lambda e: datetime.fromtimestamp(e["t"], UTC) if "t" in e else None)

    def stream_specs(self) -> list[StreamSpec]:
        async def url() -> str:
            return "ws://127.0.0.1:1/ws"

        async def on_open(ws: WS) -> None:
            pass

        return [StreamSpec("ws", url, on_open, (self.mark,), self.routes())]

    def _tick(self, event: dict[str, Any], raw: str, mono: float, receive: datetime) -> None:
        self.seen.append(event)

    def _broken(self, event: dict[str, Any], raw: str, mono: float, receive: datetime) -> None:
        raise WireError("price missing")


def toy() -> ToyAdapter:
    clock = FakeClock(T0)
    store = MonitorStore(clock)
    store.add_account(AccountSpec("toy", Exchange.BINANCE), risk_rules(Exchange.BINANCE))
    account = FeedAccount("toy", Exchange.BINANCE, "http://127.0.0.1:1", "ws://127.0.0.1:1")
    return ToyAdapter(account, store, None, clock)  # type: ignore[arg-type]  # no session: nothing is sent


def test_frames_are_dispatched_by_event_type_and_unknown_types_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    adapter = toy()
    read = adapter.frame_reader("ws", adapter.routes())
    now = adapter.clock.now()
    with caplog.at_level(logging.INFO):
        read('{"type": "tick", "p": 1}', 1.0, now)
        read('{"type": "ack"}', 1.0, now)
        read('{"type": "weird"}', 1.0, now)
        read('{"type": "weird"}', 1.0, now)
    assert adapter.seen == [{"type": "tick", "p": 1}]
    assert adapter.unknown_events == {"weird"} and adapter.malformed == 0
    assert caplog.text.count("ignoring unknown event type 'weird'") == 1


@pytest.mark.parametrize(("raw", "why"), [
    ("not json", "not JSON"),
    ('[1, 2]', "unexpected shape"),
    ('{"type": "broken"}', "price missing"),
])
def test_an_unusable_frame_is_one_malformed_frame(raw: str, why: str, caplog: pytest.LogCaptureFixture) -> None:
    adapter = toy()
    with caplog.at_level(logging.WARNING):
        adapter.frame_reader("ws", adapter.routes())(raw, 1.0, adapter.clock.now())
    assert adapter.malformed == 1 and adapter.seen == [] and why in caplog.text


def test_an_implausible_exchange_time_is_judged_before_dispatch() -> None:
    adapter = toy()
    ahead = (adapter.clock.now() + timedelta(days=400)).timestamp()
    adapter.frame_reader("ws", adapter.routes())(f'{{"type": "tick", "t": {ahead}}}', 1.0, adapter.clock.now())
    assert adapter.seen == [] and adapter.malformed == 1 and adapter.implausible_times == 1


def test_the_base_builds_and_wires_each_declared_stream() -> None:
    adapter = toy()
    (stream,) = adapter.build_streams()
    assert isinstance(stream, StreamRunner) and adapter.runner("ws") is stream
    assert adapter.stream_of(adapter.mark) is stream
    stream._on_down("connection lost")  # what the runner calls when its socket drops
    assert adapter.mark.state is ChannelState.RECONNECTING and adapter.mark.detail == "connection lost"


def test_a_frame_of_several_events_is_applied_whole_or_not_at_all_and_counts_once() -> None:
    adapter = toy()

    def tick(event: dict[str, Any], raw: str, mono: float, receive: datetime) -> Callable[[], None]:
        return lambda: adapter.seen.append(event)  # the effect: run once the whole frame has passed

    routes = FrameRoutes(event_type=event_type_in("type"), handlers={"tick": tick, "broken": adapter._broken},
                         events=lambda m: m["events"])
    read = adapter.frame_reader("ws", routes)
    now = adapter.clock.now()
    read('{"events": [{"type": "tick", "p": 1}, {"type": "broken"}, {"type": "broken"}]}', 1.0, now)
    read('{"events": [{"type": "tick", "p": 2}, {"type": {"wb": "98765.4321"}}]}', 1.0, now)
    assert adapter.seen == [] and adapter.malformed == 2  # one per frame, nothing of either applied
    read('{"events": [{"type": "tick", "p": 3}, {"type": "tick", "p": 4}]}', 1.0, now)
    assert [e["p"] for e in adapter.seen] == [3, 4]
