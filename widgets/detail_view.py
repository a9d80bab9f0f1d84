"""The detail pane: the selected position's figures, bracket, mark plot and history sparklines."""

from __future__ import annotations

import math
from collections.abc import Sequence

from textual import events

from liqwatch.store import MonitorSnapshot
from widgets.detail_lines import detail_lines, empty_lines
from widgets.funding_view import seconds_to_next
from widgets.history import Sample
from widgets.position_rows import find_position, find_unevaluated
from widgets.text_lines import TextLines


class DetailView(TextLines, can_focus=True):
    DEFAULT_CSS = """
    DetailView { height: 1fr; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.key: str | None = None
        self._last: tuple[MonitorSnapshot, Sequence[Sample]] | None = None
        self._inputs: tuple[object, ...] = ()

    def show(self, snap: MonitorSnapshot, key: str | None, samples: Sequence[Sample]) -> int:
        self.key = key
        self._last = (snap, samples)
        width, height = self.size.width or 80, self.size.height or 12
        found = find_position(snap, key) if key is not None else None
        if found is None:
            self._inputs = ()  # another text shown: the position's lines are built again when it comes back
            u = find_unevaluated(snap, key) if key is not None else None
            if u is not None:
                return self.set_lines(empty_lines(f" {u.symbol} {u.side.value}: not evaluated: {u.reason}"))
            return self.set_lines(empty_lines(" select a position (j/k in the positions pane)"))
        account, position = found
        # The text depends on these alone (the clock through the countdown, to the second): the same objects
        # as last time build the same lines.
        inputs = (samples[-1] if samples else None,  # by identity: a sample is kept, never changed
                  key, len(samples), width, height, math.ceil(seconds_to_next(position, account.exchange, snap.time)),
                  account.name, account.exchange, account.warnings, position)  # a view rebuilt: equal is enough
        old = self._inputs
        if old and inputs[0] is old[0] and inputs[1:] == old[1:]:
            return 0
        self._inputs = inputs
        # The tier table is the snapshot's own (as evaluated), never looked up in the live store.
        return self.set_lines(detail_lines(account, position, position.tiers, samples, snap.time, width, height))

    def on_resize(self, event: events.Resize) -> None:
        if self._last is not None:
            snap, samples = self._last
            self._inputs = ()
            self.show(snap, self.key, samples)
