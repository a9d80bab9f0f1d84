"""The soak's report (see ``benchmarks.soak``): the samples, the figures, the bar they are judged by, the table."""

from __future__ import annotations

from dataclasses import dataclass, field

RSS_GROWTH_LIMIT_PCT = 2.0


@dataclass
class Sample:
    frames: int
    elapsed_s: float
    rss_kb: int
    fds: int
    tasks: int


@dataclass
class Report:
    frames_target: int
    reconnects_target: int
    push_interval_s: float
    frames_applied: int = 0
    reconnects_observed: int = 0
    channel_reconnecting_transitions: int = 0
    faults_injected: dict[str, int] = field(default_factory=dict)
    sockets_affected: int = 0  # what the faults hit, by the emulator's count
    other_reconnects: int = 0  # observed beyond the faults: renewals (--timers), or what nobody asked for
    recovery_timeouts: int = 0
    malformed_frames: int = 0
    listen_key_keepalives: int = 0
    listen_key_rotations: int = 0
    timers_compressed: bool = False
    alert_evaluations: int = 0
    alert_events: int = 0
    elapsed_s: float = 0.0
    frames_per_s: float = 0.0
    cpu_us_per_frame: float = 0.0  # the monitor's process, alerts and record included
    rss_kb_warmup: int = 0
    rss_kb_end: int = 0
    rss_growth_pct: float = 0.0
    emulator_rss_kb_end: int = 0
    samples: list[Sample] = field(default_factory=list)
    fds_flat: bool = False
    tasks_flat: bool = False
    load_avg_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_avg_end: tuple[float, float, float] = (0.0, 0.0, 0.0)
    failures: list[str] = field(default_factory=list)
    passed: bool = False

    def judge(self) -> None:
        if self.samples:
            self.rss_kb_warmup, self.rss_kb_end = self.samples[0].rss_kb, self.samples[-1].rss_kb
            self.rss_growth_pct = round(100.0 * (self.rss_kb_end - self.rss_kb_warmup) / self.rss_kb_warmup, 2)
            self.fds_flat = flat([s.fds for s in self.samples])
            self.tasks_flat = flat([s.tasks for s in self.samples])
        self.other_reconnects = self.reconnects_observed - self.sockets_affected
        if self.elapsed_s > 0:
            self.frames_per_s = round(self.frames_applied / self.elapsed_s)
        checks = [
            (self.frames_applied >= self.frames_target, f"frames applied {self.frames_applied} < {self.frames_target}"),
            (self.reconnects_observed >= self.reconnects_target,
             f"reconnects observed {self.reconnects_observed} < {self.reconnects_target}"),
            (len(self.samples) >= 2, "fewer than two samples after the warm-up"),
            (self.rss_growth_pct <= RSS_GROWTH_LIMIT_PCT,
             f"RSS grew {self.rss_growth_pct} % after the warm-up (limit {RSS_GROWTH_LIMIT_PCT} %)"),
            (self.fds_flat, "open fds grew after the warm-up"),
            (self.tasks_flat, "asyncio tasks grew after the warm-up"),
            (self.recovery_timeouts == 0, f"{self.recovery_timeouts} fault(s) not recovered from in time"),
        ]
        self.failures += [why for ok, why in checks if not ok]
        self.passed = not self.failures


def flat(values: list[int]) -> bool:
    """No higher maximum in the later half of the samples than in the earlier half (the warm-up end's included)."""
    if len(values) < 2:
        return False
    half = (len(values) + 1) // 2
    return max(values[half:]) <= max(values[:half])


def table(r: Report) -> str:
    first_frames = r.samples[0].frames if r.samples else 0
    lines = [
        f"soak: {r.frames_applied:,} frames applied (target {r.frames_target:,}) in {r.elapsed_s:g} s = "
        f"{r.frames_per_s:,.0f} frames/s, {r.cpu_us_per_frame:g} µs CPU/frame; emulator push every "
        f"{r.push_interval_s * 1000:g} ms",
        f"reconnects observed {r.reconnects_observed} (target {r.reconnects_target}); channels entering "
        f"RECONNECTING {r.channel_reconnecting_transitions}; sockets hit by faults {r.sockets_affected}, other "
        f"reconnects {r.other_reconnects}",
        "faults: " + ", ".join(f"{k} x{v}" for k, v in r.faults_injected.items()),
        f"listen keys: {r.listen_key_keepalives} keepalives, {r.listen_key_rotations} rotations"
        f"{' (timers compressed)' if r.timers_compressed else ''}",
        f"alerts evaluated {r.alert_evaluations} times, {r.alert_events} events; malformed frames "
        f"{r.malformed_frames}; load average {r.load_avg_start[0]:.1f} -> {r.load_avg_end[0]:.1f}",
        "",
        f"{'sample':>6} {'frames':>10} {'time s':>8} {'RSS kB':>9} {'fds':>5} {'tasks':>6}",
    ]
    for i, s in enumerate(r.samples):
        label = "warmup" if i == 0 else str(i)
        lines.append(f"{label:>6} {s.frames - first_frames:>10,} {s.elapsed_s:>8} {s.rss_kb:>9,} {s.fds:>5} "
                     f"{s.tasks:>6}")
    lines += [
        "",
        f"RSS {r.rss_kb_warmup:,} kB at warm-up end -> {r.rss_kb_end:,} kB at the end: {r.rss_growth_pct:+.2f} % "
        f"(limit {RSS_GROWTH_LIMIT_PCT:g} %); fds {'flat' if r.fds_flat else 'GREW'}; tasks "
        f"{'flat' if r.tasks_flat else 'GREW'}; emulator process RSS {r.emulator_rss_kb_end:,} kB",
        "PASS" if r.passed else "FAIL: " + "; ".join(r.failures),
    ]
    return "\n".join(lines)
