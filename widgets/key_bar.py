"""The key hints line at the bottom of a screen: one widget drawing one line, redrawn only when its text changes.

Textual's ``Footer`` rebuilds a widget per key every time the bindings change (each focus move), restyling each
one: measured a quarter of the CPU of a session of key presses. Here a change of bindings recomputes a list of
(key, description) pairs and the line is repainted only if that list differs (Dolphie's rule: touch the screen
only when the text changed). When the line is too narrow for every hint, the ones at the end go first, but the
``keep`` ids (help and quit) stay, at the right: a trader at 80 columns can always see how to get help and out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget


@dataclass(frozen=True, slots=True)
class Hint:
    key: str  #: the key as Textual names it (for a click)
    display: str  #: the key as shown
    description: str
    enabled: bool
    action: str


def fit_hints(hints: list[Hint], width: int, keep: frozenset[str], compact: bool) -> list[Hint]:
    """The hints that fit in ``width`` cells, in order, with those whose action is in ``keep`` kept last."""
    kept = [h for h in hints if h.action in keep]
    rest = [h for h in hints if h.action not in keep]
    budget = width - sum(hint_width(h, compact) for h in kept)
    shown: list[Hint] = []
    for hint in rest:
        cost = hint_width(hint, compact)
        if cost > budget:
            break
        shown.append(hint)
        budget -= cost
    return shown + kept


def hint_width(hint: Hint, compact: bool) -> int:
    # " k " + "desc " wide; "k" + " desc " compact (as Textual's footer pads them)
    return len(hint.display) + len(hint.description) + (2 if compact else 3)


class KeyBar(Widget, can_focus=False):
    """The screen's key hints (bindings with ``show``), one per action, as Textual's footer lists them."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-bar--key", "key-bar--description", "key-bar--disabled"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
        .key-bar--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
        .key-bar--description { color: $footer-description-foreground; background: $footer-description-background; }
        .key-bar--disabled { text-style: dim; }
    }
    """

    compact: reactive[bool] = reactive(False)

    def __init__(self, keep: frozenset[str] = frozenset(), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.keep = keep
        self._hints: list[Hint] = []
        self._spans: list[tuple[int, int, str]] = []  # (first cell, end cell, key) of each shown hint

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is not self.screen:
            return
        seen: set[str] = set()
        hints: list[Hint] = []
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            hints.append(Hint(binding.key, self.app.get_key_display(binding), binding.description, enabled,
                              binding.action))
        if hints != self._hints:
            self._hints = hints
            self.refresh()

    def watch_compact(self) -> None:
        self.refresh()

    @property
    def hints(self) -> list[Hint]:
        """Every hint of the screen's bindings, in order, shown or not (what a narrow line leaves out too)."""
        return list(self._hints)

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        text_style = self.get_component_rich_style("key-bar--description")
        dim = self.get_component_rich_style("key-bar--disabled")
        line = Text(no_wrap=True, overflow="crop")
        self._spans = []
        pad = "" if self.compact else " "
        for hint in fit_hints(self._hints, self.size.width, self.keep, self.compact):
            start = line.cell_len
            keys, words = (key_style, text_style) if hint.enabled else (key_style + dim, text_style + dim)
            line.append(f"{pad}{hint.display}{pad}", keys)
            line.append(f"{' ' if self.compact else ''}{hint.description} ", words)
            self._spans.append((start, line.cell_len, hint.key))
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
