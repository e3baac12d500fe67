"""Garbage at every route of the OpenAPI document: a 4xx with a code, never a 500, nothing changed.

Runs on SQLite and PostgreSQL alike: NUL bytes, 64-bit numbers and 10,000-character strings are
where the two databases fail differently."""

from __future__ import annotations

from typing import Any

import httpx
from helpers import STORE, rid

BIG = 2**63  # past every integer column
TEXTS = ["\x00", "\x1b[2J\x1b]0;pwned\x07" + "A", "x" * 10_000, "", "ß\u202e\ufeff"]


def _garbage(schema: dict[str, Any], spec: dict[str, Any], variant: int) -> Any:
    """A value of the right JSON shape but nonsense content, or of the wrong shape."""
    if "$ref" in schema:
        return _garbage(spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]], spec, variant)
    for key in ("anyOf", "allOf", "oneOf"):
        if key in schema:
            return _garbage(schema[key][0], spec, variant)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: _garbage(sub, spec, variant) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [_garbage(schema.get("items", {}), spec, variant)] * (1 + variant % 3)
    if kind == "integer":
        return [BIG, -BIG, -1, 0, "\x00"][variant % 5]
    if kind == "number":
        return [1e308, -1e308, "NaN", 0, "\x00"][variant % 5]
    if kind == "boolean":
        return ["\x00", 2, None, True, "yes"][variant % 5]
    return TEXTS[variant % len(TEXTS)]


async def test_no_route_answers_500_to_garbage(api: httpx.AsyncClient, integration_key: str) -> None:
    r = await api.post("/api/v1/auth/login", json={"username": "lee", "secret": "3333"})
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    queue = (await api.get(f"/api/v1/stores/{STORE}/pick-queue", headers=auth)).json()["orders"]
    real_id = queue[0]["id"]
    line_id = (await api.get(f"/api/v1/orders/{real_id}", headers=auth)).json()["lines"][0]["id"]
    before = (await api.get(f"/api/v1/stores/{STORE}/counts", headers=auth)).json()
    spec = (await api.get("/openapi.json")).json()
    path_values = [str(BIG), "-1", "%00", "x" * 5000, "%1b%5b2J", None]
    tried = 0
    for path, ops in spec["paths"].items():
        if path.endswith("/auth/logout"):
            continue  # it would end the session the rest of the test uses
        for method, op in ops.items():
            for variant in range(len(path_values)):
                url = path
                for p in op.get("parameters", []):
                    if p["in"] != "path":
                        continue
                    real = {"order_id": real_id, "line_id": line_id, "store_id": STORE}.get(p["name"], "x")
                    value = path_values[variant] if path_values[variant] is not None else str(real)
                    url = url.replace("{" + p["name"] + "}", value)
                params = {p["name"]: _garbage(p.get("schema", {}), spec, variant)
                          for p in op.get("parameters", []) if p["in"] == "query"}
                params = {k: str(v) for k, v in params.items()}
                body_schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
                body = _garbage(body_schema, spec, variant) if body_schema else None
                key = "platform" in op.get("tags", [])
                headers = {"Authorization": f"Bearer {integration_key}", "X-storeId": STORE} if key else auth
                headers = {**headers, "Idempotency-Key": rid()}
                r = await api.request(method.upper(), url, params=params, json=body, headers=headers)
                tried += 1
                assert r.status_code < 500, (method, url[:80], body if body is None else str(body)[:200], r.text[:300])
                if r.status_code >= 400:
                    payload = r.json()
                    assert payload["code"] and "\n" not in payload["message"] and "Traceback" not in payload["message"]
    assert tried > 100
    after = (await api.get(f"/api/v1/stores/{STORE}/counts", headers=auth)).json()
    assert after == before  # no garbage changed an order
