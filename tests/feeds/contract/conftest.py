"""The adapter contract suite's fixtures: ``profile`` runs a test once per exchange in ``PROFILES``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.feeds.contract.observe import Logs, logs
from tests.feeds.contract.profiles import PROFILES, ExchangeProfile


@pytest.fixture(params=PROFILES, ids=[p.id for p in PROFILES])
def profile(request: pytest.FixtureRequest) -> ExchangeProfile:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def log() -> Iterator[Logs]:
    with logs() as handler:
        yield handler
