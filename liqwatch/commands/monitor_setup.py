"""Builds a running ``Monitor`` from the command line: the user's configuration, or the built-in demo."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from liqwatch.commands.errors import UserError
from liqwatch.config.settings import Settings
from liqwatch.monitor import Monitor


def user_settings(config: str | None) -> Settings:
    """The configuration (``config``, or the XDG path); a broken file is the user's error, named."""
    from liqwatch.config import ConfigError, load_settings

    try:
        return load_settings(Path(config) if config else None)
    except ConfigError as exc:
        raise UserError(str(exc)) from None


@contextlib.asynccontextmanager
async def monitor_from_args(
    config: str | None, demo: bool, record: Path | None, speed: float = 1.0, hold_until_live_s: float | None = None
) -> AsyncIterator[tuple[Monitor, Settings]]:
    """A running monitor and the settings it runs under. The demo watches its own accounts but takes
    thresholds and the data directory from the user's configuration, if there is one."""
    from liqwatch.config.thresholds import ThresholdMap

    settings = user_settings(config)
    thresholds = ThresholdMap.from_settings(settings)  # each account's own, as its alerts use them
    if demo:
        from liqwatch.demo_environment import demo_environment

        async with demo_environment(record_path=record, thresholds=thresholds, speed=speed,
                                    hold_until_live_s=hold_until_live_s) as (_, monitor):
            yield monitor, settings
        return
    from liqwatch.feeds.from_config import feed_accounts, feed_options

    accounts, disabled = feed_accounts(settings)
    if not accounts and not disabled:
        raise UserError("no accounts configured: add [[accounts]] to the configuration (see config.example.toml)")
    async with Monitor(accounts, disabled=disabled, options=feed_options(settings), thresholds=thresholds,
                       record_path=record) as monitor:
        yield monitor, settings
