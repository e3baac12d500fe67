"""After the pick: staging, check-in, hand-off, cancel, expiry, refunds and the event feed."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from helpers import INTAKE, STORE, new_orders, picked_order, rid
from sqlalchemy import update
from sqlmodel import select

from storeassist_tui.store import admin, checkin_tokens, closing, handoff, intake, picking, queries, staging
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.errors import Forbidden, InvalidInput, NotFound, WrongState
from storeassist_tui.store.models import Order, Store
from storeassist_tui.store.roles import Actor
from storeassist_tui.store.txn import Tx, mutate
from storeassist_tui.store.views import EventPage


def _set_store(db: Database, **values: object) -> None:
    with db.write() as s:
        s.execute(update(Store).where(Store.id == STORE).values(**values))


def _staged(db: Database, people: dict[str, Actor], location: str = "B3") -> int:
    order = picked_order(db, people["pat"])
    staging.stage(db, people["pat"], order.id, location, rid(), entry="scan")
    return order.id


def _token(db: Database, order_id: int) -> str:
    with db.read() as s:
        order = s.get(Order, order_id)
        assert order is not None
        return checkin_tokens.sign(checkin_tokens.secret(s, "test-secret"), order)


def test_stage_makes_ready_issues_refunds_and_emits_link(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    (oid,) = new_orders(demo_db, pat)
    lines = picking.claim(demo_db, pat, [oid], rid()).orders[0].lines
    picking.mark_not_found(demo_db, pat, oid, lines[0].id, 1, rid())
    for ln in lines:
        for _ in range(ln.quantity - (1 if ln.id == lines[0].id else 0)):
            picking.record_scan(demo_db, pat, [oid], ln.sku, rid())
    picking.finish_pick(demo_db, pat, oid, rid())
    with pytest.raises(InvalidInput):
        staging.stage(demo_db, pat, oid, " \x07\t ", rid())
    done = staging.stage(demo_db, pat, oid, "under the counter", rid(), bags=2, public_url="http://shop.test",
                         secret_key="test-secret")
    assert (done.status, done.staging_location, done.bags) == ("staged", "under the counter", 2)
    assert [r.state for r in done.refunds] == ["issued"]
    feed = queries.events(demo_db, store_id=STORE).events
    staged = next(e for e in feed if e.type == "staged" and e.order_id == oid)
    assert staged.payload["checkin_url"] == f"http://shop.test/checkin/{staged.payload['checkin_token']}"
    assert str(oid) in str(staged.payload["checkin_token"])
    assert done.number not in str(staged.payload["checkin_token"])
    with pytest.raises(WrongState):
        staging.stage(demo_db, pat, oid, "B4", rid())


def test_restage_records_old_and_new(demo_db: Database, people: dict[str, Actor]) -> None:
    oid = _staged(demo_db, people, "B3")
    moved = staging.restage(demo_db, people["pat"], oid, "back room", rid())
    assert moved.staging_location == "back room"
    entry = queries.order_timeline(demo_db, people["lee"], oid)[-1]
    assert (entry.action, entry.detail["old"], entry.detail["new"]) == ("restaged", "B3", "back room")


def test_customer_checkin_by_token_then_update(demo_db: Database, people: dict[str, Actor]) -> None:
    oid = _staged(demo_db, people)
    token = _token(demo_db, oid)
    form = handoff.CheckInForm(location="curbside", spot="P4", car_make="Toyota", car_colour="Red", note="blue cap")
    first = handoff.customer_checkin(demo_db, token, form, "test-secret")
    again = handoff.customer_checkin(demo_db, token, form.model_copy(update={"spot": "P5"}), "test-secret")
    assert (first.spot, again.spot, again.arrived_at) == ("P4", "P5", first.arrived_at)
    q = queries.handoff_queue(demo_db, people["hana"], STORE)
    entry = next(e for e in q.checked_in if e.order.id == oid)
    assert entry.order.checkin and entry.order.checkin.car_make == "Toyota" and entry.order.checkin.spot == "P5"
    assert [e.type for e in queries.events(demo_db).events if e.order_id == oid].count("checked_in") == 1


def test_bad_checkin_tokens_are_refused(demo_db: Database, people: dict[str, Actor]) -> None:
    oid = _staged(demo_db, people)
    token = _token(demo_db, oid)
    other = _staged(demo_db, people)
    for bad in ("", "nonsense", f"{oid}-" + "0" * 32, f"{other}-" + token.split("-")[1], str(oid)):
        with pytest.raises(NotFound, match="not valid"):
            handoff.customer_checkin(demo_db, bad, handoff.CheckInForm(), "test-secret")
    with pytest.raises(NotFound):  # right order, wrong secret
        handoff.customer_checkin(demo_db, token, handoff.CheckInForm(), "another-secret")


def test_curbside_needs_a_spot_and_the_store_to_offer_it(demo_db: Database, people: dict[str, Actor]) -> None:
    oid = _staged(demo_db, people)
    with pytest.raises(InvalidInput, match="parking spot"):
        handoff.associate_checkin(demo_db, people["hana"], oid, handoff.CheckInForm(location="curbside"), rid())
    _set_store(demo_db, curbside_enabled=False)
    with pytest.raises(InvalidInput, match="no curbside"):
        handoff.associate_checkin(demo_db, people["hana"], oid, handoff.CheckInForm(location="curbside", spot="P1"),
                                  rid())
    _set_store(demo_db, curbside_enabled=True)
    with pytest.raises(InvalidInput, match="No parking spot Z9 here: choose P1, P2"):
        handoff.associate_checkin(demo_db, people["hana"], oid, handoff.CheckInForm(location="curbside", spot="Z9"),
                                  rid())
    view = handoff.associate_checkin(demo_db, people["hana"], oid,
                                     handoff.CheckInForm(location="curbside", spot="p3", car_make="Kia"), rid())
    assert (view.spot, view.car_make) == ("P3", "Kia")  # the store's spelling of the spot
    view = handoff.associate_checkin(demo_db, people["hana"], oid,
                                     handoff.CheckInForm(location="curbside", spot="Other: by the trolleys"), rid())
    assert view.spot == "Other: by the trolleys"
    view = handoff.associate_checkin(demo_db, people["hana"], oid, handoff.CheckInForm(), rid())
    assert (view.location, view.by, view.spot) == ("in_store", "associate", "")
    with pytest.raises(Forbidden):
        handoff.associate_checkin(demo_db, people["pat"], oid, handoff.CheckInForm(), rid())


def test_dispense_all(demo_db: Database, people: dict[str, Actor]) -> None:
    oid = _staged(demo_db, people)
    hana = people["hana"]
    with pytest.raises(InvalidInput, match="signature"):  # the demo store requires one
        handoff.dispense(demo_db, hana, oid, handoff.DispenseForm(), rid())
    done = handoff.dispense(demo_db, hana, oid, handoff.DispenseForm(signature="Ana Lee"), rid())
    assert done.status == "dispensed"
    assert all(ln.dispensed == ln.picked == ln.quantity and ln.rejected == 0 for ln in done.lines)
    assert not done.refunds
    ev = [e for e in queries.events(demo_db).events if e.order_id == oid][-1]
    assert ev.type == "dispensed" and all(line["rejected"] == 0 for line in ev.payload["lines"])  # type: ignore[union-attr,index]
    with pytest.raises(WrongState):
        handoff.dispense(demo_db, hana, oid, handoff.DispenseForm(signature="x"), rid())


def test_dispense_needs_permission(demo_db: Database, people: dict[str, Actor]) -> None:
    oid = _staged(demo_db, people)
    with pytest.raises(Forbidden, match="may not hand off"):
        handoff.dispense(demo_db, people["pat"], oid, handoff.DispenseForm(signature="x"), rid())
    assert queries.get_order(demo_db, people["pat"], oid).status == "staged"


def test_reject_part_refunds_those_units(demo_db: Database, people: dict[str, Actor]) -> None:
    oid = _staged(demo_db, people)
    line = queries.get_order(demo_db, people["hana"], oid).lines[0]
    with pytest.raises(InvalidInput, match="Reject 0 to"):
        handoff.dispense(demo_db, people["hana"], oid,
                         handoff.DispenseForm(rejected={line.id: line.picked + 1}, signature="x"), rid())
    with pytest.raises(InvalidInput):
        handoff.dispense(demo_db, people["hana"], oid, handoff.DispenseForm(rejected={line.id: -1}, signature="x"),
                         rid())
    done = handoff.dispense(demo_db, people["hana"], oid,
                            handoff.DispenseForm(rejected={line.id: 1}, signature="Ana"), rid())
    got = next(ln for ln in done.lines if ln.id == line.id)
    assert (got.rejected, got.dispensed) == (1, line.picked - 1)
    rejected = [r for r in done.refunds if r.reason == "rejected"]
    assert len(rejected) == 1 and rejected[0].amount_cents == line.unit_price_cents and rejected[0].state == "issued"
    assert done.status == ("dispensed" if sum(ln.picked for ln in done.lines) > 1 else "canceled")


def test_reject_all_closes_and_refunds_in_full(demo_db: Database, people: dict[str, Actor]) -> None:
    oid = _staged(demo_db, people)
    lines = queries.get_order(demo_db, people["hana"], oid).lines
    done = handoff.dispense(demo_db, people["hana"], oid,
                            handoff.DispenseForm(rejected={ln.id: ln.picked for ln in lines}, signature="Ana"), rid())
    assert done.status == "canceled" and done.close_reason == "all items rejected at pickup"
    assert sum(r.amount_cents for r in done.refunds) == done.total_cents
    assert all(r.state == "issued" for r in done.refunds)


def test_rejection_and_id_check_follow_store_settings(demo_db: Database, people: dict[str, Actor]) -> None:
    oid = _staged(demo_db, people)
    line = queries.get_order(demo_db, people["hana"], oid).lines[0]
    _set_store(demo_db, rejection_allowed=False, id_check_required=True, signature_required=False)
    with pytest.raises(Forbidden, match="does not allow rejecting"):
        handoff.dispense(demo_db, people["hana"], oid, handoff.DispenseForm(rejected={line.id: 1}, id_checked=True),
                         rid())
    with pytest.raises(InvalidInput, match="ID check"):
        handoff.dispense(demo_db, people["hana"], oid, handoff.DispenseForm(), rid())
    done = handoff.dispense(demo_db, people["hana"], oid, handoff.DispenseForm(id_checked=True), rid())
    assert done.status == "dispensed"
    assert queries.order_timeline(demo_db, people["lee"], oid)[-1].detail["id_checked"] is True


def test_cancel_needs_permission_and_a_reason(demo_db: Database, people: dict[str, Actor]) -> None:
    (oid,) = new_orders(demo_db, people["pat"])
    for who in ("pat", "hana"):
        with pytest.raises(Forbidden, match="may not cancel"):
            closing.cancel(demo_db, people[who], oid, "customer asked", rid())
    with pytest.raises(InvalidInput, match="reason"):
        closing.cancel(demo_db, people["lee"], oid, "  \x1b ", rid())
    done = closing.cancel(demo_db, people["lee"], oid, "customer asked", rid())
    assert done.status == "canceled" and done.close_reason == "customer asked"
    assert [(r.reason, r.amount_cents, r.state) for r in done.refunds] == [("canceled", done.total_cents, "issued")]
    with pytest.raises(WrongState):
        closing.cancel(demo_db, people["lee"], oid, "again", rid())
    assert queries.order_timeline(demo_db, people["lee"], oid)[-1].who == "Lee Lead"


def test_cancel_mid_pick_issues_pending_and_rest(demo_db: Database, people: dict[str, Actor]) -> None:
    pat = people["pat"]
    (oid,) = new_orders(demo_db, pat)
    lines = picking.claim(demo_db, pat, [oid], rid()).orders[0].lines
    picking.mark_not_found(demo_db, pat, oid, lines[0].id, 1, rid())
    done = closing.cancel(demo_db, people["lee"], oid, "store closing", rid())
    assert sum(r.amount_cents for r in done.refunds) == done.total_cents
    assert {r.state for r in done.refunds} == {"issued"}


def test_expire_after_the_cleanup_window(demo_db: Database, people: dict[str, Actor]) -> None:
    oid = _staged(demo_db, people)
    assert oid not in list(closing.expire_due(demo_db))
    later = utcnow() + timedelta(days=7, minutes=1)
    expired = closing.expire_due(demo_db, later)
    detail = queries.get_order(demo_db, people["lee"], oid)
    assert detail.number in expired and detail.status == "expired"
    assert sum(r.amount_cents for r in detail.refunds) == detail.total_cents
    assert any(e.type == "expired" and e.order_id == oid for e in queries.events(demo_db).events)
    with pytest.raises(WrongState):
        handoff.dispense(demo_db, people["hana"], oid, handoff.DispenseForm(signature="x"), rid())


def test_event_feed_pages_by_cursor(demo_db: Database, people: dict[str, Actor]) -> None:
    _staged(demo_db, people)
    everything = queries.events(demo_db, 0, 1000).events
    assert [e.cursor for e in everything] == sorted(e.cursor for e in everything)
    first = queries.events(demo_db, 0, 2)
    rest = queries.events(demo_db, first.next_cursor, 1000)
    assert [e.event_id for e in first.events + rest.events] == [e.event_id for e in everything]
    assert queries.events(demo_db, rest.next_cursor).events == []
    assert {"pick_begun", "pick_complete", "staged"} <= {e.type for e in everything}


def test_counts_follow_the_orders(demo_db: Database, people: dict[str, Actor]) -> None:
    before = queries.counts(demo_db, people["pat"], STORE)
    _staged(demo_db, people)
    after = queries.counts(demo_db, people["pat"], STORE)
    assert (after.to_pick, after.ready, after.to_stage) == (before.to_pick - 1, before.ready + 1, before.to_stage)
    with demo_db.read() as s:
        assert len(list(s.exec(select(Order).where(Order.store_id == STORE)))) == after.all_orders


def test_feed_writers_take_turns_so_no_cursor_skips_an_event(demo_db: Database, people: dict[str, Actor]) -> None:
    """A reader polling `after=<cursor>` must never see a later event before an earlier one has
    committed: a second writer waits until the first one's events are visible."""
    # Two stores, so that nothing but the feed itself (not a shared store row) orders the writers.
    (oid_a,) = new_orders(demo_db, people["pat"], 1)
    admin.add_store(demo_db, admin.StoreSettings(id="other-002", name="Other"))
    oid_b = intake.intake_order(demo_db, intake.IntakeOrder.model_validate(INTAKE["order"]), "other-002")[0].id
    start = queries.events(demo_db, 0, 1000).next_cursor
    a_written, release_a = threading.Event(), threading.Event()

    def slow_writer() -> None:  # writes its event, then is slow to commit
        with demo_db.write() as session:
            tx = Tx(session, None, utcnow())
            tx.emit(tx.order(oid_a), "test_a")
            tx.finish()
            session.flush()
            a_written.set()
            release_a.wait(5)

    def quick_writer(tx: Tx) -> EventPage:
        tx.emit(tx.order(oid_b), "test_b")
        return EventPage(events=[], next_cursor=0)

    a = threading.Thread(target=slow_writer)
    a.start()
    assert a_written.wait(5)
    b = threading.Thread(target=mutate, args=(demo_db, None, rid(), "t", EventPage, quick_writer))
    b.start()
    b.join(0.5)
    seen = [[e.type for e in queries.events(demo_db, start, 1000).events]]
    release_a.set()
    a.join(5)
    b.join(5)
    seen.append([e.type for e in queries.events(demo_db, start, 1000).events])
    assert seen == [[], ["test_a", "test_b"]]


def test_an_order_number_typed_in_lower_case_is_found(demo_db: Database, people: dict[str, Actor]) -> None:
    exact = queries.find_order(demo_db, people["pat"], "W00000001")
    assert queries.find_order(demo_db, people["pat"], " w00000001 ").id == exact.id


def test_moving_an_order_to_where_it_is_is_refused(demo_db: Database, people: dict[str, Actor]) -> None:
    oid = _staged(demo_db, people, "B3")
    before = queries.order_timeline(demo_db, people["lee"], oid)
    with pytest.raises(InvalidInput, match="already at b3"):
        staging.restage(demo_db, people["pat"], oid, "b3", rid())
    assert queries.order_timeline(demo_db, people["lee"], oid) == before


def test_nothing_handed_over_needs_no_signature_or_id(demo_db: Database, people: dict[str, Actor]) -> None:
    _set_store(demo_db, signature_required=True, id_check_required=True)
    oid = _staged(demo_db, people)
    lines = queries.get_order(demo_db, people["hana"], oid).lines
    with pytest.raises(InvalidInput, match="ID check"):  # something handed over: the store's checks apply
        handoff.dispense(demo_db, people["hana"], oid, handoff.DispenseForm(rejected={lines[0].id: 1}), rid())
    done = handoff.dispense(demo_db, people["hana"], oid,
                            handoff.DispenseForm(rejected={ln.id: ln.picked for ln in lines}), rid())
    assert done.status == "canceled"


def test_waiting_counts_every_customer_here_and_ready_only_those_not_here(
        demo_db: Database, people: dict[str, Actor]) -> None:
    """Home's two hand-off numbers are the hand-off queue's two parts."""
    oid = _staged(demo_db, people)
    early = new_orders(demo_db, people["pat"])[0]  # a customer who came before the order was picked
    handoff.customer_checkin(demo_db, _token(demo_db, oid), handoff.CheckInForm(), "test-secret")
    handoff.associate_checkin(demo_db, people["hana"], early, handoff.CheckInForm(), rid())
    c = queries.counts(demo_db, people["pat"], STORE)
    q = queries.handoff_queue(demo_db, people["pat"], STORE)
    assert (c.waiting, c.ready) == (len(q.checked_in), len(q.ready))
    assert early in {e.order.id for e in q.checked_in}


def test_an_item_barcode_is_not_a_staging_location(demo_db: Database, people: dict[str, Actor]) -> None:
    order = picked_order(demo_db, people["pat"])
    for code in ("036000291452", "036000291453", "00012345678905", "LOC-B3 "):
        if code.startswith("LOC"):
            assert staging.stage(demo_db, people["pat"], order.id, code, rid()).staging_location == "LOC-B3"
        else:
            with pytest.raises(InvalidInput, match="item barcode"):
                staging.stage(demo_db, people["pat"], order.id, code, rid())


def test_a_terminal_finds_only_its_own_stores_orders(db: Database) -> None:
    """An associate of two stores, on a terminal of one: the other store's order is not found there."""
    from storeassist_tui.store import auth, demo

    demo.seed_demo(db, orders=40, stores=2)
    token = auth.login(db, auth.AuthPolicy(), username="lee", secret="3333").token
    lee = auth.authenticate(db, token)[0]
    other = queries.search_orders(db, lee, "demo-002", limit=1).orders[0]
    assert queries.find_order(db, lee, other.number).store_id == "demo-002"  # any of lee's stores
    with pytest.raises(NotFound, match="in this store"):
        queries.find_order(db, lee, other.number, "demo-001")
    assert queries.find_order(db, lee, other.number, "demo-002").id == other.id
