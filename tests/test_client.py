"""The client the screens use: typed results, one-line errors, ETag reuse, unreachable backend."""

from __future__ import annotations

import socket

import pytest
from helpers import STORE

from storeassist_tui.client import BackendClient, BackendError, BackendUnavailable


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
