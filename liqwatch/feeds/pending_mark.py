"""A socket mark waiting in the adapter's hand-off queue (``FeedAdapter.ticks``) in the shape a lean frame
reader leaves it: the few numbers the engine uses, with no objects made per frame. Under a burst only the
newest per symbol is applied, so the ``MarkTick`` (a frozen dataclass and its ``Stamp``: the dearest part of a
frame's reading) is built once, when the store takes it, not once per frame.

The queue holds these beside ordinary ``MarkTick`` values; both are judged alike (by exchange time, never by
arrival) and ``tick()`` is the very tick the full parser would have made of the newest frame.
"""

from __future__ import annotations

from datetime import UTC, datetime

from liqwatch.feed_channel import Channel
from liqwatch.model import ExchangeId, MarkTick, Stamp


class PendingMark:
    """The newest judged frame of one symbol not applied yet. ``exchange_ms``: the exchange's epoch
    milliseconds (a time the clock check accepted, so a whole millisecond as a datetime, exactly);
    ``channel``/``mono``: the channel it came on and when, which counts it as data once applied."""

    __slots__ = ("channel", "exchange", "exchange_ms", "funding_rate", "index_price", "mark_price", "mono",
                 "next_funding_time", "receive_time", "symbol")
    #: Ordered by exchange time, as a ``MarkTick`` with a time is (``push_tick`` reads it).
    by_arrival = False

    def __init__(self, exchange: ExchangeId, symbol: str, channel: Channel, exchange_ms: int, mark_price: float,
                 index_price: float, funding_rate: float, next_funding_time: datetime, receive_time: datetime,
                 mono: float) -> None:
        self.exchange = exchange
        self.symbol = symbol
        self.channel = channel
        self.exchange_ms = exchange_ms
        self.mark_price = mark_price
        self.index_price = index_price
        self.funding_rate = funding_rate
        self.next_funding_time = next_funding_time
        self.receive_time = receive_time
        self.mono = mono

    @property
    def stamp(self) -> Stamp:
        """As the tick's (``push_tick`` compares a newer frame's exchange time with the queued one's)."""
        return Stamp(datetime.fromtimestamp(float(self.exchange_ms) / 1000.0, tz=UTC), self.receive_time)

    def tick(self) -> MarkTick:
        """The ``MarkTick`` the full parser makes of the same frame (same fields, same values)."""
        return MarkTick(self.exchange, self.symbol, self.mark_price, self.stamp, index_price=self.index_price,
                        funding_rate=self.funding_rate, next_funding_time=self.next_funding_time)
