"""Log-in, lock-out, sessions, set-up of stores and associates, replayed request ids."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher, extract_parameters, profiles
from helpers import STORE, new_orders, rid
from sqlmodel import select

from storeassist_tui.store import admin, auth, picking, queries
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.errors import (
    AccountInactive,
    AccountLocked,
    AuthFailed,
    Duplicate,
    Forbidden,
    InvalidInput,
    NotFound,
    RequestIdReused,
    SessionInvalid,
    TooManyBadges,
)
from storeassist_tui.store.models import Associate, AuditEvent, AuthToken
from storeassist_tui.store.roles import Actor

POLICY = auth.AuthPolicy()


def test_login_by_pin_and_by_badge(demo_db: Database) -> None:
    by_pin = auth.login(demo_db, POLICY, username="Pat ", secret="1111")
    by_badge = auth.login(demo_db, POLICY, badge="B-1002")
    assert (by_pin.user.username, by_badge.user.username) == ("pat", "hana")
    assert by_pin.user.stores[0].id == STORE and by_pin.session_lifetime_s == 7200
    actor, user = auth.authenticate(demo_db, by_pin.token)
    assert actor.store_ids == {STORE} and user.permissions == ["picking"]
    with demo_db.read() as s:  # only a hash of the token is kept
        assert s.get(AuthToken, by_pin.token) is None
        assert s.get(AuthToken, auth.token_digest(by_pin.token)) is not None


def _failures(db: Database, username: str) -> tuple[int, bool]:
    with db.read() as s:
        a = s.exec(select(Associate).where(Associate.username == username)).one()
        return a.failed_logins, a.locked_until is not None


def test_six_wrong_pins_lock_for_30_minutes_and_say_no_more_than_to_a_stranger(demo_db: Database) -> None:
    for n in range(1, 7):
        # Word for word what an unknown user name gets: no count of tries left, no "locked".
        with pytest.raises(AuthFailed, match=r"^Wrong user name or PIN$"):
            auth.login(demo_db, POLICY, username="pat", secret="0000")
        assert _failures(demo_db, "pat") == (n % 6, n == 6)
    with pytest.raises(AuthFailed, match=r"^Wrong user name or PIN$"):  # locked: a wrong PIN is not counted
        auth.login(demo_db, POLICY, username="pat", secret="0000")
    assert _failures(demo_db, "pat") == (0, True)
    with pytest.raises(AccountLocked, match="try again in 30 min"):  # the right PIN is told why
        auth.login(demo_db, POLICY, username="pat", secret="1111")
    later = utcnow() + timedelta(minutes=31)
    assert auth.login(demo_db, POLICY, username="pat", secret="1111", now=later).user.username == "pat"


def test_a_lapsed_lock_out_allows_the_full_number_of_tries_again(demo_db: Database) -> None:
    # Kills a lock-out that leaves the failure count as it was: the next miss would relock.
    for _ in range(6):
        with pytest.raises(AuthFailed):
            auth.login(demo_db, POLICY, username="pat", secret="0000")
    later = utcnow() + timedelta(minutes=31)
    for _ in range(5):
        with pytest.raises(AuthFailed):
            auth.login(demo_db, POLICY, username="pat", secret="0000", now=later)
    assert _failures(demo_db, "pat") == (5, True)  # the lapsed lock-out's time is still recorded
    assert auth.login(demo_db, POLICY, username="pat", secret="1111", now=later).user.username == "pat"
    assert _failures(demo_db, "pat") == (0, False)


def test_unlock_by_administrator(demo_db: Database) -> None:
    for _ in range(6):
        with pytest.raises((AuthFailed, AccountLocked)):
            auth.login(demo_db, POLICY, username="hana", secret="9999")
    admin.unlock_user(demo_db, "hana")
    assert auth.login(demo_db, POLICY, username="hana", secret="2222").user.role == "handoff"


def test_terminal_of_another_store_refuses_without_a_session(demo_db: Database) -> None:
    with demo_db.read() as s:
        tokens_before = len(s.exec(select(AuthToken)).all())
    with pytest.raises(Forbidden, match="Pat Picker is not set up for store elsewhere-9"):
        auth.login(demo_db, POLICY, username="pat", secret="1111", store="elsewhere-9")
    with pytest.raises(Forbidden):
        auth.login(demo_db, POLICY, badge="B-1001", store="elsewhere-9")
    with demo_db.read() as s:
        assert len(s.exec(select(AuthToken)).all()) == tokens_before
    assert auth.login(demo_db, POLICY, username="pat", secret="1111", store=STORE).user.username == "pat"


def test_unknown_user_and_badge(demo_db: Database) -> None:
    with pytest.raises(AuthFailed, match="Wrong user name or PIN"):
        auth.login(demo_db, POLICY, username="nobody", secret="1111")
    with pytest.raises(AuthFailed, match="Unknown badge"):
        auth.login(demo_db, POLICY, badge="B-9999")


def test_an_unknown_name_costs_a_full_hash_check() -> None:
    """The stand-in hash an unknown user name is checked against is a real hash with the hasher's
    own parameters (written out, not made at each start): the check costs what a real one does."""
    assert auth._verify(auth._DUMMY_HASH, "not-a-real-secret")
    assert not auth._hasher.check_needs_rehash(auth._DUMMY_HASH)


# argon2-cffi's default, which PINs were hashed with before PIN_HASH.
OLD_HASHER = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


def _stored_hash(db: Database, username: str) -> str:
    with db.read() as s:
        return s.exec(select(Associate.secret_hash).where(Associate.username == username)).one()


def _set_stored_hash(db: Database, username: str, secret_hash: str) -> None:
    with db.write() as s:
        a = s.exec(select(Associate).where(Associate.username == username)).one()
        a.secret_hash = secret_hash
        s.add(a)


def test_a_pin_hashed_with_older_parameters_still_logs_in_and_is_hashed_anew(demo_db: Database) -> None:
    _set_stored_hash(demo_db, "pat", OLD_HASHER.hash("1111"))
    assert auth.login(demo_db, POLICY, username="pat", secret="1111").user.username == "pat"
    stored = _stored_hash(demo_db, "pat")
    assert extract_parameters(stored) == auth.PIN_HASH
    assert PasswordHasher().verify(stored, "1111")  # the same PIN, not a stand-in
    assert auth.login(demo_db, POLICY, username="pat", secret="1111").user.username == "pat"
    assert _stored_hash(demo_db, "pat") == stored  # current parameters: left as it is


def test_a_wrong_pin_or_a_badge_leaves_an_old_hash_as_it_is(demo_db: Database) -> None:
    old = OLD_HASHER.hash("1111")
    _set_stored_hash(demo_db, "pat", old)
    with pytest.raises(AuthFailed):
        auth.login(demo_db, POLICY, username="pat", secret="1112")
    assert auth.login(demo_db, POLICY, badge="B-1001").user.username == "pat"
    with pytest.raises(Forbidden):  # the right PIN, refused at this terminal: nothing stored
        auth.login(demo_db, POLICY, username="pat", secret="1111", store="elsewhere-9")
    assert _stored_hash(demo_db, "pat") == old


def test_a_new_hash_of_an_old_pin_never_replaces_a_pin_set_meanwhile(
    demo_db: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _set_stored_hash(demo_db, "pat", OLD_HASHER.hash("1111"))
    rehashed = auth._rehashed

    def pin_changed_while_hashing(secret_hash: str, secret: str) -> str | None:
        admin.set_secret(demo_db, "pat", "7777")
        return rehashed(secret_hash, secret)

    monkeypatch.setattr(auth, "_rehashed", pin_changed_while_hashing)
    auth.login(demo_db, POLICY, username="pat", secret="1111")
    monkeypatch.undo()
    assert auth.login(demo_db, POLICY, username="pat", secret="7777").user.username == "pat"
    with pytest.raises(AuthFailed):
        auth.login(demo_db, POLICY, username="pat", secret="1111")


def test_unknown_badges_block_badge_login_on_that_terminal_only(demo_db: Database) -> None:
    policy = auth.AuthPolicy(badge_failures=3, badge_window_minutes=10)
    t0 = utcnow()
    for i in range(3):
        with pytest.raises(AuthFailed, match="Unknown badge"):
            auth.login(demo_db, policy, badge=f"B-90{i}", address="10.0.0.7", now=t0 + timedelta(minutes=i))
    with pytest.raises(TooManyBadges, match="wait 8 min"):  # the oldest failure leaves the window at t0+10
        auth.login(demo_db, policy, badge="B-1002", address="10.0.0.7", now=t0 + timedelta(minutes=2, seconds=30))
    # another terminal, and user name + PIN on this one, still log in
    assert auth.login(demo_db, policy, badge="B-1002", address="10.0.0.8", now=t0).user.username == "hana"
    assert auth.login(demo_db, policy, username="hana", secret="2222", address="10.0.0.7").user.username == "hana"
    later = t0 + timedelta(minutes=10, seconds=1)
    assert auth.login(demo_db, policy, badge="B-1002", address="10.0.0.7", now=later).user.username == "hana"


def test_session_expires_and_logout_revokes(demo_db: Database) -> None:
    short = auth.AuthPolicy(session_lifetime_s=60)
    token = auth.login(demo_db, short, username="lee", secret="3333").token
    auth.authenticate(demo_db, token)
    with pytest.raises(SessionInvalid, match="expired"):
        auth.authenticate(demo_db, token, now=utcnow() + timedelta(seconds=61))
    auth.logout(demo_db, token)
    with pytest.raises(SessionInvalid):
        auth.authenticate(demo_db, token)
    for bad in ("", "garbage", "x" * 5000):
        with pytest.raises(SessionInvalid):
            auth.authenticate(demo_db, bad)


def test_active_dates(demo_db: Database) -> None:
    now = utcnow()
    admin.add_user(demo_db, username="future", display_name="F", role="picker", stores=[STORE], secret="4444",
                   active_from=now + timedelta(days=2))
    admin.add_user(demo_db, username="gone", display_name="G", role="picker", stores=[STORE], secret="4444",
                   active_from=now - timedelta(days=9), active_to=now - timedelta(days=1))
    with pytest.raises(AccountInactive, match="not active until"):
        auth.login(demo_db, POLICY, username="future", secret="4444")
    with pytest.raises(AccountInactive, match="expired"):
        auth.login(demo_db, POLICY, username="gone", secret="4444")


def test_admin_refusals(demo_db: Database) -> None:
    with pytest.raises(Duplicate):
        admin.add_user(demo_db, username="pat", display_name="P", role="picker", stores=[STORE], secret="1234")
    with pytest.raises(InvalidInput, match="Unknown role"):
        admin.add_user(demo_db, username="zed", display_name="Z", role="boss", stores=[STORE], secret="1234")
    with pytest.raises(NotFound):
        admin.add_user(demo_db, username="zed", display_name="Z", role="lead", stores=["nope"], secret="1234")
    with pytest.raises(InvalidInput, match="PIN"):
        admin.add_user(demo_db, username="zed", display_name="Z", role="lead", stores=[STORE], secret="1")
    with pytest.raises(Duplicate):
        admin.add_store(demo_db, admin.StoreSettings(id=STORE, name="again"))
    with pytest.raises(InvalidInput, match="time zone"):
        admin.add_store(demo_db, admin.StoreSettings(id="s2", name="S2", timezone="Mars/Base"))
    with pytest.raises(InvalidInput, match="Opening hours"):
        admin.parse_hours("mon 21:00-09:00")
    assert admin.parse_hours("mon-wed 09:00-17:00") == {d: ["09:00", "17:00"] for d in ("mon", "tue", "wed")}
    with demo_db.read() as s:
        assert s.exec(select(Associate).where(Associate.username == "zed")).first() is None


def test_replayed_request_id_does_nothing_twice(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    (oid,) = new_orders(demo_db, pat)
    line = picking.claim(demo_db, pat, [oid], rid()).orders[0].lines[0]
    request = rid()
    first = picking.record_scan(demo_db, pat, [oid], line.sku, request)
    again = picking.record_scan(demo_db, pat, [oid], line.sku, request)
    assert first == again
    assert next(ln for ln in queries.get_order(demo_db, pat, oid).lines if ln.id == line.id).picked == 1
    with demo_db.read() as s:
        assert len(list(s.exec(select(AuditEvent).where(AuditEvent.action == "picked")))) == 1
    with pytest.raises(RequestIdReused):  # the same id for another operation
        picking.skip_line(demo_db, pat, oid, line.id, request)
    with pytest.raises(RequestIdReused):  # or by another associate
        picking.record_scan(demo_db, people["lee"], [oid], line.sku, request)
    with pytest.raises(InvalidInput, match="request id"):
        picking.record_scan(demo_db, pat, [oid], line.sku, "short")
