"""The account detail (``i``): each channel's state, age, current detail, last error and next retry, and why an
account is disabled, from the engine's snapshot; ``enter`` keeps opening the account's positions; the feed
alert names the cause, not only the step under way."""

from __future__ import annotations

from liqwatch.feed_events import AccountDisabled
from tests.tui.pilot_helpers import advance, app_for, info_on_account_row, monitor, settle
from tests.tui.scripted import Script
from tui.screens.account_info import AccountInfoScreen
from widgets.panes import AccountsTable, PositionsTable

DNS = "connect failed: Cannot connect to host fapi.binance.com:443 ssl:default [Name or service not known]"
REFUSED = "authentication failed: binance: Invalid API-key, IP, or permissions for action. (code -2015)"


def _unreachable(script: Script, account: str = "binance-main") -> None:
    mark = script.channels[account][0]
    mark.reconnecting(DNS)
    mark.retry_at(script.clock.monotonic() + 8.0)


def _info_text(screen: AccountInfoScreen) -> str:
    return str(screen.query_one("#account-info-text").render())


async def test_i_shows_each_channels_state_age_last_error_and_next_retry(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        _unreachable(script)
        await advance(pilot, script, 3, quiet=("binance-main",))
        info = await info_on_account_row(pilot, "binance-main")
        assert isinstance(info, AccountInfoScreen) and info.account == "binance-main"
        text = _info_text(info)
        assert "binance-main · binance" in text
        mark_line = next(line for line in text.splitlines() if line.lstrip().startswith("mark "))
        assert "RECONNECTING" in mark_line and "in 5s" in mark_line  # 8 s backoff, 3 s since
        assert f"now: {DNS}" in text
        user_line = next(line for line in text.splitlines() if line.lstrip().startswith("user "))
        assert "LIVE" in user_line and " 3s " in user_line  # quiet: fresh by its reconciliations
        # The channel recovers: the error stays readable as the last one, the retry is gone.
        mark = script.channels["binance-main"][0]
        mark.subscribed(script.clock.monotonic())
        mark.synced(script.clock.monotonic())
        await advance(pilot, script, 1)
        info.render_info()
        text = _info_text(info)
        mark_line = next(line for line in text.splitlines() if line.lstrip().startswith("mark "))
        assert "LIVE" in mark_line and mark_line.rstrip().endswith("-")
        assert f"last error: {DNS}" in text
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, AccountInfoScreen)


async def test_i_says_why_an_account_is_disabled_and_enter_still_opens_its_positions(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        script.store.apply(AccountDisabled("hl-iso", REFUSED))
        await advance(pilot, script, 1)
        screen = monitor(pilot)
        screen.focus_pane("accounts")
        assert screen.query_one(AccountsTable).select_key("hl-iso")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, AccountInfoScreen)
        assert screen.query_one(PositionsTable).account == "hl-iso"
        assert screen.focused_pane() == "positions"
        await pilot.press("i")  # from the positions pane: the selected position's account
        await settle(pilot)
        info = pilot.app.screen
        assert isinstance(info, AccountInfoScreen) and info.account == "hl-iso"
        assert f"DISABLED, not watched: {REFUSED}" in _info_text(info)


async def test_the_feed_alert_names_the_cause_not_only_the_resync_under_way(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        mark = script.channels["binance-main"][0]
        mark.reconnecting(DNS)
        mark.subscribed(script.clock.monotonic())
        mark.resyncing("REST resync")  # a later step replaces the detail; the cause must not go with it
        mark.failed("resync failed: Cannot connect to host fapi.binance.com:443")
        mark.resyncing("REST resync")
        await advance(pilot, script, 31, quiet=("binance-main",))
        texts = [a.message for a in script.alerts.alerts() if a.key.account == "binance-main"
                 and a.key.subject == "mark"]
        assert texts, [a.message for a in script.alerts.alerts()]
        assert "last error: resync failed: Cannot connect to host fapi.binance.com:443" in texts[0]
