"""Is a database's schema at head? Answered without Alembic (or SQLAlchemy): the head is read
from the revision files as text, the database's version from its `alembic_version` table.

Every start used to load Alembic's environment and every revision to learn that there was
nothing to do (about 0.3 s and 10 MB); now only a database that is behind pays for it.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from collections.abc import Iterable
from functools import cache
from pathlib import Path

VERSIONS = Path(__file__).parent / "migrations" / "versions"

# `revision: str = '0006'` and `down_revision: str | None = '0005'` (or None, or a tuple when
# branches merge), as Alembic's template writes them.
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _revisions(text: str) -> tuple[str, tuple[str, ...]] | None:
    """(revision, the revisions it follows) of one revision file; None if it does not say plainly."""
    found: dict[str, object] = {}
    for name, value in _ASSIGNMENT.findall(text):
        try:
            found[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return None
    rev, down = found.get("revision"), found.get("down_revision", ...)
    if not isinstance(rev, str) or down is ...:
        return None
    if down is None:
        return rev, ()
    if isinstance(down, str):
        return rev, (down,)
    if isinstance(down, (tuple, list)) and all(isinstance(d, str) for d in down):
        return rev, tuple(down)
    return None


@cache
def head_revisions(versions: Path = VERSIONS) -> frozenset[str] | None:
    """The revisions no other revision follows (one, unless the history has branched); None when a
    file cannot be read this way, and then only Alembic can tell."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in versions.glob("*.py"):
        parsed = _revisions(path.read_text(encoding="utf-8"))
        if parsed is None:
            return None
        revisions.add(parsed[0])
        followed.update(parsed[1])
    heads = frozenset(revisions - followed)
    return heads or None


def is_current(stored: Iterable[str]) -> bool:
    """The versions a database records (its `alembic_version` rows) are the head revisions."""
    heads = head_revisions()
    return heads is not None and frozenset(stored) == heads


def sqlite_path(url: str) -> Path | None:
    """The file of a plain `sqlite:///path` URL; None for anything else (memory, options, drivers)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    path = url[len(prefix):]
    return Path(path) if path and path != ":memory:" else None


def sqlite_ready(url: str) -> bool:
    """A SQLite file that exists, is at head and has a store: the embedded backend has nothing to
    create, migrate or seed there. Any doubt (no such file, unreadable, behind) is False, and the
    full start (store/migrate.py) decides and says what is wrong."""
    path = sqlite_path(url)
    if path is None or not path.is_file():
        return False
    try:
        conn = sqlite3.connect(path, timeout=0.5)  # a writer holding it: the full start waits instead
        try:
            stored = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
            has_store = conn.execute("SELECT 1 FROM store LIMIT 1").fetchone() is not None
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return has_store and is_current(stored)
