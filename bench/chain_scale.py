"""A chain at scale: seed time, then p50 / p95 of every list and search, and of a scan, a stage
and a hand-off, over HTTP while terminals poll, against the HTTP floor measured in the same run.

    python bench/chain_scale.py --database-url postgresql://postgres@127.0.0.1:5432/postgres \\
        [--orders 1000000] [--stores 100] [--replicas 2] [--terminals 200] [--rounds 30] [--json]
    python bench/chain_scale.py --quick    # a new SQLite file, 20,000 orders in 10 stores, 20 terminals

1. A new database (on the PostgreSQL server of `--database-url`, dropped afterwards; a SQLite URL
   is used as it is) is seeded by the real command, `storeassist seed --demo --orders N --stores
   S`, timed from outside.
2. `--replicas` real `storeassist serve` processes on loopback share it.
3. `--terminals` terminals, spread over the replicas and over the stores, each poll their store's
   hand-off queue every `--interval` s with its ETag, as the app does (sessions of their own).
4. Meanwhile, `--rounds` times, in turn over the replicas, a lead's terminal of the first store
   calls every list and search the screens make (terms taken from orders sampled across the
   store, a different one each round) and the order detail; then takes one new order through the
   floor's path: claim, each scan timed, finish, stage (timed), check in, hand off (timed).
   Baseline: GET /api/v1/health on the same replicas in the same rounds (the HTTP floor: no
   session, no database).

Figures: client-side latency of each call (so they include the load of the pollers, the load
generator and the database on this machine). The pollers' own p50 / p99 and the servers' and
PostgreSQL's CPU are printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import poll_cost as pc  # the servers, the API steps and the CPU readings are shared


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))] if ordered else float("nan")


@contextmanager
def _database(url: str) -> Iterator[str]:
    if url.startswith("postgresql"):
        with pc.postgres_database(url) as (new_url, _name):
            yield new_url
    else:
        yield url


def seed(url: str, orders: int, stores: int) -> float:
    """`storeassist seed --demo` into `url`, timed from outside (migrations included)."""
    started = time.perf_counter()
    subprocess.run([*pc.storeassist_command(), "db", "upgrade", "--database-url", url], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([*pc.storeassist_command(), "seed", "--demo", "--orders", str(orders), "--stores", str(stores),
                    "--database-url", url], check=True, stdout=sys.stderr)
    return time.perf_counter() - started


class Timings:
    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = {}

    async def time(self, name: str, call: Awaitable[httpx.Response]) -> Any:
        started = time.perf_counter()
        r = await call
        self.ms.setdefault(name, []).append((time.perf_counter() - started) * 1000)
        return pc.ok(r) if r.status_code != 204 else None


async def poller(client: httpx.AsyncClient, headers: dict[str, str], store: str, interval: float,
                 until: float, rng: random.Random, lat: list[float], errors: list[str]) -> None:
    path = f"/api/v1/stores/{store}/handoff-queue"
    etag: str | None = None
    await asyncio.sleep(rng.uniform(0, interval))
    while time.perf_counter() < until:
        sent = {**headers, "If-None-Match": etag} if etag else headers
        started = time.perf_counter()
        try:
            r = await client.get(path, headers=sent)
        except httpx.HTTPError as exc:
            errors.append(repr(exc))
        else:
            lat.append((time.perf_counter() - started) * 1000)
            if r.status_code == 200:
                etag = r.headers.get("etag")
            elif r.status_code != 304:
                errors.append(f"HTTP {r.status_code}")
        await asyncio.sleep(interval)


async def sample_terms(api: httpx.AsyncClient, lead: dict[str, str], store: str, n: int,
                       rng: random.Random) -> list[dict[str, str]]:
    """Search terms from `n` orders spread over the store: a name part, a phone part, an e-mail
    part and a two-letter term each."""
    first = pc.ok(await api.get(f"/api/v1/stores/{store}/orders", headers=lead, params={"limit": 1}))
    total = first["total"]
    terms = []
    for _ in range(n):
        page = pc.ok(await api.get(f"/api/v1/stores/{store}/orders", headers=lead,
                                   params={"offset": rng.randrange(max(total - 1, 1)), "limit": 1}))
        o = pc.ok(await api.get(f"/api/v1/orders/{page['orders'][0]['id']}", headers=lead))
        last = o["customer_name"].split()[-1]
        phone = "".join(c for c in o.get("customer_phone") or "" if c.isdigit())
        email = (o.get("customer_email") or "").split("@")[0]
        terms.append({"name": last[:4].lower(), "phone": phone[-4:] or "0000", "email": email[-8:] or "x",
                      "short": last[:2].lower()})
    return terms


async def floor_path(api: httpx.AsyncClient, lead: dict[str, str], order_id: int, n: int, t: Timings) -> None:
    """One order through the floor: claim, each unit scanned, finish, stage, check in, hand off."""
    claimed = await t.time("claim", api.post("/api/v1/picks/claim", json={"order_ids": [order_id]},
                                             headers=pc.w(lead)))
    for line in claimed["orders"][0]["lines"]:
        for _ in range(line["pending"]):
            await t.time("scan", api.post("/api/v1/picks/scan", json={"order_ids": [order_id], "code": line["sku"]},
                                          headers=pc.w(lead)))
    await t.time("finish pick", api.post(f"/api/v1/orders/{order_id}/finish-pick", headers=pc.w(lead)))
    await t.time("stage", api.post(f"/api/v1/orders/{order_id}/stage", json={"location": f"B{n % 12 + 1}", "bags": 1},
                                   headers=pc.w(lead)))
    await t.time("check in", api.post(f"/api/v1/orders/{order_id}/checkin", json={"location": "in_store"},
                                      headers=pc.w(lead)))
    await t.time("hand off", api.post(f"/api/v1/orders/{order_id}/dispense", json={"signature": "A Customer"},
                                      headers=pc.w(lead)))


async def lead_rounds(apis: list[httpx.AsyncClient], leads: list[dict[str, str]], store: str, rounds: int,
                      terms: list[dict[str, str]], new_ids: list[int], total: int, t: Timings) -> None:
    base = f"/api/v1/stores/{store}"
    cases: list[tuple[str, Callable[[httpx.AsyncClient, dict[str, str], int], Awaitable[httpx.Response]]]] = [
        ("health (floor)", lambda a, h, i: a.get("/api/v1/health")),
        ("pick queue", lambda a, h, i: a.get(f"{base}/pick-queue", headers=h)),
        ("stage queue", lambda a, h, i: a.get(f"{base}/stage-queue", headers=h)),
        ("hand-off queue", lambda a, h, i: a.get(f"{base}/handoff-queue", headers=h)),
        ("orders page 1", lambda a, h, i: a.get(f"{base}/orders", headers=h)),
        ("orders deep page", lambda a, h, i: a.get(f"{base}/orders", headers=h, params={"offset": total // 2})),
        ("orders: open", lambda a, h, i: a.get(f"{base}/orders", headers=h,
                                               params={"status": "new,picking,picked,staged"})),
        ("orders: canceled", lambda a, h, i: a.get(f"{base}/orders", headers=h, params={"status": "canceled"})),
        ("search name part", lambda a, h, i: a.get(f"{base}/orders", headers=h, params={"q": terms[i]["name"]})),
        ("search phone part", lambda a, h, i: a.get(f"{base}/orders", headers=h, params={"q": terms[i]["phone"]})),
        ("search e-mail part", lambda a, h, i: a.get(f"{base}/orders", headers=h, params={"q": terms[i]["email"]})),
        ("search 2 letters", lambda a, h, i: a.get(f"{base}/orders", headers=h, params={"q": terms[i]["short"]})),
        ("order detail", lambda a, h, i: a.get(f"/api/v1/orders/{new_ids[-1 - i]}", headers=h)),
    ]
    for i in range(rounds):
        api, lead = apis[i % len(apis)], leads[i % len(leads)]
        for name, call in cases:
            await t.time(name, call(api, lead, i))
        await floor_path(api, lead, new_ids[i], i, t)


async def run(args: argparse.Namespace, servers: list[pc.Server], backends: pc.Backends) -> dict[str, Any]:
    bases = [s.base for s in servers]
    apis = [httpx.AsyncClient(base_url=b, timeout=30) for b in bases]
    rng = random.Random(5)
    try:
        creds = {c["role"]: c for c in pc.ok(await apis[0].get("/api/v1/demo"))["credentials"]}
        lead_c, hand_c = creds["lead"], creds["handoff"]
        store = pc.STORE
        leads = [pc.ok(await a.post("/api/v1/auth/login", json={"username": lead_c["username"],
                                                               "secret": lead_c["secret"], "store": store}))
                 for a in apis]
        leads_h = [{"Authorization": f"Bearer {b['token']}"} for b in leads]
        pq = pc.ok(await apis[0].get(f"/api/v1/stores/{store}/pick-queue", headers=leads_h[0], params={"limit": 500}))
        new_ids = [o["id"] for o in pq["orders"] if o["status"] == "new" and o["claimed_by"] is None]
        if len(new_ids) < args.rounds:
            raise pc.ApiError(f"only {len(new_ids)} new orders in {store}; --rounds {args.rounds} needs as many")
        total = pc.ok(await apis[0].get(f"/api/v1/stores/{store}/orders", headers=leads_h[0],
                                        params={"limit": 1}))["total"]
        terms = await sample_terms(apis[0], leads_h[0], store, args.rounds, rng)
        pc.log(f"  {store}: {total} orders, {len(new_ids)} new; logging in {args.terminals} terminals ...")
        tokens = await pc.login_terminals(apis, hand_c["username"], hand_c["secret"], args.terminals)
        clients = pc.terminal_clients(bases, args.terminals)
        stores = [f"demo-{n % args.stores + 1:03d}" for n in range(args.terminals)]
        lat: list[float] = []
        errors: list[str] = []
        t = Timings()
        pids = [s.proc.pid for s in servers]
        started = time.perf_counter()
        until = started + 10 ** 6
        pollers = [asyncio.create_task(poller(c, h, s, args.interval, until, rng, lat, errors))
                   for c, h, s in zip(clients, tokens, stores, strict=True)]
        await asyncio.sleep(args.interval * 2)  # every terminal has polled once and holds its ETag
        lat.clear()
        pc.log(f"  {args.rounds} rounds of every list, search and a floor path while they poll ...")
        t0, c0, d0 = time.perf_counter(), sum(pc.cpu_of(p) for p in pids), backends.cpu()
        await lead_rounds(apis, leads_h, store, args.rounds, terms, new_ids, total, t)
        wall = time.perf_counter() - t0
        server_cpu = sum(pc.cpu_of(p) for p in pids) - c0
        d1 = backends.cpu()
        db_cpu = None if d0 is None or d1 is None else sum(c - d0.get(p, 0.0) for p, c in d1.items())
        for task in pollers:
            task.cancel()
        await asyncio.gather(*pollers, return_exceptions=True)
        for c in clients:
            await c.aclose()
    finally:
        for a in apis:
            await a.aclose()
    floor = t.ms.pop("health (floor)")
    return {
        "floor_ms": {"p50": statistics.median(floor), "p95": _pct(floor, 95)},
        "calls": {name: {"n": len(v), "p50": statistics.median(v), "p95": _pct(v, 95)} for name, v in t.ms.items()},
        "polls": {"n": len(lat), "p50": statistics.median(lat) if lat else float("nan"), "p99": _pct(lat, 99),
                  "errors": len(errors), "per_s": len(lat) / wall if wall else 0.0},
        "wall_s": wall, "server_cpu_pct_of_core": 100 * server_cpu / wall,
        "db_cpu_pct_of_core": None if db_cpu is None else 100 * db_cpu / wall,
    }


def table(doc: dict[str, Any]) -> str:
    a = doc["args"]
    f50, f95 = doc["floor_ms"]["p50"], doc["floor_ms"]["p95"]
    out = [f"{a['orders']:,} orders in {a['stores']} stores on {doc['dialect']}; {a['replicas']} replicas; "
           f"{a['terminals']} terminals polling every {a['interval']:g} s; {a['rounds']} rounds",
           f"seed (storeassist db upgrade + seed --demo, from outside): {doc['seed_s']:.1f} s",
           "", f"{'call':<20} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p95 / floor p95':>16}",
           f"{'health (the floor)':<20} {a['rounds']:>5} {f50:8.1f} {f95:8.1f} {'1.0x':>16}"]
    for name, c in doc["calls"].items():
        out.append(f"{name:<20} {c['n']:>5} {c['p50']:8.1f} {c['p95']:8.1f} {c['p95'] / f95:15.1f}x")
    p = doc["polls"]
    db = doc["db_cpu_pct_of_core"]
    out += ["", f"polls meanwhile: {p['n']} ({p['per_s']:.0f}/s), p50 {p['p50']:.1f} ms, p99 {p['p99']:.1f} ms, "
            f"{p['errors']} errors; servers {doc['server_cpu_pct_of_core']:.0f} % of a core"
            + (f", PostgreSQL {db:.0f} %" if db is not None else "") + f" over {doc['wall_s']:.0f} s"]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--stores", type=int, default=100)
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--terminals", type=int, default=200)
    ap.add_argument("--interval", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="chain-scale-"))
    if args.quick:
        args.orders, args.stores, args.terminals, args.rounds = 20_000, 10, 20, 10
        args.database_url = args.database_url or f"sqlite:///{tmp / 'chain.db'}"
    if not args.database_url:
        ap.error("--database-url (a PostgreSQL server, or a sqlite:/// file) or --quick")
    with _database(args.database_url) as url:
        pc.log(f"seeding {args.orders:,} orders in {args.stores} stores ...")
        seed_s = seed(url, args.orders, args.stores)
        servers = [pc.start_server(url, tmp, n) for n in range(args.replicas)]
        backends = pc.Backends(url)
        try:
            for s in servers:
                pc.wait_ready(s)
            doc = asyncio.run(run(args, servers, backends))
        finally:
            backends.close()
            for s in servers:
                pc.stop_server(s)
    doc.update(seed_s=seed_s, dialect=url.split(":", 1)[0], args=vars(args))
    print(json.dumps(doc, indent=2) if args.json else table(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
