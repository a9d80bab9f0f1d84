"""The account book keeps its last snapshot while nothing it was made from changed, and makes a new one after
any change: every kind of change gives exactly the snapshot a book freshly filled the same way gives.
(Hyperliquid's rules: the only ones whose figures read the taker fee rate.)"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from liqwatch.account_book import AccountBook
from liqwatch.model import Exchange, MarginMode, Position, PositionMode, Side
from liqwatch.risk.evaluate import AccountRisk
from liqwatch.risk.registry import risk_rules
from liqwatch.tiers import TierTable

TABLE = TierTable.build([(0, 50_000, 0.004, None), (50_000, 600_000, 0.005, None), (600_000, 3e6, 0.0065, None)])
BTC_LONG = Position("BTC/USDT:USDT", Side.LONG, 2.0, 60_000, MarginMode.CROSS, TABLE, PositionMode.HEDGE, 10)
BTC_SHORT = Position("BTC/USDT:USDT", Side.SHORT, 0.5, 62_000, MarginMode.CROSS, TABLE, PositionMode.HEDGE, 10)
SOL = Position("SOL/USDT:USDT", Side.LONG, 500.0, 150, MarginMode.ISOLATED, TABLE, PositionMode.HEDGE, 5,
               isolated_margin=15_000)
SIGMAS = {"BTC/USDT:USDT": 0.01, "SOL/USDT:USDT": 0.02}


def _book(wallet: float = 40_000) -> AccountBook:
    book = AccountBook(risk_rules(Exchange.HYPERLIQUID, 0.0005), wallet_balance=wallet)
    book.upsert(BTC_LONG, 61_000)
    book.upsert(BTC_SHORT, 61_000)
    book.upsert(SOL, 149)
    return book


def test_the_same_inputs_give_the_kept_snapshot() -> None:
    book = _book()
    first = book.snapshot(SIGMAS)
    assert book.snapshot(dict(SIGMAS)) is first
    assert book.snapshot() is not first and book.snapshot() == _book().snapshot()


def _set_wallet(book: AccountBook) -> None:
    book.set_wallet_balance(30_000)


def _write_wallet(book: AccountBook) -> None:
    book.wallet_balance = 30_000


def _tick(book: AccountBook) -> None:
    assert book.on_mark("BTC/USDT:USDT", 58_000)


def _remove(book: AccountBook) -> None:
    assert book.remove(BTC_SHORT.key)


def _replace(book: AccountBook) -> None:
    book.upsert(Position("SOL/USDT:USDT", Side.LONG, 700.0, 150, MarginMode.ISOLATED, TABLE, PositionMode.HEDGE, 5,
                         isolated_margin=15_000))


def _fee(book: AccountBook) -> None:
    book.rules.taker_fee_rate = 0.001


def _rebuilt(change: Callable[[AccountBook], None]) -> AccountRisk:
    """What a book filled afresh and changed the same way gives, with no snapshot taken before."""
    book = _book()
    change(book)
    return book.snapshot(SIGMAS)


@pytest.mark.parametrize("change", [_set_wallet, _write_wallet, _tick, _remove, _replace, _fee])
def test_after_a_change_the_snapshot_is_made_again(change: Callable[[AccountBook], None]) -> None:
    book = _book()
    before = book.snapshot(SIGMAS)
    change(book)
    after = book.snapshot(SIGMAS)
    assert after != before
    assert after == _rebuilt(change)


def test_other_sigmas_and_a_signed_zero_wallet_are_other_inputs() -> None:
    book = _book()
    before = book.snapshot(SIGMAS)
    other = book.snapshot({**SIGMAS, "SOL/USDT:USDT": 0.04})
    assert other != before and other == _book().snapshot({**SIGMAS, "SOL/USDT:USDT": 0.04})
    zero = _book(0.0)
    plus = zero.snapshot()
    zero.wallet_balance = -0.0
    assert zero.snapshot() is not plus
