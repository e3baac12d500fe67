"""Small reusable widgets for tiny, monochrome, keyboard-only terminals.

Everything here draws ASCII only, one line unless said otherwise, and shows status with
bold / reverse / underline rather than colour (so NO_COLOR and a VT220 still read right).
"""

from __future__ import annotations

import os

# The terminal recipe: these must be set before Textual is first imported (any import order).
os.environ.setdefault("TEXTUAL_DISABLE_KITTY_KEY", "1")
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
os.environ.setdefault("ESCDELAY", "400")

from storeassist_tui.widgets.bars import Hint, KeyBar, MessageBar, TitleBar
from storeassist_tui.widgets.field import AsciiField
from storeassist_tui.widgets.progress import AsciiProgress
from storeassist_tui.widgets.scan import ScanField
from storeassist_tui.widgets.text import Banner, FitLabel, FormLines, Quote, ascii_line, clip, first_fit

__all__ = ["AsciiField", "AsciiProgress", "Banner", "FitLabel", "FormLines", "Hint", "KeyBar", "MessageBar", "Quote", "ScanField", "TitleBar", "ascii_line", "clip", "first_fit"]
