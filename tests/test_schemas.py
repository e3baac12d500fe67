"""Client and server speak one shape: storeassist_tui.schemas.

Every call of the client is made against the real app; each answer must carry exactly the fields
of the shared class the client parsed it into (none extra, none missing), that class must be the
one the served OpenAPI names for the route, and every body the client sends must fit the route's
request schema. A field added on one side only (a server-side subclass, a client-side copy, a new
body key) fails here.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import STORE
from pydantic import BaseModel

from storeassist_tui import schemas
from storeassist_tui.client import BackendClient, new_request_id, scan_item
from storeassist_tui.config import Settings
from storeassist_tui.server import create_app
from storeassist_tui.store.db import Database

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "storeassist_tui"
SHARED = {name: cls for name, cls in vars(schemas).items()
          if isinstance(cls, type) and issubclass(cls, BaseModel) and cls.__module__ == schemas.__name__}


@dataclass
class Exchange:
    method: str
    path: str
    body: Any
    status: int
    answer: bytes


class Recorder(httpx.AsyncBaseTransport):
    """The embedded transport, keeping every request and answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.log: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        body = json.loads(request.content) if request.content else None
        self.log.append(Exchange(request.method, request.url.path, body, response.status_code, content))
        return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)


def field_drift(result: Any, data: Any, where: str = "$") -> list[str]:
    """Where a parsed result and the JSON it came from disagree: a key the class does not have, a
    field the answer did not send, or a shape that is not the shared class."""
    problems: list[str] = []
    if isinstance(result, BaseModel):
        cls = type(result)
        if SHARED.get(cls.__name__) is not cls:
            problems.append(f"{where}: {cls.__module__}.{cls.__qualname__} is not a class of storeassist_tui.schemas")
        if not isinstance(data, dict):
            return [*problems, f"{where}: answer is {type(data).__name__}, not an object"]
        fields, keys = set(cls.model_fields), set(data)
        problems += [f"{where}.{k}: sent by the server, not in {cls.__name__}" for k in sorted(keys - fields)]
        problems += [f"{where}.{k}: in {cls.__name__}, not sent by the server" for k in sorted(fields - keys)]
        for name in sorted(fields & keys):
            problems += field_drift(getattr(result, name), data[name], f"{where}.{name}")
    elif isinstance(result, list) and isinstance(data, list):
        for i, (r, d) in enumerate(zip(result, data, strict=True)):
            problems += field_drift(r, d, f"{where}[{i}]")
    return problems


def _operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    for template, ops in spec["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) and method.lower() in ops:
            return ops[method.lower()]  # type: ignore[no-any-return]
    raise AssertionError(f"{method} {path}: no such operation in /openapi.json")


def _component(spec: dict[str, Any], ref: str) -> tuple[str, dict[str, Any]]:
    name = ref.rsplit("/", 1)[-1]
    return name, spec["components"]["schemas"][name]


def _answer_component(spec: dict[str, Any], op: dict[str, Any]) -> str:
    ok = next(r for status, r in op["responses"].items() if status.startswith("2"))
    schema = ok["content"]["application/json"]["schema"]
    return str((schema.get("items") or schema)["$ref"]).rsplit("/", 1)[-1]


def component_drift(spec: dict[str, Any], name: str) -> list[str]:
    """The served component `name` against the shared class of that name: the same fields, the
    same required ones (nested models through their own components)."""
    cls = SHARED.get(name)
    if cls is None:
        return [f"{name}: served, but not a class of storeassist_tui.schemas"]
    ours = cls.model_json_schema(mode="serialization")
    served = spec["components"]["schemas"][name]
    problems = []
    if set(served["properties"]) != set(ours["properties"]):
        problems.append(f"{name}: served fields {sorted(served['properties'])} != shared {sorted(ours['properties'])}")
    if set(served.get("required", [])) != set(ours.get("required", [])):
        problems.append(f"{name}: served required {sorted(served.get('required', []))} "
                        f"!= shared {sorted(ours.get('required', []))}")
    return problems


def body_drift(spec: dict[str, Any], op: dict[str, Any], body: Any, where: str) -> list[str]:
    """A body the client sent against the route's request schema: no key it does not take, none
    of its required keys left out."""
    if "requestBody" not in op:
        return [] if not body else [f"{where}: sends {sorted(body)}, the route takes no body"]
    _, schema = _component(spec, op["requestBody"]["content"]["application/json"]["schema"]["$ref"])
    keys, props, required = set(body or {}), set(schema["properties"]), set(schema.get("required", []))
    return ([f"{where}: sends {k!r}, not in the request schema" for k in sorted(keys - props)]
            + [f"{where}: leaves out required {k!r}" for k in sorted(required - keys)])


async def _every_call(client: BackendClient, recorder: Recorder) -> tuple[list[tuple[Exchange, Any]], set[str]]:
    """Each public call of the client once, in a walk through a real order: (what was sent and
    answered, what the client made of it), and the names of the calls made."""
    seen: list[tuple[Exchange, Any]] = []
    called: set[str] = set()

    async def call(name: str, *args: Any, **kwargs: Any) -> Any:
        called.add(name)
        result = await getattr(client, name)(*args, **kwargs)
        seen.append((recorder.log[-1], result))
        return result

    await call("demo_info")
    await call("login_badge", "B-1003")
    await call("logout")
    await call("login", "lee", "3333")  # a lead: every permission
    await call("counts", STORE)
    queue = await call("pick_queue", STORE)
    await call("store_info", STORE)
    await call("stage_queue", STORE)
    await call("handoff_queue", STORE)
    await call("search_orders", STORE, q="", status="new")

    new = [o for o in queue.orders if o.status == "new"]
    first, second = new[0], new[1]
    order = (await call("claim", [first.id])).orders[0]
    each = next(ln for ln in order.lines if ln.uom == "EACH")
    order = (await call("scan", [order.id], each.sku)).order
    batch = await call("scan_many", [order.id], [scan_item(each.sku, new_request_id())])
    order = batch.results[-1].order if batch.results else order
    pending = [ln for ln in order.lines if ln.pending]
    if pending:
        await call("skip", order.id, pending[0].id)
    for ln in pending:
        order = await call("not_found", order.id, ln.id, ln.pending)
    await call("finish_pick", order.id)
    await call("stage", order.id, "B3", bags=1)
    await call("restage", order.id, "B4")
    await call("checkin", order.id)
    await call("dispense", order.id, signature="Ana Lee", id_checked=True)
    await call("order", order.id)
    await call("order_by_number", order.number, STORE)
    await call("timeline", order.id)

    await call("claim", [second.id])
    await call("release", second.id)
    await call("cancel", second.id, "customer asked")

    client.journal.void("never-sent-request-1")
    called.add("flush_voids")
    for void in await client.flush_voids():
        seen.append((recorder.log[-1], void))
    return seen, called


async def test_every_answer_is_the_shared_shape_the_client_parses(demo_db: Database, settings: Settings) -> None:
    app = create_app(demo_db, settings)
    recorder = Recorder(httpx.ASGITransport(app=app, raise_app_exceptions=False))
    client = BackendClient("http://embedded", transport=recorder)
    try:
        seen, called = await _every_call(client, recorder)
        spec = (await client._http.get("/openapi.json")).json()
    finally:
        await client.aclose()

    # Every call the client has is in the walk above: a new one must be added there.
    calls = {name for name, fn in inspect.getmembers(BackendClient, inspect.iscoroutinefunction)
             if not name.startswith("_")}
    assert calls - {"aclose", "replay"} == called

    problems: list[str] = []
    for ex, result in seen:
        where = f"{ex.method} {ex.path}"
        assert 200 <= ex.status < 300, (where, ex.status, ex.answer[:300])
        op = _operation(spec, ex.method, ex.path)
        problems += body_drift(spec, op, ex.body, where)
        if result is None:
            continue  # an answer without a body (log-out)
        problems += [f"{where} {p}" for p in field_drift(result, json.loads(ex.answer))]
        name = _answer_component(spec, op)
        if SHARED.get(name) is not type(result if not isinstance(result, list) else result[0]):
            problems.append(f"{where}: served as {name}, parsed as {type(result).__name__}")
    assert not problems, "\n".join(problems)


async def test_openapi_components_are_the_shared_classes(api: httpx.AsyncClient) -> None:
    """Every served component named like a shared class has its fields: a shape served from a
    copy that drifted shows here even on routes the terminal does not call (the event feed)."""
    spec = (await api.get("/openapi.json")).json()
    served = set(spec["components"]["schemas"])
    problems = [p for name in sorted(served & set(SHARED)) for p in component_drift(spec, name)]
    assert not problems, "\n".join(problems)
    # The shapes the terminal and the platform read are all served (none left behind in the module).
    assert set(SHARED) <= served, sorted(set(SHARED) - served)


def test_field_drift_sees_a_field_on_one_side_only() -> None:
    """The check itself: an extra field on the server's side, or on the client's, is drift."""
    code = schemas.CodeView(code="012345678905", type="UPC")
    assert field_drift(code, {"code": "012345678905", "type": "UPC"}) == []
    assert field_drift(code, {"code": "012345678905", "type": "UPC", "gtin": "x"}) == [
        "$.gtin: sent by the server, not in CodeView"]

    class ClientCode(schemas.CodeView):  # a client-side copy with one more field
        symbology: str = ""

    drift = field_drift(ClientCode(code="1"), {"code": "1", "type": None})
    assert len(drift) == 2 and drift[0].endswith("ClientCode is not a class of storeassist_tui.schemas")
    assert drift[1] == "$.symbology: in ClientCode, not sent by the server"


def test_the_schema_module_loads_neither_side() -> None:
    script = ("import sys, storeassist_tui.schemas\n"
              "print(sorted(m for m, mod in sys.modules.items() if mod is not None and m.split('.')[0] in "
              "('textual', 'rich', 'httpx', 'sqlmodel', 'sqlalchemy', 'fastapi', 'starlette', 'alembic') "
              "or m.startswith(('storeassist_tui.store', 'storeassist_tui.server', 'storeassist_tui.client', "
              "'storeassist_tui.screens', 'storeassist_tui.widgets', 'storeassist_tui.app'))))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


SHARED_CONSTANTS = ("PICK", "DISPENSE", "CANCEL", "ROLES", "MAX_BATCH", "MAX_SCANS", "CANCELED_BY_PLATFORM",
                    "CHECKIN_NOTE_MAX")
# Values distinctive enough that a literal copy of them anywhere else is a copy of the constant.
SHARED_WORDS = (schemas.DISPENSE, schemas.CANCEL, schemas.CANCELED_BY_PLATFORM)


@pytest.mark.parametrize("path", sorted(p for p in PACKAGE.rglob("*.py")
                                        if "migrations" not in p.parts and p.name != "schemas.py"),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_shared_constants_are_not_copied(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    copies = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            names |= {e.id for t in targets if isinstance(t, ast.Tuple) for e in t.elts if isinstance(e, ast.Name)}
            copies += [f"{path.name}:{node.lineno} defines {n}" for n in sorted(names & set(SHARED_CONSTANTS))]
        elif isinstance(node, ast.Constant) and node.value in SHARED_WORDS:
            copies.append(f"{path.name}:{node.lineno} spells {node.value!r}")
    assert not copies, "import them from storeassist_tui.schemas: " + "; ".join(copies)
