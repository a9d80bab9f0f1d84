"""The frame-integrity tests moved to the adapter contract suite (tests/feeds/contract/test_frames.py, and
test_binance_only.py for Binance's own frames). This module keeps the Binance frame builders' old import path
for the tests that use them (tests/review, test_malformed_log_privacy); new code imports
tests.feeds.contract.frames."""

from __future__ import annotations

from tests.feeds.contract.frames import TEN_YEARS_MS, account_update, holds, leg, mark_frame, now_ms

__all__ = ["TEN_YEARS_MS", "account_update", "holds", "leg", "mark_frame", "now_ms"]
