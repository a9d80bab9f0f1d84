"""The soak benchmark (benchmarks/soak.py) in miniature: it runs, observes the reconnects it causes, reports.

The figures themselves (RSS growth, frames/s) are the full run's business; here only that they are measured.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict

import pytest

from benchmarks import soak, soak_report


@pytest.mark.slow(4)
async def test_a_small_soak_observes_its_reconnects_and_reports_every_field() -> None:
    async with asyncio.timeout(60):  # the run's own limit is 20 s; this bounds start-up and shutdown too
        report = await soak.soak(frames=3000, reconnects=3, push_interval=0.002, timeout_s=20.0)
    assert report.frames_applied >= 3000
    # Counted off the adapters' streams and channels, not from what was injected.
    assert report.reconnects_observed >= 3
    assert report.channel_reconnecting_transitions >= 1
    assert sum(report.faults_injected.values()) >= 1 and report.sockets_affected >= 1
    assert report.recovery_timeouts == 0
    assert report.alert_evaluations >= 1  # the alerts and the record ran beside the feeds
    assert len(report.samples) >= 2
    assert all(s.rss_kb > 0 and s.fds > 0 and s.tasks > 0 for s in report.samples)
    assert report.rss_kb_warmup == report.samples[0].rss_kb and report.rss_kb_end == report.samples[-1].rss_kb
    assert report.frames_per_s > 0 and report.emulator_rss_kb_end > 0
    fields = asdict(report)
    for name in ("frames_applied", "reconnects_observed", "rss_kb_warmup", "rss_kb_end", "rss_growth_pct",
                 "fds_flat", "tasks_flat", "frames_per_s", "passed", "failures", "samples"):
        assert name in fields
    text = soak_report.table(report)
    assert "reconnects observed" in text and "RSS" in text and ("PASS" in text or "FAIL" in text)


def test_flat_means_no_higher_maximum_later_than_earlier() -> None:
    assert soak_report.flat([27, 24, 24, 26])  # keep-alive sockets come and go: not growth
    assert soak_report.flat([30, 30, 30])
    assert not soak_report.flat([30, 30, 31, 31])
    assert not soak_report.flat([30])  # one sample shows nothing


def test_the_bar_fails_a_run_that_grew() -> None:
    r = soak_report.Report(frames_target=10, reconnects_target=1, push_interval_s=0.001, frames_applied=10,
                    reconnects_observed=1)
    r.samples = [soak_report.Sample(0, 0.0, 100_000, 20, 30), soak_report.Sample(5, 1.0, 102_500, 20, 30),
                 soak_report.Sample(10, 2.0, 103_000, 21, 31)]
    r.judge()
    assert r.rss_growth_pct == 3.0
    assert not r.passed
    assert not r.fds_flat and not r.tasks_flat
    assert any("RSS grew 3.0 %" in f for f in r.failures)
    ok = soak_report.Report(frames_target=10, reconnects_target=1, push_interval_s=0.001, frames_applied=10,
                     reconnects_observed=1)
    ok.samples = [soak_report.Sample(0, 0.0, 100_000, 20, 30), soak_report.Sample(10, 2.0, 101_000, 20, 30)]
    ok.judge()
    assert ok.passed, ok.failures
