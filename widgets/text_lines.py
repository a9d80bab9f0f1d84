"""``TextLines``: a few lines of tagged text (the header, the detail pane, plots), each line repainted only
when its own text or tags changed."""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from widgets.styled import TagStyles

Span = tuple[str, str]  # (text, style tags)
Line = tuple[Span, ...]


class TextLines(ScrollView):
    DEFAULT_CSS = """
    TextLines { height: auto; overflow: hidden hidden; background: $surface; color: $foreground; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: tuple[Line, ...] = ()
        self._strips: dict[int, Strip] = {}
        self._styles = TagStyles(self)
        self.lines_rendered = 0

    @property
    def lines(self) -> tuple[Line, ...]:
        return self._lines

    @property
    def plain(self) -> str:
        return "\n".join("".join(text for text, _ in line) for line in self._lines)

    def set_lines(self, lines: Sequence[Line]) -> int:
        """Returns how many lines will be repainted."""
        new = tuple(lines)
        if new == self._lines:
            return 0
        old = self._lines
        self._lines = new
        width = max((sum(len(t) for t, _ in line) for line in new), default=0)
        if len(new) != len(old):
            self.virtual_size = Size(width, len(new))
            self._strips.clear()
            self.refresh(layout=True)
            return len(new)
        changed = 0
        for y, (a, b) in enumerate(zip(old, new, strict=True)):
            if a != b:
                self._strips.pop(y, None)
                self.refresh(Region(0, y, self.size.width, 1))
                changed += 1
        return changed

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y >= len(self._lines):
            return Strip.blank(width, self._styles.base)
        strip = self._strips.get(y)
        if strip is None:
            strip = Strip([Segment(text, self._styles.style(tags)) for text, tags in self._lines[y]])
            self._strips[y] = strip
        self.lines_rendered += 1
        return strip.extend_cell_length(width, self._styles.base).crop(0, width)
