"""Style tags: the small vocabulary widgets use to say what a piece of text *is* (a warning, a stale value,
a gain), resolved to a Rich style through the theme's ``lw-*`` variables.

Widgets never name a colour: a theme does, so the colour-blind and monochrome themes can change every
signal at once. Text markers carry the meaning on their own; the style only reinforces it.
"""

from __future__ import annotations

from rich.style import Style
from textual.color import Color
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


class TagStyles:
    """Tag strings ("warning stale") to Rich styles, cached until the theme or the CSS changes.

    A tag's style is read from the theme's ``lw-<tag>`` and ``lw-<tag>-style`` variables directly, not
    through a CSS component class per tag: Textual restyles every component class of a widget (uncached)
    each time the widget is restyled (a focus change, a pane shown, a theme), and twelve per table were most
    of the stylesheet's work in the TUI. The style is the same one the CSS rule ``color: $lw-<tag>;
    text-style: $lw-<tag>-style`` gave (checked for the four themes)."""

    def __init__(self, widget: Widget) -> None:
        self._widget = widget
        self._cache: dict[tuple[str, str], Style] = {}
        self._tags: dict[str, Style] = {}
        self._variables: dict[str, str] | None = None
        self._base: Style | None = None

    def clear(self) -> None:
        self._cache.clear()
        self._base = None

    @property
    def base(self) -> Style:
        """The widget's own Rich style (its background and colour), for blank lines and padding: Textual
        computes ``rich_style`` afresh at every call, walking the widget's ancestors; here it is computed once
        per style change, as the tags' styles are (``clear`` on the widget's ``notify_style_update``)."""
        self._check_theme()
        if self._base is None:
            self._base = self._widget.rich_style
        return self._base

    def tag(self, tag: str) -> Style:
        """One tag's own style under the current theme (colour and emphasis, nothing from the widget)."""
        self._check_theme()
        style = self._tags.get(tag)
        if style is None:
            variables = self._widget.app.theme_variables
            colour = variables.get(f"lw-{tag}", DEFAULT_VARIABLES[f"lw-{tag}"])
            emphasis = variables.get(f"lw-{tag}-style", DEFAULT_VARIABLES[f"lw-{tag}-style"])
            style = Style(color=Color.parse(colour).rich_color) + Style.parse(emphasis)
            self._tags[tag] = style
        return style

    def style(self, tags: str, overlay: str = "") -> Style:
        """The widget's base style, then each tag's, then ``overlay`` (a component class, e.g. the cursor)."""
        self._check_theme()
        key = (tags, overlay)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        w = self._widget
        style = self.base
        for tag in tags.split():
            style += self.tag(tag)
        if overlay:
            style += w.get_component_rich_style(overlay, partial=True)
        self._cache[key] = style
        return style

    def _check_theme(self) -> None:
        # The App builds a new variables dict whenever the theme changes (App.get_css_variables).
        variables = self._widget.app.theme_variables
        if variables is not self._variables:
            self._variables = variables
            self._tags.clear()
            self.clear()
