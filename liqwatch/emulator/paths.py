"""Seeded underlying price paths: a log random walk with volatility regimes and jumps around a trend."""

from __future__ import annotations

import bisect
import math
import random

from liqwatch.emulator.scenario import PathSpec


class PricePath:
    """One index path, advanced in fixed simulated steps so that a seed always gives the same prices.

    Every step draws the same five numbers whatever the configuration, so changing, say, the jump rate
    does not shift the rest of the random stream.
    """

    def __init__(self, spec: PathSpec, seed: int, step_seconds: float) -> None:
        self.spec = spec
        self.name = spec.name
        self._rng = random.Random(f"liqwatch-path:{seed}:{spec.name}")
        self._dt = step_seconds
        self._noise = 0.0
        self.elapsed = 0.0
        self.regime = 0
        self.jumps = 0
        self._times = [0.0] + [t for t, _ in spec.waypoints]
        self._logs = [math.log(spec.start)] + [math.log(p) for _, p in spec.waypoints]
        self.price = spec.start

    def trend_log(self, t: float) -> float:
        """The deterministic part: log-linear between waypoints, flat after the last one, plus drift."""
        i = bisect.bisect_right(self._times, t) - 1
        if i >= len(self._times) - 1:
            base = self._logs[-1]
        else:
            t0, t1 = self._times[i], self._times[i + 1]
            w = (t - t0) / (t1 - t0)
            base = self._logs[i] + w * (self._logs[i + 1] - self._logs[i])
        return base + self.spec.drift_per_hour * t / 3600.0

    def step(self) -> float:
        spec, rng, dt = self.spec, self._rng, self._dt
        u_switch, u_pick, z, u_jump, z_jump = rng.random(), rng.random(), rng.gauss(), rng.random(), rng.gauss()
        if len(spec.regimes) > 1 and u_switch < spec.regime_switch_per_hour * dt / 3600.0:
            others = [i for i in range(len(spec.regimes)) if i != self.regime]
            self.regime = others[min(int(u_pick * len(others)), len(others) - 1)]
        vol = spec.vol_per_sqrt_hour * spec.regimes[self.regime] * math.sqrt(dt / 3600.0)
        self._noise += vol * z
        if spec.jump_size > 0 and u_jump < spec.jump_per_hour * dt / 3600.0:
            self._noise += spec.jump_size * z_jump
            self.jumps += 1
        self.elapsed += dt
        self.price = math.exp(self.trend_log(self.elapsed) + self._noise)
        return self.price
