"""Every key of the app in one place: the footer, the help screen, the command palette and the
``[ui.bindings]`` remap table all read these lists. A binding's ``id`` is the action name users remap.

``liqwatch.config.keys`` holds the same ids and keys as plain data, per screen: the configuration refuses a
remapping that puts two actions on one key of a screen (a test keeps the two tables equal)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingType

from widgets.keyed_table import TABLE_BINDINGS

#: Actions whose key hint the key bar keeps however narrow the terminal: how to get help and how to get out.
ALWAYS_SHOWN = frozenset({"help", "request_quit"})

APP_BINDINGS: list[BindingType] = [
    Binding("question_mark", "help", "Help", id="help"),
    Binding("t", "cycle_theme", "Theme", id="theme"),
    Binding("q", "request_quit", "Quit", id="quit"),
    Binding("ctrl+p", "command_palette", "Commands", show=False, id="command_palette"),
]

MONITOR_BINDINGS: list[BindingType] = [
    Binding("tab", "next_pane", "Next pane", show=False, priority=True, id="next_pane"),
    Binding("shift+tab", "prev_pane", "Previous pane", show=False, priority=True, id="prev_pane"),
    Binding("enter", "open_detail", "Open", id="detail"),
    Binding("i", "account_info", "Info", id="account_info"),
    Binding("slash", "filter", "Filter", id="filter"),
    Binding("s", "sort_next", "Sort", id="sort_next"),
    Binding("S", "sort_reverse", "Reverse sort", show=False, id="sort_reverse"),
    Binding("a", "ack", "Ack", id="ack"),
    Binding("A", "ack_all", "Ack all", id="ack_all"),
    Binding("z", "snooze", "Snooze", id="snooze"),
    Binding("w", "what_if", "What-if", id="what_if"),
    Binding("h", "alert_history", "Alert history", show=False, id="alert_history"),
    Binding("v", "all_positions", "All accounts", show=False, id="all_positions"),
    Binding("escape", "back", "Back", show=False, id="back"),
]

WHAT_IF_BINDINGS: list[BindingType] = [
    Binding("plus,equals_sign", "shift(1)", "+1 %", id="what_if_up"),
    Binding("minus", "shift(-1)", "-1 %", id="what_if_down"),
    Binding("right_square_bracket", "shift(10)", "+10 %", id="what_if_up_more"),
    Binding("left_square_bracket", "shift(-10)", "-10 %", id="what_if_down_more"),
    Binding("0", "reset_shift", "Reset", id="what_if_reset"),
    Binding("n", "next_asset", "Next asset", id="what_if_asset"),
    Binding("escape", "dismiss_screen", "Close", id="what_if_close"),
]

SNOOZE_BINDINGS: list[BindingType] = [
    Binding("1", "choose(300)", "5 min", id="snooze_5m"),
    Binding("2", "choose(900)", "15 min", id="snooze_15m"),
    Binding("3", "choose(3600)", "1 hour", id="snooze_1h"),
    Binding("4", "choose(14400)", "4 hours", id="snooze_4h"),
    Binding("escape", "cancel", "Cancel", id="snooze_cancel"),
]

CONFIRM_BINDINGS: list[BindingType] = [
    Binding("y", "answer(True)", "Yes, quit", id="quit_yes"),
    Binding("n,escape", "answer(False)", "No", id="quit_no"),
]

CLOSE_BINDINGS: list[BindingType] = [
    Binding("escape,question_mark", "dismiss_screen", "Close", id="close"),
]

#: The help and the account detail are text to scroll (the history is a table: its own keys move it).
SCROLL_BINDINGS: list[BindingType] = [
    Binding("j,down", "scroll_text(1)", "Scroll down", show=False, id="scroll_down"),
    Binding("k,up", "scroll_text(-1)", "Scroll up", show=False, id="scroll_up"),
]


@dataclass(frozen=True, slots=True)
class KeyHelp:
    group: str
    id: str
    keys: str
    description: str
    action: str


GROUPS: tuple[tuple[str, list[BindingType]], ...] = (
    ("Everywhere", APP_BINDINGS),
    ("Main screen", MONITOR_BINDINGS),
    ("Tables", TABLE_BINDINGS),
    ("What-if", WHAT_IF_BINDINGS),
    ("Snooze", SNOOZE_BINDINGS),
    ("Quit?", CONFIRM_BINDINGS),
    ("Help, history, account", CLOSE_BINDINGS),
    ("Help, account (scrolling)", SCROLL_BINDINGS),
)


def _bindings(items: Iterable[BindingType]) -> list[Binding]:
    return [b for b in items if isinstance(b, Binding)]


def action_ids() -> list[str]:
    return [b.id for _, items in GROUPS for b in _bindings(items) if b.id is not None]


_NAMES = {"question_mark": "?", "slash": "/", "plus": "+", "equals_sign": "=", "minus": "-",
          "left_square_bracket": "[", "right_square_bracket": "]", "shift+tab": "shift+tab"}


def display_keys(keys: str) -> str:
    return ", ".join(_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def key_help(keymap: Mapping[str, str]) -> list[KeyHelp]:
    """Every binding with the keys in force (remapped ones included), in the help screen's order."""
    out = []
    for group, items in GROUPS:
        for b in _bindings(items):
            if b.id is None:
                continue
            keys = keymap.get(b.id, b.key)
            out.append(KeyHelp(group, b.id, display_keys(keys), b.description, b.action))
    return out
