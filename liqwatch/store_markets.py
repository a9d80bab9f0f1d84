"""What the store knows of each market beside its marks: the σ estimator (seeded once from the exchange's
candles, then fed by live marks), each symbol's funding interval and the exchange's next settlement time.
A mixin of ``MonitorStore``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from liqwatch.clock import Clock
from liqwatch.funding import default_interval_hours, implausible_interval
from liqwatch.model import ExchangeId, MarketState
from liqwatch.risk.volatility import MinuteVolatility, plausible_candles
from liqwatch.store_changes import ChangesMixin
from liqwatch.store_state import _Account, _Market

log = logging.getLogger(__name__)


class MarketsMixin(ChangesMixin):
    clock: Clock
    version: int
    _vol_window: int
    _vols: dict[tuple[ExchangeId, str], MinuteVolatility]
    _vol_claims: set[tuple[ExchangeId, str]]
    _markets: dict[tuple[ExchangeId, str], _Market]
    _accounts: dict[str, _Account]
    _funding_intervals: dict[tuple[ExchangeId, str], float]

    # --- volatility seeded from candles ----------------------------------------------------------------
    def volatility(self, exchange: ExchangeId, symbol: str) -> MinuteVolatility:
        """The σ estimator of one market (created empty on first use)."""
        key = (exchange, symbol)
        vol = self._vols.get(key)
        if vol is None:
            vol = self._vols[key] = MinuteVolatility(self._vol_window)
        return vol

    def claim_volatility_seed(self, exchange: ExchangeId, symbol: str) -> bool:
        """True for the first caller only: accounts sharing a market fetch its candles once."""
        key = (exchange, symbol)
        if key in self._vol_claims:
            return False
        self._vol_claims.add(key)
        return True

    def release_volatility_seed(self, exchange: ExchangeId, symbol: str) -> None:
        """A fetch that failed: another account on the same market may try."""
        self._vol_claims.discard((exchange, symbol))

    def seed_volatility(
        self,
        exchange: ExchangeId,
        symbol: str,
        minute_closes: Sequence[tuple[float, float]],
        hour_closes: Sequence[tuple[float, float]],
    ) -> None:
        """Seed a market's σ from the exchange's mark-price candles: ``(open time in epoch seconds, close)``
        of 1-minute and 1-hour candles. Live marks then take over (see liqwatch.risk.volatility). A candle
        that cannot be real (``plausible_candles``: dated ahead, a close far from the market) is left out and
        logged; the others seed."""
        market = self._markets.get((exchange, symbol))
        reference = market.state.mark_price if market is not None else None
        # Candles are on the exchange's clock: where it is known to run ahead of ours, "now" is its own.
        ahead = max((a.clock_offset_s for a in self._accounts.values()
                     if a.spec.exchange == exchange and a.clock_offset_s is not None), default=0.0)
        now = self.clock.now().timestamp() + max(0.0, ahead)
        minutes, bad_minutes = plausible_candles(minute_closes, now, reference)
        hours, bad_hours = plausible_candles(hour_closes, now, reference)
        for interval, bad in (("1m", bad_minutes), ("1h", bad_hours)):
            if bad:
                log.warning("%s %s: %d %s candle(s) refused, e.g. %s", exchange, symbol, len(bad), interval, bad[0])
        self.volatility(exchange, symbol).seed(minutes, hours)
        self._dirty_exchange(exchange)
        self._bump()

    def funding_interval(self, exchange: ExchangeId, symbol: str) -> float:
        """Hours: the symbol's own where the exchange said it, else the exchange's default (liqwatch.funding)."""
        return self._funding_intervals.get((exchange, symbol), default_interval_hours(exchange))

    def set_funding_interval(self, exchange: ExchangeId, symbol: str, hours: float) -> None:
        """The symbol's own (Binance fundingInfo), kept for a market with no mark yet too. One no exchange
        uses (0, NaN, under 1 h or over 24 h: ``funding.implausible_interval``) is ignored, the interval known
        so far (else the exchange's default) kept; the adapter that read it counts and logs it."""
        before = self.funding_interval(exchange, symbol)
        if implausible_interval(hours) is None:
            self._funding_intervals[(exchange, symbol)] = hours
        now = self.funding_interval(exchange, symbol)
        m = self._markets.get((exchange, symbol))
        moved = m is not None and m.state.funding_interval_hours != now
        if moved and m is not None:
            m.state = replace(m.state, funding_interval_hours=now)
        if moved or now != before:  # positions show their symbol's interval, with a mark or not
            self._dirty_exchange(exchange)
            self._bump()  # after the change: a listener reads the new interval

    def set_next_funding_time(self, exchange: ExchangeId, symbol: str, when: datetime) -> None:
        """The exchange's own next settlement time, from a source other than the mark stream (Hyperliquid
        ``predictedFundings``)."""
        m = self._markets.get((exchange, symbol))
        if m is not None and m.state.next_funding_time != when:
            s = m.state
            m.state = MarketState(s.symbol, s.mark_price, s.index_price, s.oracle_price, s.funding_rate, when,
                                  s.funding_interval_hours)
            self._dirty_exchange(exchange)
            self._bump()
