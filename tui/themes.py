"""The four themes of ``[ui] theme``. Levels are also told apart by text markers (``! WARN``, ``!! CRIT``)
and glyphs, so each theme only reinforces them: ``colorblind`` uses the Okabe-Ito palette (blue and orange,
no red/green pair), ``monochrome`` uses no colour at all, only bold, reverse and dim."""

from __future__ import annotations

from textual.theme import Theme

from widgets.styled import DEFAULT_VARIABLES


def _levels(ok: str, warning: str, critical: str, stale: str, muted: str, gain: str, loss: str, strong: str,
            accent: str, plot: str, styles: dict[str, str] | None = None) -> dict[str, str]:
    colours = {"ok": ok, "warning": warning, "critical": critical, "stale": stale, "muted": muted, "gain": gain,
               "loss": loss, "strong": strong, "accent": accent, "entry": accent, "liq": critical, "plot": plot}
    out = dict(DEFAULT_VARIABLES)
    for tag, colour in colours.items():
        out[f"lw-{tag}"] = colour
    for tag, style in (styles or {}).items():
        out[f"lw-{tag}-style"] = style
    return out


DARK = Theme(
    name="liqwatch-dark", primary="#3D8BFD", secondary="#7AA2F7", accent="#F2B33D", foreground="#E0E0E0",
    background="#111417", surface="#171B1F", panel="#20262C", success="#4EBF71", warning="#FFA62B",
    error="#FF5C5C", dark=True,
    variables=_levels("#4EBF71", "#FFA62B", "#FF5C5C", "#7C848C", "#98A2AB", "#4EBF71", "#FF7373", "#FFFFFF",
                      "#5FAFFF", "#E0E0E0"),
)

LIGHT = Theme(
    name="liqwatch-light", primary="#1F5FBF", secondary="#3B6FB6", accent="#A05A00", foreground="#1B1F23",
    background="#F7F7F5", surface="#FFFFFF", panel="#E6E8EB", success="#1B7F3A", warning="#9A5B00",
    error="#C62828", dark=False,
    variables=_levels("#1B7F3A", "#9A5B00", "#C62828", "#8A9097", "#5C6670", "#1B7F3A", "#C62828", "#000000",
                      "#1F5FBF", "#1B1F23"),
)

COLORBLIND = Theme(
    name="liqwatch-colorblind", primary="#0072B2", secondary="#56B4E9", accent="#E69F00", foreground="#E8E8E8",
    background="#101214", surface="#16191C", panel="#22272C", success="#56B4E9", warning="#E69F00",
    error="#D55E00", dark=True,
    variables=_levels("#56B4E9", "#F0E442", "#E69F00", "#808890", "#A0A8B0", "#56B4E9", "#E69F00", "#FFFFFF",
                      "#CC79A7", "#E8E8E8", styles={"critical": "bold reverse", "liq": "bold"}),
)

MONOCHROME = Theme(
    name="liqwatch-monochrome", primary="#C0C0C0", secondary="#A0A0A0", accent="#FFFFFF", foreground="#D0D0D0",
    background="#000000", surface="#000000", panel="#1A1A1A", success="#D0D0D0", warning="#D0D0D0",
    error="#FFFFFF", dark=True,
    variables=_levels("#D0D0D0", "#FFFFFF", "#FFFFFF", "#D0D0D0", "#A0A0A0", "#D0D0D0", "#D0D0D0", "#FFFFFF",
                      "#FFFFFF", "#FFFFFF", styles={"ok": "none", "warning": "bold", "critical": "bold reverse",
                                                    "stale": "dim", "loss": "underline", "liq": "bold",
                                                    "muted": "dim", "strong": "bold"}),
)

THEMES: dict[str, Theme] = {"dark": DARK, "light": LIGHT, "colorblind": COLORBLIND, "monochrome": MONOCHROME}
ORDER = tuple(THEMES)


def theme_name(setting: str) -> str:
    """The registered name of a ``[ui] theme`` value."""
    return THEMES[setting].name


def next_theme(current: str) -> str:
    names = [THEMES[k].name for k in ORDER]
    i = names.index(current) if current in names else -1
    return names[(i + 1) % len(names)]
