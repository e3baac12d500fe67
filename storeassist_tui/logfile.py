"""The terminal app's log file. A rugged terminal shows one line for an error; the detail (the
traceback) goes here, where whoever supports the store can read it. Rotated, so it never fills
the terminal's storage."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FILE = "storeassist.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 4  # storeassist.log.1 ... .4: 10 MB at most
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_to_file(directory: Path, *, level: int = logging.INFO) -> Path:
    """Send the app's log (the `storeassist_tui` loggers) to `directory`/storeassist.log, rotated;
    the file's path. The screen belongs to Textual, so nothing is logged to the terminal."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOG_FILE
    handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    logger = logging.getLogger("storeassist_tui")
    for old in [h for h in logger.handlers if isinstance(h, RotatingFileHandler)]:
        logger.removeHandler(old)  # set up again (tests): one file at a time
        old.close()
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False  # a handler on the root logger would write over the screen
    return path
