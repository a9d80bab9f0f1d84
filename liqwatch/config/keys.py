"""The app's default keys, per screen, as plain data: what ``[ui.bindings]`` is checked against.

The terminal app's key lists (``tui.bindings``, Textual objects the engine may not import) hold the same ids
and keys; a test keeps the two equal. A key can serve one action per screen: two actions bound to the same key
on one screen (the app-wide keys count on every screen) would leave one of them unreachable, so such a
remapping is refused with the conflict named. The same key on different screens is fine (``escape`` goes back
on the main screen and closes the what-if).
"""

from __future__ import annotations

import string
import unicodedata
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


# What Textual names a key, kept here as data because the engine may not import Textual (tests/tui checks this
# against textual.keys, so the two cannot drift). Textual matches a binding by the exact name of the key event:
# a name no terminal sends ("escpae") binds nothing, silently, so such a name is refused.
#: Textual's names for the punctuation it renames (the Unicode name is used for the others).
_RENAMED = {"solidus": "slash", "reverse_solidus": "backslash", "commercial_at": "at", "hyphen_minus": "minus",
            "plus_sign": "plus", "low_line": "underscore"}
#: Keys with a name of their own (Textual's ``Keys`` without modifiers).
NAMED_KEYS: frozenset[str] = frozenset({
    "escape", "enter", "return", "tab", "space", "backspace", "delete", "insert", "home", "end", "pageup",
    "pagedown", "up", "down", "left", "right", *(f"f{n}" for n in range(1, 25)),
})
#: Modifiers, in the order Textual writes them in a key event's name (sorted: "ctrl+shift+up").
MODIFIERS: tuple[str, ...] = ("alt", "ctrl", "hyper", "meta", "shift", "super")


def character_key(character: str) -> str:
    """Textual's name for the key of one character: letters and digits as they are, ``?`` ``question_mark``,
    ``/`` ``slash`` (what Textual's bindings and keymap turn a one-character key into)."""
    if character.isalnum():
        return character
    try:
        name = unicodedata.name(character).lower().replace("-", "_").replace(" ", "_")
    except ValueError:
        return "tab" if character == "\t" else character
    return _RENAMED.get(name, name)


#: Every key name without modifiers: the named keys, and each printable ASCII character's name.
BASE_KEYS: frozenset[str] = NAMED_KEYS | {character_key(c) for c in string.printable if not c.isspace() or c == " "}


def normalise_key(key: str) -> str:
    """A key as Textual names it once bound (only a one-character key is renamed, as Textual does)."""
    return character_key(key) if len(key) == 1 else key


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a key name Textual can deliver, or None when it is one."""
    if len(key) == 1:
        return None if key.isprintable() else f"{key!r} is not a printable character"
    *modifiers, base = key.split("+")
    if base not in BASE_KEYS and not (len(base) == 1 and base.isprintable()):
        return (f"{key!r}: {base!r} is not a key name (the names: a character, e.g. 'q' or '?', or its name, "
                "e.g. question_mark; escape, enter, tab, space, backspace, delete, insert, home, end, pageup, "
                "pagedown, up, down, left, right, f1 to f24; with modifiers, e.g. ctrl+r)")
    unknown = [m for m in modifiers if m not in MODIFIERS]
    if unknown:
        return f"{key!r}: {unknown[0]!r} is not a modifier ({', '.join(MODIFIERS)})"
    if modifiers != sorted(set(modifiers)):
        return f"{key!r}: write each modifier once, in this order: {'+'.join(sorted(set(modifiers)))}+{base}"
    return None


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
                for key in map(normalise_key, split_keys(bindings.get(action, default))):
                    owners.setdefault(key, []).append((action, remapped))
        for key, actions in owners.items():
            names = list(dict.fromkeys(a for a, _ in actions))
            if len(names) > 1 and any(remapped for _, remapped in actions):
                found.append(f"{key!r} is bound to {' and '.join(names)} on {screen}")
    return found
