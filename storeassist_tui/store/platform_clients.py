"""The commerce platform's OAuth clients: consumer id + secret (kept hashed, revocable), the bearer
tokens the token endpoint hands out (kept hashed, expiring), and checking them on every call."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlmodel import col, select

from storeassist_tui.store.auth import token_digest
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.errors import DomainError, Duplicate, InvalidInput, NotFound
from storeassist_tui.store.models import PlatformClient, PlatformToken

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_MERCHANT = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")


class InvalidClient(DomainError):
    """Wrong consumer id or secret, or a revoked client, at the token endpoint."""

    code, status = "invalid_client", 401


class PlatformTokenInvalid(DomainError):
    """A platform call without a valid bearer token (missing, unknown, expired, revoked)."""

    code, status = "invalid_token", 401


class NewClient(BaseModel):
    name: str
    consumer_id: str
    consumer_secret: str  # shown once: only its hash is kept
    merchant_id: str


class ClientRow(BaseModel):
    name: str
    consumer_id: str
    merchant_id: str
    created_at: datetime
    revoked_at: datetime | None


class IssuedToken(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


@dataclass(frozen=True)
class Caller:
    """The platform client a call came from."""

    client_id: int
    name: str
    consumer_id: str
    merchant_id: str


def add_client(db: Database, name: str, merchant_id: str = "") -> NewClient:
    name, merchant_id = name.strip(), merchant_id.strip()
    if not _NAME.match(name):
        raise InvalidInput("Client name: 1 to 100 letters, digits or _.-")
    if not _MERCHANT.match(merchant_id):
        raise InvalidInput("Merchant id: at most 64 letters, digits or _.:-")
    consumer_id = secrets.token_hex(16)
    secret = "sas_" + secrets.token_urlsafe(32)
    with db.write() as session:
        if session.exec(select(PlatformClient).where(PlatformClient.name == name)).first() is not None:
            raise Duplicate(f"A platform client {name} already exists")
        session.add(PlatformClient(name=name, consumer_id=consumer_id, secret_hash=token_digest(secret),
                                   merchant_id=merchant_id))
    return NewClient(name=name, consumer_id=consumer_id, consumer_secret=secret, merchant_id=merchant_id)


def revoke_client(db: Database, name: str, now: datetime | None = None) -> None:
    """Revoke the client: its credentials and every token it was given stop working at once."""
    with db.write() as session:
        row = session.exec(select(PlatformClient).where(PlatformClient.name == name.strip())).first()
        if row is None:
            raise NotFound(f"No platform client {name[:100]}")
        if row.revoked_at is None:
            row.revoked_at = now or utcnow()
            session.add(row)


def list_clients(db: Database) -> list[ClientRow]:
    with db.read() as session:
        rows = session.exec(select(PlatformClient).order_by(col(PlatformClient.name))).all()
        return [ClientRow(name=r.name, consumer_id=r.consumer_id, merchant_id=r.merchant_id,
                          created_at=r.created_at, revoked_at=r.revoked_at) for r in rows]


def issue_token(db: Database, consumer_id: str, secret: str, lifetime_s: int,
                now: datetime | None = None) -> IssuedToken:
    """The token endpoint: client credentials in, a bearer token out (its hash kept)."""
    now = now or utcnow()
    with db.write() as session:
        row = session.exec(select(PlatformClient).where(PlatformClient.consumer_id == consumer_id)).first() \
            if consumer_id else None
        if row is None or row.revoked_at is not None or not secrets.compare_digest(
                row.secret_hash, token_digest(secret)):
            raise InvalidClient("Unknown consumer id or wrong secret")
        token = secrets.token_urlsafe(32)
        session.add(PlatformToken(token_hash=token_digest(token), client_id=row.id or 0, created_at=now,
                                  expires_at=now + timedelta(seconds=lifetime_s)))
        # Tokens long expired are of no use to anyone: dropped as new ones are made.
        stale = session.exec(select(PlatformToken).where(PlatformToken.client_id == row.id,
                                                         col(PlatformToken.expires_at) < now - timedelta(days=1)))
        for old in stale.all():
            session.delete(old)
    return IssuedToken(access_token=token, expires_in=lifetime_s)


def authenticate(db: Database, token: str, consumer_id: str, now: datetime | None = None) -> Caller:
    """The client of a platform call: a live token of a client not revoked, whose consumer id the
    call names (WM_CONSUMER.ID)."""
    now = now or utcnow()
    if not token:
        raise PlatformTokenInvalid("A bearer token is required (Authorization: Bearer <token>)")
    with db.read() as session:
        tok = session.get(PlatformToken, token_digest(token))
        client = session.get(PlatformClient, tok.client_id) if tok is not None else None
        if tok is None or client is None:
            raise PlatformTokenInvalid("Unknown bearer token: fetch a new one from the token URL")
        if client.revoked_at is not None:
            raise PlatformTokenInvalid("This platform client was revoked")
        if tok.expires_at <= now:
            raise PlatformTokenInvalid("The bearer token has expired: fetch a new one from the token URL")
        if consumer_id != client.consumer_id:
            raise PlatformTokenInvalid("WM_CONSUMER.ID does not match the token's consumer id")
        return Caller(client.id or 0, client.name, client.consumer_id, client.merchant_id)
