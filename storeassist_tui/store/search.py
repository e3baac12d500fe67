"""Finding a store's orders for the Orders list: how many there are and one page of them, newest
first; all of them, by status, or by a search.

What a search matches is one rule: the query is an order's number, or a whole e-mail address or
phone number that an order has exactly, or else the query as typed, or its digits, is part of the
order's search text (the lower-case name, e-mail and phone digits: intake.search_keys). The
indexes of migration 0007 make the last one fast at 100,000 orders a store:
- PostgreSQL serves `LIKE '%...%'` (`_contains`) from its trigram index by itself;
- SQLite's FTS5 trigram table finds a term of 3 characters or more as a phrase of its trigrams,
  case-sensitive: exactly the orders whose (lower-case) search text holds it, as LIKE would. A
  shorter term has no trigram: LIKE looks for it order by order.
On SQLite a list's total without a search comes from the per-status counts the same migration's
triggers keep; PostgreSQL counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, column, func, or_, table, union_all
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression
from sqlmodel import Session, col, select

from storeassist_tui.store.models import Order

TRIGRAM = 3  # the shortest term the trigram indexes can find
# Up to this many matches a search's page is sorted from the matches; past it, walking the store's
# orders newest first fills a page sooner (a match in every few orders).
FEW_MATCHES = 2000

# SQLite's search index and per-status counts (migration 0007, kept up to date by triggers).
_FTS = table("orders_search", column("rowid"), column("search_text"))
_COUNTS = table("store_order_count", column("store_id"), column("status"), column("n"))


@dataclass(frozen=True)
class Found:
    total: int
    offset: int
    orders: list[Order]  # the page, in list order


def find(session: Session, store_id: str, statuses: list[str], q: str, offset: int, limit: int) -> Found:
    """Orders of the store in `statuses` (any if empty) matching `q` (cleaned, lower-case; any if
    empty), newest first: the total and the page at `offset`."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    statuses = list(dict.fromkeys(statuses))
    where: list[Any] = [Order.store_id == store_id]
    if statuses:
        where.append(col(Order.status).in_(statuses))
    if not q and sqlite:
        total = _kept_total(session, store_id, statuses)
        if len(statuses) > 1:
            return Found(total, offset, _page(session, _ids_of_statuses(store_id, statuses, offset, limit)))
        return Found(total, offset, _page(session, _ids(where, offset, limit)))
    if q:
        # An order's number as printed, or as typed in lower case on a terminal (printed first).
        numbers = list(dict.fromkeys((q.upper(), q)))
        exact = session.exec(select(Order).where(*where, col(Order.number).in_(numbers))).all()
        if exact:
            return Found(1, 0, [min(exact, key=lambda o: numbers.index(o.number))])
        key = _exact_key(session, where, q)
        if key is not None:
            where.append(key)
        else:
            terms = _terms(q)
            if sqlite and min(len(t) for t in terms) >= TRIGRAM:
                return _by_trigrams(session, store_id, statuses, where, terms, offset, limit)
            where.append(_contains(terms))
    orders = _page(session, _ids(where, offset, limit))
    total = len(orders) if offset == 0 and len(orders) < limit else _count(session, where)
    return Found(total, offset, orders)


def _terms(q: str) -> list[str]:
    """What a query looks for: itself, and its digits when it is a phone number as typed."""
    digits = re.sub(r"\D", "", q)
    return [q, digits] if len(digits) >= 4 and digits != q else [q]


def _contains(terms: list[str]) -> ColumnElement[bool]:
    """Any of the terms is part of the search text ('%' and '_' are literal)."""
    return or_(*(col(Order.search_text).contains(t, autoescape=True) for t in terms))


def _exact_key(session: Session, where: list[Any], q: str) -> ColumnElement[bool] | None:
    """An indexed exact e-mail or full phone number, when the query is one and an order has it."""
    digits = re.sub(r"\D", "", q)
    if "@" in q:
        exact = col(Order.email_key) == q
    elif len(digits) >= 10 and not re.sub(r"[\d\s()+.-]", "", q):
        exact = col(Order.phone_key) == digits[-10:]
    else:
        return None
    return exact if session.exec(select(Order.id).where(*where, exact).limit(1)).first() is not None else None


def _by_trigrams(session: Session, store_id: str, statuses: list[str], where: list[Any], terms: list[str],
                 offset: int, limit: int) -> Found:
    """SQLite: the orders whose search text holds one of the terms, from the FTS5 trigram index."""
    match = _FTS.c.search_text.match(" OR ".join('"' + t.replace('"', '""') + '"' for t in terms))
    hits = col(Order.id).in_(select(_FTS.c.rowid).where(match))
    driven: list[Any] = [_not_indexed(Order.store_id) == store_id, hits]
    if statuses:
        driven.append(col(Order.status).in_(statuses))
    if not statuses and _only_store(session, store_id):
        # A store's own database: the index counts its matches without reading an order.
        total = session.exec(select(func.count()).select_from(_FTS).where(match)).one()
    else:
        total = _count(session, driven)
    if total <= FEW_MATCHES:
        return Found(total, offset, _page(session, _ids(driven, offset, limit)))
    return Found(total, offset, _page(session, _ids([*where, _contains(terms)], offset, limit)))


def _not_indexed(c: Any) -> ColumnElement[Any]:
    """`+column`: SQLite's way to keep its planner off the indexes of that column, so that the
    search index drives the query instead of a walk through every order of the store."""
    return UnaryExpression(c, operator=operators.custom_op("+"), type_=c.type)


def _only_store(session: Session, store_id: str) -> bool:
    """SQLite: no other store has orders here."""
    others = select(_COUNTS.c.store_id).where(_COUNTS.c.store_id != store_id, _COUNTS.c.n > 0).limit(1)
    return session.exec(others).first() is None


def _newest_first(placed_at: Any, order_id: Any) -> tuple[Any, Any]:
    return placed_at.desc(), order_id.desc()


def _ids(where: list[Any], offset: int, limit: int) -> Select[Any]:
    return select(Order.id).where(*where).order_by(*_newest_first(Order.placed_at, Order.id)).offset(offset).limit(limit)


def _ids_of_statuses(store_id: str, statuses: list[str], offset: int, limit: int) -> Select[Any]:
    """SQLite: a page of several statuses (the open orders), each status's newest from its own
    index, merged. Without statistics SQLite's planner would walk every order of the store, newest
    first, looking for the few open ones (PostgreSQL's, which has them, chooses well)."""
    each = [
        select(Order.id, Order.placed_at).where(Order.store_id == store_id, Order.status == s)
        .order_by(*_newest_first(Order.placed_at, Order.id)).limit(offset + limit).subquery()
        for s in statuses
    ]
    merged = union_all(*(select(e.c.id, e.c.placed_at) for e in each)).subquery()
    return select(merged.c.id).order_by(*_newest_first(merged.c.placed_at, merged.c.id)).offset(offset).limit(limit)


def _page(session: Session, ids: Select[Any]) -> list[Order]:
    """The page's orders, whose ids are chosen first: an offset is skipped in the index alone,
    not through the orders' rows."""
    page = ids.subquery()
    stmt = select(Order).join(page, col(Order.id) == page.c.id).order_by(*_newest_first(Order.placed_at, Order.id))
    return list(session.exec(stmt))


def _count(session: Session, where: list[Any]) -> int:
    return session.exec(select(func.count()).select_from(Order).where(*where)).one()


def _kept_total(session: Session, store_id: str, statuses: list[str]) -> int:
    """SQLite: the store's orders in those statuses from the counts its triggers keep."""
    stmt = select(func.coalesce(func.sum(_COUNTS.c.n), 0)).where(_COUNTS.c.store_id == store_id)
    if statuses:
        stmt = stmt.where(_COUNTS.c.status.in_(statuses))
    return int(session.exec(stmt).one())
