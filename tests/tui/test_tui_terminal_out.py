"""Alerts ring through the App's own writer while Textual owns the terminal."""

from __future__ import annotations

from liqwatch.alerts.delivery.terminal import BEL, osc9, tmux_wrap
from tui.app import make_app
from tui.terminal_out import AppTerminal


async def test_bell_and_osc_bytes_go_out_through_the_driver() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        sent: list[str] = []
        driver = app._driver
        assert driver is not None
        original = driver.write
        driver.write = sent.append  # type: ignore[method-assign]
        try:
            term = AppTerminal(app)
            seq = tmux_wrap(osc9("liqwatch", "binance-degen ETH long: risk 0.85"))
            assert term.write(BEL) == 1
            assert term.write(seq) == len(seq)
            term.flush()
            await pilot.pause()
        finally:
            driver.write = original  # type: ignore[method-assign]
    assert sent == ["\x07", seq.decode()]
