"""The adapter contract suite's fixtures: ``profile`` runs a test once per exchange in ``PROFILES``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.feeds.contract.observe import Logs, logs
from tests.feeds.contract.profiles import PROFILES, ExchangeProfile


@pytest.fixture(params=PROFILES, ids=[p.id for p in PROFILES])
def profile(request: pytest.FixtureRequest) -> ExchangeProfile:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def _known_gaps(request: pytest.FixtureRequest) -> None:
    """A case an exchange's profile lists in ``known_gaps`` is expected to fail, strictly: once it passes, the
    run fails until the gap is taken off the list (a known gap can neither hide nor outlive its fix)."""
    callspec = getattr(request.node, "callspec", None)
    params = list(callspec.params.values()) if callspec is not None else []
    for profile in (p for p in params if isinstance(p, ExchangeProfile)):
        why = (profile.known_gaps or {}).get(getattr(request.node, "originalname", ""))
        if why is not None:
            request.applymarker(pytest.mark.xfail(reason=why, strict=True))


@pytest.fixture
def log() -> Iterator[Logs]:
    with logs() as handler:
        yield handler
