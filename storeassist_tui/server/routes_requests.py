"""A terminal's requests: voiding one it stopped waiting for (store/voiding.py says why)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from storeassist_tui.server.deps import Ctx, Who
from storeassist_tui.store import voiding

router = APIRouter(prefix="/api/v1", tags=["requests"])


@router.post("/requests/{request_id}/void")
def void(request_id: Annotated[str, Path(max_length=64)], ctx: Ctx, who: Who) -> voiding.VoidResult:
    """Take back a request of this associate: refused if it arrives later, undone if it was a counted
    scan; `saved` says it had taken effect and stays."""
    return voiding.void_request(ctx.db, who, request_id)
