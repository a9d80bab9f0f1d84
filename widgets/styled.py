"""Style tags: the small vocabulary widgets use to say what a piece of text *is* (a warning, a stale value,
a gain), resolved to a Rich style through the theme's ``lw-*`` variables.

Widgets never name a colour: a theme does, so the colour-blind and monochrome themes can change every
signal at once. Text markers carry the meaning on their own; the style only reinforces it.
"""

from __future__ import annotations

from rich.style import Style
from textual.widget import Widget

TAGS = (
    "ok",
    "warning",
    "critical",
    "stale",
    "muted",
    "gain",
    "loss",
    "strong",
    "accent",
    "entry",
    "liq",
    "plot",
)

#: Fallbacks for the ``lw-*`` variables when a theme does not define them (the App's variable defaults).
DEFAULT_VARIABLES: dict[str, str] = {
    "lw-ok": "#4EBF71",
    "lw-ok-style": "none",
    "lw-warning": "#FFA62B",
    "lw-warning-style": "bold",
    "lw-critical": "#FF5C5C",
    "lw-critical-style": "bold",
    "lw-stale": "#808080",
    "lw-stale-style": "dim",
    "lw-muted": "#9a9a9a",
    "lw-muted-style": "none",
    "lw-gain": "#4EBF71",
    "lw-gain-style": "none",
    "lw-loss": "#FF7373",
    "lw-loss-style": "none",
    "lw-strong": "#FFFFFF",
    "lw-strong-style": "bold",
    "lw-accent": "#5FAFFF",
    "lw-accent-style": "none",
    "lw-entry": "#5FAFFF",
    "lw-entry-style": "none",
    "lw-liq": "#FF5C5C",
    "lw-liq-style": "bold",
    "lw-plot": "#E0E0E0",
    "lw-plot-style": "none",
}


def tag_classes(prefix: str) -> set[str]:
    return {f"{prefix}--{tag}" for tag in TAGS}


def tag_css(selector: str, prefix: str) -> str:
    """CSS rules for every tag's component class of one widget type."""
    return "\n".join(
        f"{selector} > .{prefix}--{tag} {{ color: $lw-{tag}; text-style: $lw-{tag}-style; }}" for tag in TAGS
    )


class TagStyles:
    """Tag strings ("warning stale") to Rich styles, cached until the theme or the CSS changes."""

    def __init__(self, widget: Widget, prefix: str) -> None:
        self._widget = widget
        self._prefix = prefix
        self._cache: dict[tuple[str, str], Style] = {}

    def clear(self) -> None:
        self._cache.clear()

    def style(self, tags: str, overlay: str = "") -> Style:
        """The widget's base style, then each tag's, then ``overlay`` (a component class, e.g. the cursor)."""
        key = (tags, overlay)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        w = self._widget
        style = w.rich_style
        for tag in tags.split():
            style += w.get_component_rich_style(f"{self._prefix}--{tag}", partial=True)
        if overlay:
            style += w.get_component_rich_style(overlay, partial=True)
        self._cache[key] = style
        return style
