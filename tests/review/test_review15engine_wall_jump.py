"""review15engine: the day's funding (``AccountView.funding_today``) starts again at midnight on the store's
wall clock. The incremental snapshot's limit for it was midnight as measured at the build, on the monotonic
clock: a wall clock stepped past midnight (NTP, a user, a resumed machine) left the reused view showing the
day before's funding as today's while a full build showed the new day's."""

from __future__ import annotations

from liqwatch.funding_ledger import FundingPaid
from liqwatch.model import FundingPayment
from tests.feeds.test_store_incremental import T0, Book


def test_a_wall_clock_step_past_midnight_is_not_shown_with_the_day_before_funding() -> None:
    book = Book()
    store = book.store
    store.apply(FundingPaid("a0", (FundingPayment("S00/USDT:USDT", -3.0, T0),)))
    view = next(v for v in store.snapshot().accounts if v.name == "a0")
    assert view.funding_today == -3.0
    book.clock.jump_wall(13 * 3600.0)  # 12:00 -> 01:00 the next day; monotonic time unmoved
    inc = next(v for v in store.snapshot().accounts if v.name == "a0")
    full = next(v for v in store.full_snapshot().accounts if v.name == "a0")
    assert full.funding_today == 0.0
    assert inc.funding_today == full.funding_today
