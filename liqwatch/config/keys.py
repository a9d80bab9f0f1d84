"""The app's default keys, per screen, as plain data: what ``[ui.bindings]`` is checked against.

The terminal app's key lists (``tui.bindings``, Textual objects the engine may not import) hold the same ids
and keys; a test keeps the two equal. A key can serve one action per screen: two actions bound to the same key
on one screen (the app-wide keys count on every screen) would leave one of them unreachable, so such a
remapping is refused with the conflict named. The same key on different screens is fine (``escape`` goes back
on the main screen and closes the what-if).
"""

from __future__ import annotations

from collections.abc import Mapping

#: Each group of keys: (action id, default keys, comma-separated Textual key names).
GROUP_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "Everywhere": (("help", "question_mark"), ("theme", "t"), ("quit", "q"), ("command_palette", "ctrl+p")),
    "Main screen": (
        ("next_pane", "tab"), ("prev_pane", "shift+tab"), ("detail", "enter"), ("account_info", "i"),
        ("filter", "slash"), ("sort_next", "s"), ("sort_reverse", "S"), ("ack", "a"), ("ack_all", "A"),
        ("snooze", "z"), ("what_if", "w"), ("alert_history", "h"), ("all_positions", "v"), ("back", "escape"),
    ),
    "Tables": (
        ("cursor_down", "j,down"), ("cursor_up", "k,up"), ("page_down", "pagedown"), ("page_up", "pageup"),
        ("cursor_top", "home,g"), ("cursor_bottom", "end,G"), ("scroll_left", "left"), ("scroll_right", "right"),
    ),
    "What-if": (
        ("what_if_up", "plus,equals_sign"), ("what_if_down", "minus"), ("what_if_up_more", "right_square_bracket"),
        ("what_if_down_more", "left_square_bracket"), ("what_if_reset", "0"), ("what_if_asset", "n"),
        ("what_if_close", "escape"),
    ),
    "Snooze": (("snooze_5m", "1"), ("snooze_15m", "2"), ("snooze_1h", "3"), ("snooze_4h", "4"),
               ("snooze_cancel", "escape")),
    "Quit?": (("quit_yes", "y"), ("quit_no", "n,escape")),
    "Help, history, account": (("close", "escape,question_mark"),),
    "Help, account (scrolling)": (("scroll_down", "j,down"), ("scroll_up", "k,up")),
}

#: Every action a binding may name.
ACTION_IDS: frozenset[str] = frozenset(action for keys in GROUP_KEYS.values() for action, _ in keys)

#: The groups in force together on each screen (the app-wide keys on every one).
SCREENS: dict[str, tuple[str, ...]] = {
    "the main screen": ("Everywhere", "Main screen", "Tables"),
    "the what-if screen": ("Everywhere", "What-if", "Tables"),
    "the snooze question": ("Everywhere", "Snooze"),
    "the quit question": ("Everywhere", "Quit?"),
    "the alert history": ("Everywhere", "Help, history, account", "Tables"),
    "the help and the account detail": ("Everywhere", "Help, history, account", "Help, account (scrolling)"),
}


def split_keys(keys: str) -> list[str]:
    return [k.strip() for k in keys.split(",") if k.strip()]


def binding_conflicts(bindings: Mapping[str, str]) -> list[str]:
    """Every key that would serve two actions on one screen once ``bindings`` (action id -> keys) apply, as
    ``'a' is bound to quit and ack on the main screen``. Two default keys that meet on a screen by design (a
    modal's ``?`` closing it, over the app's ``?`` help) are not a conflict: only a remapped key can make one."""
    found: list[str] = []
    for screen, groups in SCREENS.items():
        owners: dict[str, list[tuple[str, bool]]] = {}
        for group in groups:
            for action, default in GROUP_KEYS[group]:
                remapped = action in bindings
                for key in split_keys(bindings.get(action, default)):
                    owners.setdefault(key, []).append((action, remapped))
        for key, actions in owners.items():
            names = list(dict.fromkeys(a for a, _ in actions))
            if len(names) > 1 and any(remapped for _, remapped in actions):
                found.append(f"{key!r} is bound to {' and '.join(names)} on {screen}")
    return found
