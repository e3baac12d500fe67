"""Text from outside (the platform, a terminal, a customer's phone): control characters and
terminal escape sequences never reach the database, a search or the audit trail."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, field_validator

_ESCAPES = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)?")  # CSI and SS3 sequences, then lone ESC
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """One line of plain text: escape sequences dropped, other control characters as spaces."""
    return _CONTROL.sub(" ", _ESCAPES.sub("", text)).strip()


class CleanModel(BaseModel):
    """A request body whose every string field is cleaned before it is validated further."""

    @field_validator("*", mode="before")
    @classmethod
    def _clean_strings(cls, value: Any) -> Any:
        return clean(value) if isinstance(value, str) else value
