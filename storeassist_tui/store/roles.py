"""Roles and the three permissions of the source platform (named in storeassist_tui.schemas, which
the screens share)."""

from __future__ import annotations

from dataclasses import dataclass

from storeassist_tui.schemas import CANCEL, DISPENSE, PICK, ROLES
from storeassist_tui.store.errors import Forbidden, InvalidInput, NotFound

_PERMISSION_WORDS = {PICK: "pick orders", DISPENSE: "hand off orders", CANCEL: "cancel orders or reduce quantities"}


def permissions_of(role: str) -> frozenset[str]:
    try:
        return ROLES[role]
    except KeyError:
        raise InvalidInput(f"Unknown role {role!r}: use one of {', '.join(ROLES)}") from None


@dataclass(frozen=True)
class Actor:
    """Who is asking: an associate with a role and the stores they may work in."""

    id: int
    username: str
    display_name: str
    role: str
    store_ids: frozenset[str]

    @property
    def permissions(self) -> frozenset[str]:
        return ROLES.get(self.role, frozenset())

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            raise Forbidden(f"{self.display_name} may not {_PERMISSION_WORDS[permission]}")

    def require_store(self, store_id: str, what: str = "order") -> None:
        require_member(store_id in self.store_ids, what)


def require_member(is_member: bool, what: str = "order") -> None:
    """An associate works only in their stores (also checked this way by store/poll_check.py)."""
    # Word for word the answer of a missing thing (store.txn, store.queries), so an associate
    # cannot tell another store's ids from unused ones.
    if not is_member:
        raise NotFound(f"No such {what}")
