"""The exchange's clock as we can know it, and the rule that keeps implausible exchange times out of the store.

The local wall clock can jump (NTP, a user, a suspended laptop); the exchange's cannot, for our purposes. So we
never order anything by local wall time: we measure the offset between the exchange's clock and ours at every
reconciliation (Binance ``GET /fapi/v1/time``, Hyperliquid's ``time`` in ``clearinghouseState``) and judge a
frame's exchange time against receive time plus that offset. A time more than ``FUTURE_TOLERANCE_S`` ahead is
impossible (the exchange has not got there yet) and would freeze ordering if applied; one more than
``PAST_LIMIT_S`` behind is not a time at all (typically seconds sent where milliseconds are expected).

A record of the exchange's history (a funding payment, a fill, read back over REST or replayed by a stream's
snapshot) may be days old: it is held to the same future limit, and must not be older than ``EARLIEST_RECORD``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from liqwatch.clock import Clock

FUTURE_TOLERANCE_S = 5.0
PAST_LIMIT_S = 24 * 3600.0
# No exchange we watch has records before 2019 (Binance USDⓈ-M futures opened in September 2019, Hyperliquid in
# 2023): an older time is seconds read as milliseconds (1970) or garbage.
EARLIEST_RECORD = datetime(2019, 1, 1, tzinfo=UTC)


class ServerClock:
    """Offset of one exchange's clock from our wall clock, re-measured at every reconciliation."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.offset_s = 0.0  # exchange minus local; 0 until first measured (assume a right local clock)
        self.measurements = 0
        # offset_s as a timedelta, made again only when offset_s changes: every frame's time is judged with it.
        self._delta_of = 0.0
        self._delta = timedelta(0)

    def measure(self, before: datetime, server: datetime, after: datetime) -> None:
        """``server`` read between local ``before`` and ``after``: the exchange said it at their midpoint."""
        mid = before + (after - before) / 2
        self.offset_s = (server - mid).total_seconds()
        self.measurements += 1

    def exchange_time(self, local: datetime) -> datetime:
        """The exchange's time at local wall time ``local`` (e.g. a receive time)."""
        if self.offset_s != self._delta_of:
            self._delta_of, self._delta = self.offset_s, timedelta(seconds=self.offset_s)
        return local + self._delta

    def now(self) -> datetime:
        return self.exchange_time(self._clock.now())

    def implausible(self, exchange_time: datetime, receive_time: datetime, *, record: bool = False) -> str | None:
        """Why ``exchange_time`` of a frame received at ``receive_time`` cannot be right, or None. ``record``:
        the time of a history record (a funding payment, a fill), which may be old but not before 2019."""
        ahead = (exchange_time - self.exchange_time(receive_time)).total_seconds()
        if ahead > FUTURE_TOLERANCE_S:
            return (f"exchange time {exchange_time.isoformat(timespec='seconds')} is {ahead:,.0f} s ahead of the "
                    f"exchange's clock (limit {FUTURE_TOLERANCE_S:g} s)")
        if record:
            if exchange_time < EARLIEST_RECORD:
                return (f"exchange time {exchange_time.isoformat(timespec='seconds')} is before "
                        f"{EARLIEST_RECORD:%Y}: not a plausible time (seconds instead of milliseconds?)")
            return None
        if -ahead > PAST_LIMIT_S:
            return (f"exchange time {exchange_time.isoformat(timespec='seconds')} is {-ahead:,.0f} s behind the "
                    "exchange's clock: not a plausible time (seconds instead of milliseconds?)")
        return None
