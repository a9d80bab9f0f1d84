"""Per-channel freshness: the state machine that decides whether a value may be shown as fresh.

A market channel (mark price, funding) is fresh only while data frames keep arriving; pings and pongs do not
count, and the clock starts at subscribe time so a channel that never delivers goes STALE too. A channel that
is quiet by design (a user stream) is fresh while the REST reconciliation of its account keeps succeeding;
its age is the newer of its last event and the last reconciliation. All times are monotonic seconds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class ChannelState(StrEnum):
    CONNECTING = "CONNECTING"
    SYNCING = "SYNCING"  # subscribed, or resyncing over REST: not yet trustworthy
    LIVE = "LIVE"
    STALE = "STALE"
    RECONNECTING = "RECONNECTING"
    MAINTENANCE = "MAINTENANCE"  # the exchange answers 503: nothing trusted until a full resync after it


class ChannelKind(StrEnum):
    MARKET = "market"
    QUIET = "quiet"


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    """What the store, the UI and ``check`` see of a channel."""

    account: str
    channel: str
    kind: ChannelKind
    state: ChannelState
    age_s: float | None  # None before the first message
    max_age_s: float
    detail: str = ""
    #: The newest reason it went down or failed (kept once it recovers, for the account detail view).
    last_error: str = ""
    #: Seconds until the next connection attempt, while one is scheduled (backing off after a failure).
    retry_in_s: float | None = None

    @property
    def live(self) -> bool:
        return self.state is ChannelState.LIVE


class Channel:
    def __init__(self, account: str, name: str, kind: ChannelKind, max_age_s: float) -> None:
        if not max_age_s > 0:
            raise ValueError("max_age_s must be > 0")
        self.account = account
        self.name = name
        self.kind = kind
        self.max_age_s = max_age_s
        self._state = ChannelState.CONNECTING
        self.detail = ""
        #: Why it last went down or failed ("connect failed: Cannot connect to host ..."), kept after it
        #: recovers: the trader reads it in the account detail, long after the alert has cleared.
        self.last_error = ""
        self._retry_at: float | None = None  # monotonic time of the next connection attempt, while backing off
        #: Every state change, newest last: (transition count, state). Incidents and tests read it.
        self.transitions: deque[tuple[int, ChannelState]] = deque(maxlen=64)
        self.changes = 0
        #: Called after each transition (the store's: its version moves and the engine wakes, as for data).
        self.on_transition: Callable[[], None] | None = None
        self._subscribed_at: float | None = None
        self._last_data: float | None = None
        self._last_reconcile: float | None = None
        self._synced = False
        self.frames = 0
        #: What this channel subscribes to and where ("btcusdt@markPrice@1s at ws://host/market/stream"),
        #: set by the adapter at each subscribe; named by the "subscribed but no data" detail. Never a URL
        #: with a secret in it (a listen key): only market channels are named, and only their public route.
        self.source = ""
        # The first subscribe not followed by one data frame (kept across resubscribes and reconnects, so the
        # silence is measured from when it began): a route that acknowledges and never feeds.
        self._silent_since: float | None = None
        # After an event-loop stall (liqwatch.loop_lag): what was received before this may have waited in the
        # socket buffer, so it does not make the channel LIVE.
        self._held_until = float("-inf")

    @property
    def state(self) -> ChannelState:
        return self._state

    @state.setter
    def state(self, value: ChannelState) -> None:
        if value is not self._state:
            self._state = value
            self.changes += 1
            self.transitions.append((self.changes, value))
            if self.on_transition is not None:
                self.on_transition()

    @property
    def held_until(self) -> float:
        """Until when (monotonic) an event-loop stall holds it (``hold``): a hold can move what it reads with
        no transition (one whose state is still STALE from an earlier stall while it reads LIVE)."""
        return self._held_until

    def states_since(self, change: int) -> list[ChannelState]:
        """The states entered after transition number ``change`` (see ``changes``)."""
        return [s for n, s in self.transitions if n > change]

    # --- transitions ---------------------------------------------------------------------------------
    def connecting(self, detail: str = "") -> None:
        self.state, self.detail, self._synced = ChannelState.CONNECTING, detail, False
        self._error(detail)

    def reconnecting(self, detail: str = "") -> None:
        self.state, self.detail, self._synced = ChannelState.RECONNECTING, detail, False
        self._error(detail)

    def maintenance(self, detail: str) -> None:
        """The exchange is under maintenance: not live, whatever its socket sends, until ``resyncing``."""
        self.state, self.detail, self._synced = ChannelState.MAINTENANCE, detail, False
        self._error(detail)

    def failed(self, detail: str) -> None:
        """A step towards LIVE failed (a REST resync): said in the detail, and kept as the last error."""
        self.detail = detail
        self._error(detail)

    def retry_at(self, when: float) -> None:
        """The next connection attempt is due at ``when`` (monotonic), after a backoff."""
        self._retry_at = when

    def _error(self, detail: str) -> None:
        if detail:
            self.last_error = detail

    def subscribed(self, now: float) -> None:
        """The freshness clock starts here, not at the first message."""
        self._subscribed_at = now
        self._retry_at = None  # connected: no attempt pending
        if self._silent_since is None:
            self._silent_since = now
        self._synced = False
        self.state, self.detail = ChannelState.SYNCING, ""

    def resyncing(self, detail: str = "") -> None:
        self._synced = False
        if self.state is not ChannelState.RECONNECTING:
            self.state, self.detail = ChannelState.SYNCING, detail

    def synced(self, now: float) -> None:
        """The REST snapshot after a (re)connect has been applied."""
        self._synced = True
        self._last_reconcile = now
        self._maybe_live(now)

    def data(self, now: float) -> None:
        """A data frame: a timestamp write. Only a channel not yet LIVE (or LIVE with a detail to clear) looks
        whether it may go LIVE: for a LIVE one without a detail, ``_maybe_live`` could change nothing."""
        self._last_data = now
        self._silent_since = None
        self.frames += 1
        if self._state is not ChannelState.LIVE or self.detail:
            self._maybe_live(now)

    def reconciled(self, now: float) -> None:
        """A periodic REST reconciliation succeeded: keeps a quiet channel fresh."""
        self._last_reconcile = now
        if self.kind is ChannelKind.QUIET:
            self._maybe_live(now)

    def hold(self, until: float, detail: str) -> None:
        """The event loop stalled: not LIVE until ``until``, and a market channel not until a frame received
        from then on (one received earlier may have waited in the socket buffer through the stall)."""
        self._held_until = max(self._held_until, until)
        if self.state is ChannelState.LIVE:
            self.state, self.detail = ChannelState.STALE, detail

    def _maybe_live(self, now: float) -> None:
        if self._live_at(now):
            self.state, self.detail = ChannelState.LIVE, ""

    def _live_at(self, now: float) -> bool:
        """Whether the channel may go LIVE at ``now`` (from SYNCING or STALE): synced, not held, fed."""
        if not self._synced or self.state in (ChannelState.CONNECTING, ChannelState.RECONNECTING,
                                              ChannelState.MAINTENANCE):
            return False
        if now < self._held_until or (self.kind is ChannelKind.MARKET and (self._last_data or 0.0) < self._held_until):
            return False  # held after an event-loop stall
        if self.kind is ChannelKind.MARKET and (
            self._last_data is None or self._subscribed_at is None or self._last_data < self._subscribed_at
        ):
            return False  # subscribed, but not one frame since: not live
        age = self._age(now)
        return age is not None and age <= self.max_age_s

    # --- reading -------------------------------------------------------------------------------------
    def _reference(self) -> float | None:
        if self.kind is ChannelKind.MARKET:
            return self._last_data
        times = [t for t in (self._last_data, self._last_reconcile) if t is not None]
        return max(times) if times else None

    def _age(self, now: float) -> float | None:
        ref = self._reference()
        return None if ref is None else max(0.0, now - ref)

    def check(self, now: float) -> ChannelState:
        """Apply the freshness limit; call it often (the feed supervisor does, once a second or faster). The
        one place where time alone moves the state (readers take ``status``, which changes nothing)."""
        state, detail = self._checked(now)
        if state is not self._state:
            self.state, self.detail = state, detail
        return self.state

    def state_at(self, now: float) -> ChannelState:
        """The state ``check(now)`` would leave, without moving it (for polling readers)."""
        return self._checked(now)[0]

    def _checked(self, now: float) -> tuple[ChannelState, str]:
        """The state and detail ``check(now)`` would leave, computed without changing anything."""
        if self.state in (ChannelState.LIVE, ChannelState.SYNCING):
            ref = self._reference()
            if self.kind is ChannelKind.MARKET and self._subscribed_at is not None:
                ref = self._subscribed_at if ref is None else max(ref, self._subscribed_at)
            elif ref is None:
                ref = self._subscribed_at
            if ref is not None and now - ref > self.max_age_s:
                never = self._last_data is None or (
                    self._subscribed_at is not None and self._last_data < self._subscribed_at
                )
                return ChannelState.STALE, self.no_data_detail(now) if never else "no data within limit"
        elif self.state is ChannelState.STALE and self._live_at(now):
            return ChannelState.LIVE, ""
        return self.state, self.detail

    def live_until(self, now: float) -> float | None:
        """While the channel reads LIVE at ``now`` (``state_at``): the time after which it reads STALE by time
        alone, unless data comes first (inf: never by time); None when it does not read LIVE. What lets a
        view built at ``now`` be reused (liqwatch.store_incremental) only while its feeds stay as shown."""
        if self._checked(now)[0] is not ChannelState.LIVE:
            return None
        if self.state is ChannelState.LIVE:
            ref = self._reference()
            if self.kind is ChannelKind.MARKET and self._subscribed_at is not None:
                ref = self._subscribed_at if ref is None else max(ref, self._subscribed_at)
            elif ref is None:
                ref = self._subscribed_at
        else:  # read LIVE from STALE (``_live_at``): until its age passes the limit again
            ref = self._reference()
        return float("inf") if ref is None else ref + self.max_age_s

    def silent_for(self, now: float) -> float | None:
        """Seconds since a market channel was subscribed without one data frame since, once over its limit
        (through resubscribes, reconnects and resyncs); None otherwise."""
        if self.kind is not ChannelKind.MARKET or self._silent_since is None:
            return None
        silent = now - self._silent_since
        return silent if silent > self.max_age_s else None

    def no_data_detail(self, now: float) -> str:
        """Acknowledged, never fed: the endpoint is the suspect (a retired route accepts subscriptions and
        sends nothing), so the text names it rather than the resync under way."""
        silent = max(0.0, now - (self._silent_since if self._silent_since is not None else now))
        where = f" to {self.source}" if self.source else ""
        return (f"subscribed{where} but no data for {silent:.0f} s: check the endpoint configuration "
                f"(ws_url of account {self.account})")

    def status(self, now: float) -> ChannelStatus:
        """The channel as of ``now``: the state the freshness limit gives it then (as ``check`` would), without
        changing it, so that reading never moves state; the transitions are the supervisor's (``check``)."""
        state, detail = self._checked(now)
        if state in (ChannelState.SYNCING, ChannelState.STALE) and self.silent_for(now) is not None:
            detail = self.no_data_detail(now)  # not "REST resync": the resync is not why there is no data
        retry = self._retry_at
        retry_in = max(0.0, retry - now) if retry is not None and state is not ChannelState.LIVE else None
        return ChannelStatus(self.account, self.name, self.kind, state, self._age(now), self.max_age_s, detail,
                             self.last_error, retry_in)
