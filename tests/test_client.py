"""The client the screens use: typed results, one-line errors, ETag reuse, unreachable backend."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from helpers import STORE

from storeassist_tui.client import BackendClient, BackendError, BackendUnavailable
from storeassist_tui.journal import HeldRequest, Journal


async def test_typed_calls_and_errors(backend: BackendClient) -> None:
    session = await backend.login("pat", "1111")
    assert session.user.display_name == "Pat Picker" and backend.token == session.token
    queue = await backend.pick_queue(STORE)
    assert queue.total == len(queue.orders) and queue.overdue > 0
    claimed = await backend.claim([queue.orders[0].id], request_id="fixed-request-1")
    order = claimed.orders[0]
    scan = await backend.scan([order.id], order.lines[0].sku, request_id="fixed-request-2")
    again = await backend.scan([order.id], order.lines[0].sku, request_id="fixed-request-2")
    assert scan == again and (await backend.order(order.id)).lines[0].picked == 1
    with pytest.raises(BackendError) as err:
        await backend.scan([order.id], "036000291453")
    assert (err.value.status, err.value.code) == (422, "bad_code") and "check digit" in err.value.message
    found = await backend.order_by_number(order.number)
    assert found.id == order.id
    await backend.logout()
    with pytest.raises(BackendError) as err:
        await backend.counts(STORE)
    assert err.value.code == "session_invalid"


async def test_polled_lists_reuse_the_last_answer_on_304(backend: BackendClient) -> None:
    await backend.login("hana", "2222")
    first = await backend.counts(STORE)
    second = await backend.counts(STORE)
    assert second is first  # a 304: the cached object, no body parsed
    staged = (await backend.stage_queue(STORE)).orders[0]
    await backend.logout()
    await backend.login("pat", "1111")
    await backend.stage(staged.id, "B9")
    third = await backend.counts(STORE)
    assert third is not first and third.to_stage == first.to_stage - 1


async def test_unreachable_backend_is_one_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    client = BackendClient(f"http://127.0.0.1:{port}", timeout=2)
    with pytest.raises(BackendUnavailable, match="unreachable"):
        await client.login("pat", "1111")
    await client.aclose()


def answering(status: int, body: bytes) -> BackendClient:
    """A client whose every request gets this answer (a proxy or server in that state)."""
    transport = httpx.MockTransport(lambda _: httpx.Response(status, content=body,
                                                             headers={"content-type": "application/json"}))
    return BackendClient("http://backend", transport=transport)


async def test_503_is_an_outage_to_retry_and_other_refusals_are_final() -> None:
    busy = answering(503, b'{"code":"unavailable","message":"The database is away"}')
    with pytest.raises(BackendUnavailable):
        await busy.scan([1], "012345678905", request_id="req-00000001")
    assert "req-00000001" in busy.journal.pending  # kept: it will be sent again
    broken = answering(500, b'{"code":"internal","message":"Internal error"}')
    with pytest.raises(BackendError) as err:
        await broken.scan([1], "012345678905", request_id="req-00000002")
    assert err.value.code == "internal" and not broken.unsettled and not broken.journal.pending
    proxy = answering(502, b"<html>Bad gateway</html>")  # not our server's answer: an outage
    with pytest.raises(BackendUnavailable):
        await proxy.scan([1], "012345678905", request_id="req-00000003")
    for c in (busy, broken, proxy):
        await c.aclose()


def test_the_journal_survives_a_restart_and_a_torn_last_line(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path, "http://backend", "pat")
    journal.hold(HeldRequest("req-a", "POST", "/api/v1/picks/scan", {"code": "A"}, "scan A"))
    journal.hold(HeldRequest("req-b", "POST", "/api/v1/picks/scan", {"code": "B"}, "scan B"))
    journal.hold(HeldRequest("req-c", "POST", "/api/v1/picks/scan", {"code": "C"}, "scan C"))
    journal.done("req-a")
    journal.void("req-b")
    assert journal.path is not None
    with journal.path.open("a") as f:
        f.write('{"t":"done","id":"req-')  # the power went mid-write
    again = Journal.open(tmp_path, "http://backend", "pat")
    assert list(again.pending) == ["req-c"] and again.voids == ["req-b"]
    assert again.pending["req-c"].body == {"code": "C"}
    assert Journal.open(tmp_path, "http://backend", "hana").pending == {}  # each associate their own
    again.done("req-c")
    again.voided("req-b")
    assert not again.path.exists()  # nothing left: the file is gone
