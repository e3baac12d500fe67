"""Order intake measures lengths after the normalisation it stores: the same body is taken, or
refused with a 422 {"code", "message"}, on SQLite and PostgreSQL alike (PostgreSQL enforces
varchar lengths, SQLite does not), and never answers 5xx."""

from __future__ import annotations

import asyncio
import copy
import itertools
import uuid
from typing import Any

import httpx
import pytest
from helpers import INTAKE, STORE
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from storeassist_tui.config import Settings
from storeassist_tui.server import create_app
from storeassist_tui.store.db import Database

_ids = itertools.count()


def _body(barcode: str, barcode_type: str | None = "SKU", **line: Any) -> dict[str, Any]:
    body = copy.deepcopy(INTAKE)
    body["order"]["orderId"] = f"LEN-{uuid.uuid4().hex[:12]}"
    body["order"]["orderLines"][0]["products"] = [{"barcode": barcode, "barcodeType": barcode_type}]
    body["order"]["orderLines"][0].update(line)
    return body


@pytest.mark.parametrize("barcode", [
    "ß" * 40,  # 40 characters as sent, "SKU:" + 80 once upper-cased: past the catalogue key
    "ß" * 64,
    "ﬃ" * 30,  # one ligature upper-cases to three letters
    "ŉ" * 50,
])
@pytest.mark.parametrize("barcode_type", ["SKU", None, "UPC"])
async def test_barcode_that_grows_when_upper_cased_is_refused_with_422(
    api: httpx.AsyncClient, integration_key: str, barcode: str, barcode_type: str | None
) -> None:
    headers = {"Authorization": f"Bearer {integration_key}", "X-storeId": STORE}
    r = await api.post("/api/v1/orders", json=_body(barcode, barcode_type), headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid" and "barcode" in r.json()["message"]
    assert "normalis" in r.json()["message"]


async def test_barcode_that_fits_once_upper_cased_is_taken(api: httpx.AsyncClient, integration_key: str) -> None:
    headers = {"Authorization": f"Bearer {integration_key}", "X-storeId": STORE}
    r = await api.post("/api/v1/orders", json=_body("ß" * 38), headers=headers)  # "SKU:" + 76 = 80
    assert r.status_code == 201, r.text
    assert r.json()["lines"][0]["sku"] == "ß" * 38


# Text that changes length under upper-casing, lower-casing or NFKC, plus control characters
# that cleaning drops or turns into spaces.
_TRICKY = st.sampled_from(["ß", "ﬃ", "ŉ", "İ", "ǰ", "ΐ", "\x1b[2J", "\x00", " ", "a", "7", "\u200b", "Å"])


def _text(longest: int) -> st.SearchStrategy[str]:
    mixed = st.lists(st.one_of(_TRICKY, st.characters(codec="utf-8")), max_size=longest).map("".join)
    repeated = st.builds(lambda piece, n: piece * n, _TRICKY, st.integers(0, longest))
    return st.one_of(mixed, repeated)


_CODE = _text(70)  # around the barcode's 64 and the catalogue key's 80 once upper-cased
_TEXT = _text(60)  # mostly within the other fields' limits, so the barcode decides most answers


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(barcode=_CODE, barcode_type=st.sampled_from(["SKU", None, "UPC", "EAN13", "UPCE0", "PRICE_EMBEDDED_UPC"]),
       desc=_TEXT, dept=_TEXT, zone=_TEXT, size=_TEXT, first=_TEXT, email=_TEXT)
def test_any_intake_body_is_taken_or_refused_with_a_code_never_5xx(
    demo_db: Database, integration_key: str, barcode: str, barcode_type: str | None, desc: str, dept: str,
    zone: str, size: str, first: str, email: str,
) -> None:
    body = _body(barcode, barcode_type, itemDesc="Item " + desc, department={"deptName": dept},
                 locations=[{"zoneName": zone, "aisleName": zone}], lineDisplayAttributes={"size": size, "fit": zone})
    body["order"]["customer"]["contact"]["name"]["firstName"] = first
    body["order"]["customer"]["contact"]["email"] = email
    body["order"]["orderId"] = f"HYP-{next(_ids)}-{uuid.uuid4().hex[:8]}"
    app = create_app(demo_db, Settings(demo=True, public_url="http://shop.test", secret_key="test-secret"))

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/api/v1/orders", json=body,
                                     headers={"Authorization": f"Bearer {integration_key}", "X-storeId": STORE})

    r = asyncio.run(send())
    assert r.status_code in (201, 422), r.text
    if r.status_code == 422:
        assert set(r.json()) == {"code", "message"} and r.json()["code"] == "invalid"
