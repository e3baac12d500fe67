"""The commerce platform as the contract (seed-platform-contract.md section 1) says it calls its
fulfilment service: a token by form-encoded client credentials from `{token_auth_url}/api-proxy/...`
(a token URL ending in `/` gives `//api-proxy`), cached 540 s and not dropped on a 401; then every
call to `{server_url}api-proxy/...` with its headers and bodies. Works over ASGI and over a real
socket alike (any httpx.AsyncClient)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

FAAS = "api-proxy/service/supplychain/fulfillment/v1/faas"
TOKEN_CACHE_S = 540


class PlatformDouble:
    def __init__(self, http: httpx.AsyncClient, server_url: str, token_auth_url: str, consumer_id: str,
                 consumer_secret: str, merchant_id: str = "merchant-1", sandbox: bool = False) -> None:
        self.http, self.server_url, self.token_auth_url = http, server_url, token_auth_url
        self.consumer_id, self.consumer_secret, self.merchant_id = consumer_id, consumer_secret, merchant_id
        self.sandbox = sandbox
        self._token: tuple[str, float] | None = None

    # The token (sdk: cached 540 s under bopis_sdk_token; a 401 does not evict it) ----------------
    async def fetch_token(self) -> httpx.Response:
        return await self.http.post(
            f"{self.token_auth_url}/api-proxy/service/identity/oauth/v1/token",
            content=f"client_id={self.consumer_id}&client_secret={self.consumer_secret}&grant_type=client_credentials",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    async def token(self) -> str:
        if self._token is not None and time.monotonic() - self._token[1] < TOKEN_CACHE_S:
            return self._token[0]
        r = await self.fetch_token()
        if r.status_code != 200:
            return ""  # the platform then sends an empty bearer token
        self._token = (str(r.json()["access_token"]), time.monotonic())
        return self._token[0]

    async def call(self, method: str, path: str, data: Any = None, headers: dict[str, str] | None = None,
                   token: str | None = None) -> httpx.Response:
        """One API call as the platform's AbstractConnection makes it; a call without data sends []."""
        body = json.dumps([] if data is None else data).encode()
        sent = {
            "WM_CONSUMER.ID": self.consumer_id,
            "Authorization": f"Bearer {await self.token() if token is None else token}",
            "Content-Type": "application/json",
            "Cache-Control": "no-cache",
            "Content-Length": str(len(body)),
            **({"faas-env": "qa-int"} if self.sandbox else {}),
            **(headers or {}),
        }
        return await self.http.request(method, f"{self.server_url}{path}", content=body, headers=sent)

    # Section 1.3 / 1.4: orders ----------------------------------------------------------------------
    async def create_order(self, order: dict[str, Any], store: str, **kw: Any) -> httpx.Response:
        return await self.call("POST", f"{FAAS}/order/create", order, {"X-storeId": store}, **kw)

    async def cancel_order(self, order_id: str, store: str, **kw: Any) -> httpx.Response:
        body = {"order": {"orderId": order_id, "storeNumber": store, "cancelReasonCode": 1, "orderSource": "adobe"}}
        return await self.call("POST", f"{FAAS}/order/cancel", body, {"X-storeId": store}, **kw)

    # Section 1.5: pickup points ---------------------------------------------------------------------
    async def search(self, code: str, **kw: Any) -> httpx.Response:
        return await self.call("POST", f"{FAAS}/clients/{self.merchant_id}/pickuppoints/external"
                               "?category=PICKUP_POINT&lite=true",
                               {"parentPickupPointExternalId": "DEFAULT", "externalId": code}, **kw)

    async def create_store(self, body: dict[str, Any], **kw: Any) -> httpx.Response:
        return await self.call("POST", f"{FAAS}/store/create", body, {"X-userid": self.merchant_id}, **kw)

    async def update_store(self, body: dict[str, Any], **kw: Any) -> httpx.Response:
        return await self.call("PUT", f"{FAAS}/store/update", body,
                               {"X-userid": self.merchant_id, "X-storeId": body["externalId"]}, **kw)

    async def activate(self, pickup_point_id: int, **kw: Any) -> httpx.Response:
        return await self.call("PUT", f"{FAAS}/clients/{self.merchant_id}/pickuppoints/{pickup_point_id}/activate",
                               **kw)

    async def deactivate(self, pickup_point_id: int, **kw: Any) -> httpx.Response:
        return await self.call("PUT", f"{FAAS}/clients/{self.merchant_id}/pickuppoints/{pickup_point_id}/deactivate",
                               **kw)

    async def delete_store(self, code: str, **kw: Any) -> httpx.Response:
        return await self.call("DELETE", f"{FAAS}/store/delete", None,
                               {"X-userid": self.merchant_id, "X-storeId": code}, **kw)

    async def sync_source(self, body: dict[str, Any]) -> int:
        """SyncSource as the cron runs it: search, create or update, then activate; the id."""
        r = await self.search(body["externalId"])
        assert r.status_code == 200, r.text
        found = [p for p in r.json() if p["externalId"] == body["externalId"]]
        if found:
            r = await self.update_store(body)
            assert 200 <= r.status_code < 300, r.text
            ppid = int(found[0]["pickupPointId"])
        else:
            r = await self.create_store(body)
            assert 200 <= r.status_code < 300, r.text
            again = await self.search(body["externalId"])
            ppid = int(again.json()[0]["pickupPointId"])
        r = await self.activate(ppid)
        assert 200 <= r.status_code < 300, r.text
        return ppid

    # Section 1.6: the customer's check-in -----------------------------------------------------------
    async def checkin(self, order_number: str, store: str, parking: dict[str, str] | None = None,
                      **kw: Any) -> httpx.Response:
        body = {"payload": {
            "clientId": self.merchant_id,
            "customerInfo": {"customerId": "42", "firstname": "Ana", "lastname": "Lee", "phone": "512-555-0100"},
            "checkInType": "Web", "deviceType": "iOS", "fulfillmentType": "Pickup", "etaInSeconds": 0,
            "pickupPointInfo": {"pickupPointId": store, "storeId": store},
            "parkingInfo": parking if parking is not None else
            {"vehicleColor": "", "vehicleMake": "", "parkBayNumber": "", "parkingNote": ""},
            "orders": [{"orderNumber": order_number, "type": "SO"}],
        }}
        return await self.call("POST", "api-proxy/service/supplychain/transportation/v1/chaas/customer/checkin",
                               body, {"TENANT_ID": self.merchant_id}, **kw)


def platform_order(order_id: str = "000000123", **over: Any) -> dict[str, Any]:
    """The order-create body exactly as section 1.3 shows it (numbers as decimal strings)."""
    order: dict[str, Any] = {
        "orderId": order_id, "customerOrderId": order_id, "orderSource": "adobe",
        "customer": {"id": "42", "contact": {"name": {"firstName": "Ana", "lastName": "Lee"},
                                             "phone": "5125550100", "email": "ana@example.com"}},
        "orderDueDate": "2030-05-01T15:30:00Z", "dispatchMethodCode": 1, "orderTotal": "53.0000",
        "notes": [{"instruction": "pick up", "type": "store"}],
        "pickupDetails": {"pickupPersonDetails": [{"contact": {"name": {"firstName": "Bo", "lastName": "Lee"},
                                                               "phone": "512-555-0199", "email": "bo@example.com"},
                                                   "isPrimary": True}]},
        "orderLines": [
            {"lineNbr": 1, "quantity": {"value": 2, "uom": "EACH"}, "isSubstitutionAllowed": False,
             "storeUnitPrice": "25.0000", "webUnitPrice": "25.0000", "itemDesc": "Blue T-Shirt",
             "volumetricInfo": {"weight": "1.0000", "weightUom": "lbs"}, "imageUrl": "https://shop.test/x.jpg",
             "department": {"deptNbr": 1, "deptName": "name", "deptSequence": 3},
             "locations": [{"zoneName": "zone1", "aisleName": "al", "sectionName": "sec", "type": "primary",
                            "sectionId": 1}],
             "products": [{"barcode": "012345678905", "barcodeType": "UPC"}],
             "lineDisplayAttributes": {"color": "Blue"}, "bundle": {"bundleId": "77"}},
            {"lineNbr": 2, "quantity": {"value": 1, "uom": "EACH"}, "isSubstitutionAllowed": True,
             "storeUnitPrice": "3.0000", "webUnitPrice": "3.5000", "itemDesc": "Gum",
             "products": [{"barcode": "04252614", "barcodeType": "UPCE0"}]},
        ],
    }
    order.update(over)
    return {"order": order}


def pickup_body(code: str = "store_austin", **over: Any) -> dict[str, Any]:
    """The store create / update body exactly as section 1.5 shows it."""
    body: dict[str, Any] = {
        "name": "Austin Store", "externalId": code,
        "address": {"name": code, "street": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701",
                    "countryCode": "US"},
        "latLong": {"lat": "30.2672", "lng": "-97.7431"},
        "phone": {"country": "US", "countryCode": 1, "number": "5125550100"},
        "timeZone": "America/Chicago", "pickupPointType": ["INSIDE", "CURBSIDE"],
        "parkingBayNumbers": "A1,A2", "operationalHours": [{"day": "Monday", "start": "0900", "end": "2100"}],
    }
    body.update(over)
    return body
