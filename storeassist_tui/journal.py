"""The terminal's journal of requests the backend has not answered yet, kept on disk.

A scan made while the backend is away must survive the app quitting, the terminal losing power or
the SSH session dropping: the request (with its request id, so the backend never does it twice) is
appended here, fsynced, before the associate is told it is waiting. When it is answered it is
marked done; when the associate stops waiting it is marked to be voided, and the void is sent
before anything else. On the next login of the same associate to the same backend, what is left
is sent again, in order, once each.

One JSON object a line, appended only; a torn last line (power cut mid-write) is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class HeldRequest:
    """A mutating request as it goes on the wire, and what the associate calls it."""

    request_id: str
    method: str
    path: str
    body: Any
    what: str
    sent: bool = False  # it may have reached the backend: stopping it needs a void


@dataclass
class Journal:
    """Append-only file of held requests; `pending` and `voids` are its state, in order."""

    path: Path | None = None  # None: kept in memory only (tests, or no data directory)
    pending: dict[str, HeldRequest] = field(default_factory=dict)
    voids: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, directory: Path | None, backend: str, username: str) -> Journal:
        """The journal of this associate on this backend (read back if it exists)."""
        if directory is None:
            return cls()
        key = hashlib.sha256(f"{backend}\n{username}".encode()).hexdigest()[:16]
        journal = cls(directory / f"{key}.jsonl")
        journal._load()
        return journal

    def _load(self) -> None:
        assert self.path is not None
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return
        for raw in lines:
            try:
                rec = json.loads(raw)
                kind, rid = rec["t"], rec["id"]
            except (ValueError, KeyError, TypeError):
                continue  # a torn line
            if kind == "req":
                self.pending[rid] = HeldRequest(rid, rec["method"], rec["path"], rec["body"], rec["what"], True)
            elif kind == "done":
                self.pending.pop(rid, None)
            elif kind == "void":
                self.pending.pop(rid, None)
                if rid not in self.voids:
                    self.voids.append(rid)
            elif kind == "voided" and rid in self.voids:
                self.voids.remove(rid)

    def _append(self, rec: dict[str, Any]) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (json.dumps(rec, separators=(",", ":")) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def hold(self, req: HeldRequest) -> None:
        """Keep `req` until it is answered (written once; holding it again changes nothing)."""
        if req.request_id in self.pending:
            return
        self.pending[req.request_id] = req
        self._append({"t": "req", "id": req.request_id, "method": req.method, "path": req.path,
                      "body": req.body, "what": req.what})

    def done(self, request_id: str) -> None:
        if self.pending.pop(request_id, None) is not None:
            self._append({"t": "done", "id": request_id})
            self._compact()

    def void(self, request_id: str) -> None:
        """The associate stopped waiting: the request must never take effect."""
        self.pending.pop(request_id, None)
        if request_id not in self.voids:
            self.voids.append(request_id)
            self._append({"t": "void", "id": request_id})

    def voided(self, request_id: str) -> None:
        if request_id in self.voids:
            self.voids.remove(request_id)
            self._append({"t": "voided", "id": request_id})
            self._compact()

    def _compact(self) -> None:
        """Nothing left: start the file afresh, so it never grows over a shift."""
        if self.path is not None and not self.pending and not self.voids:
            self.path.unlink(missing_ok=True)
