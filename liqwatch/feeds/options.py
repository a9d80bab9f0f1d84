"""Timing knobs of the feeds; defaults follow the exchanges' published rules (see the README)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FeedOptions:
    market_max_age_s: float = 5.0  # markPrice@1s pushes every second
    reconcile_interval_s: float = 20.0  # REST reconciliation of positions and balance (15-30 s)
    connect_timeout_s: float = 10.0
    request_timeout_s: float = 10.0
    ping_interval_s: float = 20.0  # app-level ping when the socket has been silent this long
    idle_timeout_s: float = 45.0  # no frame at all (not even a pong): the socket is half-open
    supervisor_interval_s: float = 0.5
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    healthy_after_s: float = 30.0  # a connection this old resets the backoff
    listen_key_keepalive_s: float = 30 * 60.0
    # Binance cuts every connection at 24 h: each socket is renewed make-before-break 30 min before that.
    max_connection_age_s: float = 23.5 * 3600.0
    renew_stagger_s: float = 60.0  # an account's sockets are renewed at least this far apart, never together
    renew_overlap_s: float = 3.0  # old and new socket both read this long, each frame handed on once
    max_frame_bytes: int = 4 * 1024 * 1024
    malformed_reconnect_threshold: int = 50  # malformed frames per minute before a reconnect
    max_body_bytes: int = 8 * 1024 * 1024  # a REST answer past this is refused (see rest.py)
    maintenance_retry_s: float = 30.0  # after an HTTP 503, the next REST try of that exchange at the earliest

    @property
    def quiet_max_age_s(self) -> float:
        # A quiet channel is fresh while reconciliation succeeds: allow one missed round plus slack.
        return 2.0 * self.reconcile_interval_s + 5.0
