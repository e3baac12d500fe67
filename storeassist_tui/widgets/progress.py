"""An ASCII progress bar: `[#####-----] 3/8 units`, readable without colour or Unicode."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


def bar_text(done: int, total: int, width: int, unit: str = "units") -> str:
    """The bar and the count in `width` columns; the count is never cut, the bar shrinks first."""
    counts = [f" {done}/{total} {unit}", f" {done}/{total}"]
    count = next((c for c in counts if len(c) + 7 <= width), counts[-1])
    inner = max(width - len(count) - 2, 0)
    if inner < 5:
        return count.strip()[:width]
    filled = inner if total and done >= total else (inner * done // total if total else 0)
    return "[" + "#" * filled + "-" * (inner - filled) + "]" + count


class AsciiProgress(Widget):
    """One line; done units are `#`, the rest `-` (monochrome terminals see the difference)."""

    DEFAULT_CSS = """
    AsciiProgress { height: 1; width: 1fr; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.done = 0
        self.total = 0

    def set_progress(self, done: int, total: int) -> None:
        if (done, total) != (self.done, self.total):
            self.done, self.total = done, total
            self.refresh()

    def render(self) -> Text:
        return Text(bar_text(self.done, self.total, self.size.width), style="bold", no_wrap=True,
                    overflow="crop", end="")
