"""The header: the worst account (the accounts pane's first: nearest to liquidation), active alerts, each
account's feeds, next funding, the UTC clock.

Everything is read from the snapshot, the clock included (``snapshot.time``), so a frozen store clock
freezes the header too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from liqwatch.alerts.model import Alert
from liqwatch.feed_channel import ChannelState
from liqwatch.rest_pause import PauseKind
from liqwatch.store import AccountView, MonitorSnapshot, nearest_distance
from widgets import fmt
from widgets.funding_view import interval_hours, next_time
from widgets.levels import feed_tag, status_cell
from widgets.risk_view import worst_liquidated, worst_risk
from widgets.text_lines import Line, Span


def _feed_span(a: AccountView) -> Span:
    if a.disabled_reason is not None:
        return (f"{a.name} OFF", "stale")
    if a.mode_not_modelled is not None:
        return (f"{a.name} MODE NOT MODELLED", "stale")
    if a.rest_pause is not None and a.rest_pause.kind is PauseKind.BANNED:
        return (f"{a.name} IP BANNED until {a.rest_pause.until:%H:%M:%S} UTC", "critical")
    bad = [f for f in a.feeds if f.state is not ChannelState.LIVE]
    if not a.feeds:
        return (f"{a.name} CONNECTING", "stale")
    if not bad:
        return (f"{a.name} LIVE", "ok")
    worst = max(bad, key=lambda f: -1.0 if f.age_s is None else f.age_s)
    age = "" if worst.age_s is None else f" {fmt.age(worst.age_s)}"
    return (f"{a.name} {worst.state.value}{age}", feed_tag(worst.state))


def _next_funding(snap: MonitorSnapshot) -> float | None:
    """The wait to the soonest settlement: the soonest time, less now, is the least wait (the same float)."""
    soonest: datetime | None = None
    boundary: dict[float, datetime] = {}  # a settlement computed from the interval: once per interval
    for a in snap.accounts:
        for p in a.positions:
            t = p.next_funding_time
            if t is None:
                hours = interval_hours(p, a.exchange)
                t = boundary.get(hours)
                if t is None:
                    t = boundary[hours] = next_time(p, a.exchange, snap.time)
            if soonest is None or t < soonest:
                soonest = t
    return None if soonest is None else (soonest - snap.time).total_seconds()


def _fit(spans: Sequence[Span], width: int) -> Line:
    out: list[Span] = []
    used = 0
    for text, tag in spans:
        if used + len(text) > width:
            if width - used > 1:
                out.append((text[: width - used - 1] + "…", tag))
            break
        out.append((text, tag))
        used += len(text)
    return tuple(out)


def record_note(record: str) -> str | None:
    """Why NOT RECORDING, in full, for the alert history screen (``h``): the header has room for the marker
    only. None while the record is ``ok``."""
    if record == "ok":
        return None
    reason = record.removeprefix("unavailable: ")
    return (f"NOT RECORDING: {reason}. Alerts are still shown, rung and kept in order; they are written, and"
            " their webhooks sent, once the database can be written again (tried every few seconds). The"
            " file is never overwritten or deleted.")


def header_lines(snap: MonitorSnapshot, alerts: Sequence[Alert], width: int, label: str = "",
                 record: str = "ok") -> list[Line]:
    """Two lines; ``label`` (what is watched, e.g. the demo's emulator) ends the second when it fits.
    ``record``: the record's status; anything but ``ok`` puts NOT RECORDING first, where no width cuts it
    (alerts are still shown and rung, and written once the database is back)."""
    brand: list[Span] = [(" liqwatch ", "strong")]
    short: list[Span] = []  # the markers' short forms, for a narrow width (never cut)
    if record != "ok":
        brand.append(("NOT RECORDING ", "critical"))
        short.append(("NOT REC ", "critical"))
    if snap.alerts_behind_s is not None:  # the figures are current, the alerts judged an older state
        brand.append((f"ALERTS BEHIND {fmt.age(snap.alerts_behind_s)} ", "critical"))
        short.append((f"BEHIND {fmt.age(snap.alerts_behind_s)} ", "critical"))
    # Each part of the top line in the forms it may take, longest first; at a narrow width the parts give
    # way in _GIVE_WAY's order, a whole label at a time ("funding in" never shows without its value).
    # The name goes at a narrow width, not when it leads a marker (" liqwatch NOT RECORDING").
    parts: dict[str, list[list[Span]]] = {
        "brand": [brand, [brand[0], *short], [(" ", ""), *short]] if short else [brand, [(" ", "")]]}
    # An account with a liquidation not acknowledged ranks first whatever else it shows (also before its
    # figures are back); otherwise the first account with figures.
    ranked = [a for a in snap.accounts if a.risk is not None or a.liquidations]
    if ranked:
        worst = ranked[0]
        liquidated = worst_liquidated(worst) or bool(worst.liquidations)
        marker = status_cell(worst.status, liquidated)
        # The snapshot's order, as the accounts pane's: nearest to liquidation first. A liquidated account
        # has no distance or risk left to show ("risk 0.00" would read as safe): its marker says it all.
        figures = " " if liquidated else (f" liq {fmt.pct(nearest_distance(worst), 1)}"
                                          f" risk {fmt.risk(worst_risk(worst))} ")
        tail = [(f"{worst.name} ", "strong"), marker, (figures, marker[1])]
        head = [("│ ", "muted"), (f"{worst.name} ", "strong"), marker]
        parts["worst"] = [[("│ worst ", "muted"), *tail], [("│ ", "muted"), *tail]]
        if not liquidated:  # then the risk goes, then the distance: the name and its level stay
            parts["worst"] += [[*head, (f" liq {fmt.pct(nearest_distance(worst), 1)} ", marker[1])],
                               [*head, (" ", "")]]
    else:
        parts["worst"] = [[("│ waiting for account data ", "stale")], [("│ waiting ", "stale")]]
    # New: every alert neither acknowledged nor snoozed, warnings included (a warning is news too).
    new = sum(1 for a in alerts if a.unattended(snap.time))
    attention = any(a.needs_attention(snap.time) for a in alerts)
    tag = "critical" if attention else ("warning" if alerts else "ok")
    parts["alerts"] = [[("│ alerts ", "muted"), (f"{len(alerts)}" + (f" ({new} new)" if new else "") + " ", tag)],
                       [("│ alerts ", "muted"), (f"{len(alerts)} ", tag)]]
    wait = _next_funding(snap)
    if wait is not None:
        value = (fmt.countdown(wait) + " ", "")
        parts["funding"] = [[("│ funding in ", "muted"), value], [("│ fund ", "muted"), value], []]
    parts["clock"] = [[(f"{snap.time:%Y-%m-%d %H:%M:%S} UTC ", "strong")], [(f"{snap.time:%H:%M:%S}Z", "strong")],
                      []]
    form = dict.fromkeys(parts, 0)

    def used() -> int:
        # The long clock stands apart at the right edge: at least one blank before it.
        return sum(len(t) for name in parts for t, _ in parts[name][form[name]]) + (form["clock"] == 0)

    for name in _GIVE_WAY_MARKED if short else _GIVE_WAY:
        if name in parts and used() > width and form[name] < len(parts[name]) - 1:
            form[name] += 1
    top: list[Span] = [span for name in parts if name != "clock" for span in parts[name][form[name]]]
    clock = parts["clock"][form["clock"]]
    if form["clock"] == 0:
        top.append((" " * (width - used() + 1), ""))
    top += clock
    return [_fit(top, width), _fit(_feeds_line(snap.accounts, width, label), width)]


#: Which part of the top line gives way first, then next (each takes its next shorter form in turn).
#: No part is cut: each gives way whole or takes a shorter form.
_GIVE_WAY = ("clock", "worst", "funding", "brand", "funding", "clock", "alerts", "worst", "worst")
#: With a marker (NOT RECORDING, ALERTS BEHIND) the name stays with it while it can; the markers take their
#: short forms ("NOT REC", "BEHIND 1m15s") once the clock has gone, before the count of open alerts would.
_GIVE_WAY_MARKED = ("clock", "worst", "funding", "funding", "alerts", "clock", "brand", "worst", "brand", "worst")


def _feeds_line(accounts: Sequence[AccountView], width: int, label: str) -> list[Span]:
    """Each account's feed state; when they do not all fit, how many are live and how many not, the not
    live ones named worst first (as many as fit, whole)."""
    feeds: list[Span] = [(" feeds ", "muted")]
    spans = [_feed_span(a) for a in accounts]
    for i, span in enumerate(spans):
        if i:
            feeds.append((" · ", "muted"))
        feeds.append(span)
    used = sum(len(t) for t, _ in feeds)
    if used > width:
        feeds, used = _feeds_summary(accounts, spans, width)
    if label and used + len(label) + 3 <= width:
        feeds += [(" " * (width - used - len(label) - 1), ""), (label + " ", "muted")]
    return feeds


_SEVERITY = {"critical": 0, "warning": 1, "stale": 2}


def _feeds_summary(accounts: Sequence[AccountView], spans: Sequence[Span], width: int) -> tuple[list[Span], int]:
    def badness(i: int) -> tuple[int, float]:
        # A channel never heard from is the oldest of all (not age 0): an account still CONNECTING that never
        # once succeeded ranks with the worst, before a reconnect of a few seconds.
        down = [f for f in accounts[i].feeds if f.state is not ChannelState.LIVE]
        ages = [float("inf") if f.age_s is None else f.age_s for f in down]
        never = spans[i][0].endswith(" CONNECTING") and (
            not accounts[i].feeds or any(f.state is ChannelState.CONNECTING and f.age_s is None for f in down))
        return (0 if never else _SEVERITY.get(spans[i][1], 3), -max(ages, default=0.0))

    bad = sorted((i for i, (_, tag) in enumerate(spans) if tag != "ok"), key=badness)
    live = len(spans) - len(bad)
    out: list[Span] = [(" feeds ", "muted"), (f"all {live} live", "ok") if not bad else (f"{live} live", "")]
    if bad:
        out += [(" · ", "muted"), (f"{len(bad)} not live", spans[bad[0]][1])]
    used = sum(len(t) for t, _ in out)
    for n, i in enumerate(bad):
        more = f" · +{len(bad) - n - 1} more" if n < len(bad) - 1 else ""
        text, tag = spans[i]
        if used + 3 + len(text) + len(more) > width:
            out.append((f" · +{len(bad) - n} more", "muted"))
            used += len(out[-1][0])
            break
        out += [(" · " if n else ": ", "muted"), (text, tag)]
        used += 3 if n else 2
        used += len(text)
    return out, sum(len(t) for t, _ in out)
