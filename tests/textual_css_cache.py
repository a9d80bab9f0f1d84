"""Textual's parsed CSS, shared by every App a test process makes.

Each App has a Stylesheet of its own, and each Stylesheet parses the app's CSS and every widget's DEFAULT_CSS
again (Textual caches a parse only within one Stylesheet): ~7 % of a TUI test's CPU, the same text parsed the
same way in every test. Here a parse is kept for the process, keyed by everything it depends on: the arguments
Textual's own cache is keyed by, and the theme's variables (the only other input of ``parse``). A hit is the
very list Textual's own cache would return on a second parse in one Stylesheet; errors are not cached (they
raise, as before). Tests only: the product parses once per run anyway.
"""

from __future__ import annotations

from typing import Any

from textual.css.stylesheet import Stylesheet

_parse_rules = Stylesheet._parse_rules
_RULES: dict[tuple[Any, ...], Any] = {}


def _shared_parse_rules(self: Stylesheet, css: str, read_from: Any, is_default_rules: bool = False,
                        tie_breaker: int = 0, scope: str = "") -> Any:
    key = (css, read_from, is_default_rules, tie_breaker, scope, tuple(self._variables.items()))
    rules = _RULES.get(key)
    if rules is None:
        rules = _RULES[key] = _parse_rules(self, css, read_from, is_default_rules, tie_breaker, scope)
    return rules


def install() -> None:
    Stylesheet._parse_rules = _shared_parse_rules  # type: ignore[method-assign]
