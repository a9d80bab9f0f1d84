"""Fixtures for the TUI tests: a scripted store under a frozen clock, and the App watching it."""

from __future__ import annotations

import pytest

from tests.tui.scripted import Script, scripted


@pytest.fixture
def script() -> Script:
    return scripted()
