"""What polling the hand-off queue costs the server, on SQLite or on PostgreSQL with replicas,
beside a bare FastAPI endpoint measured in the same run.

Real `storeassist serve` processes (loopback; one on a temp SQLite file, or `--replicas` of them,
2 by default, on a temp PostgreSQL database created on the `--postgres` server and dropped at the
end) share a store seeded with the demo and a realistic hand-off queue (by default 30 staged
orders, 10 of them checked in), made through the HTTP API. Then:

  one at a time: `--single` conditional polls (If-None-Match, each a 304) sent one after the
      other to one server process: its CPU per 304, alone;
  (a) ETag: N terminals (default 200, each its own session and keep-alive connection, spread
      over the replicas in turn) poll GET /api/v1/stores/{store}/handoff-queue, one request at
      a time, the next one `--interval` seconds after the answer (as services/polling.py does),
      from a random offset; the last ETag goes in If-None-Match, as the app's client does;
  (b) no ETag (`--no-etag-run`): the same without If-None-Match;
  baseline: the same number of bare FastAPI processes (one endpoint at the same path answering
      304, no authentication, no database), under the same uvicorn, get the same single and
      polling load: the floor of a 304 on this machine, so the figures are read as ratios.

During (a) and (b) a writer changes the store every `--write-every` seconds through the API, on
each replica in turn (stage a picked order, check in a staged one, hand off the longest-waiting
one), so the queue keeps its size, the ETags do change, and a change made through one replica
must reach the terminals of the others. `--write-every 0`: no writer.

Measured: each poll's latency at the client, requests/s, 200 / 304 / errors, the CPU (user + sys)
of the server processes (summed), of the database's backends serving this run (PostgreSQL on this
machine: read from /proc), of this load generator (same machine) and of everything else.

    python bench/poll_cost.py [--terminals 200] [--interval 2] [--seconds 60] [--write-every 5] [--json]
    python bench/poll_cost.py --postgres postgresql://postgres@127.0.0.1:5432/postgres [--replicas 2]
    python bench/poll_cost.py --quick     # 20 terminals for 10 s: a smoke test
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import math
import os
import platform
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

STORE = "demo-001"
QUEUE = f"/api/v1/stores/{STORE}/handoff-queue"
TIMEOUT_S = 5.0  # a terminal's wait for one poll (the app's own timeout is longer)


def log(text: str) -> None:
    # Progress on stderr: stdout is the table (or the JSON document).
    print(text, file=sys.stderr, flush=True)


# --- the servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(db_url: str, history: int, open_orders: int) -> None:
    """`storeassist seed --demo --orders N`'s code, with more open orders than its 40, so that
    30 can be staged and the writer still has picked orders to stage."""
    from storeassist_tui.store import demo, migrate
    from storeassist_tui.store.db import Database

    db = Database(db_url)
    try:
        migrate.upgrade(db)
        stores = demo.ensure_demo(db, 1)
        demo.seed_orders(db, stores, history + open_orders, open_per_store=open_orders)
    finally:
        db.dispose()


@contextmanager
def postgres_database(server_url: str) -> Iterator[tuple[str, str]]:
    """A new empty database on the PostgreSQL server of `server_url`, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"poll_cost_{uuid.uuid4().hex[:10]}"
    admin_url = make_url(server_url).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(drivername="postgresql", database=name).render_as_string(hide_password=False), name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def storeassist_command() -> list[str]:
    script = Path(sys.executable).with_name("storeassist")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "storeassist_tui.cli"]


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    log: Path


def start_server(db_url: str | None, tmp: Path, n: int, answer_cache: bool = True) -> Server:
    """`storeassist serve` on `db_url`; None: the bare baseline (this script, --serve-bare)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOREASSIST_")}
    if not answer_cache:
        env["STOREASSIST_ANSWER_CACHE_SIZE"] = "0"  # every 200 runs the query (the server as it was)
    env["STOREASSIST_CONFIG"] = str(tmp / "no-config.toml")  # nobody's own config file
    env["STOREASSIST_DEMO"] = "true"  # GET /api/v1/demo then tells the demo credentials
    name = "bare" if db_url is None else "server"
    errors = tmp / f"{name}-{n}.log"
    command = ([sys.executable, __file__, "--serve-bare", str(port)] if db_url is None else
               [*storeassist_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--database-url", db_url])
    with errors.open("wb") as out:
        # Own session: a Ctrl+C reaches this script only, which then stops the servers itself.
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return Server(proc, f"http://127.0.0.1:{port}", errors)


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise SystemExit(f"a server exited ({server.proc.returncode}):\n{server.log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{server.base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"a server did not answer within 60 s:\n{server.log.read_text()[-2000:]}")


def stop_server(server: Server) -> None:
    proc = server.proc
    if proc.poll() is None:
        proc.terminate()  # uvicorn shuts down gracefully on SIGTERM
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def serve_bare(port: int) -> None:
    """The baseline: FastAPI under the same uvicorn as `storeassist serve`, one endpoint at the
    polled path answering 304 with the headers ours sends, nothing checked, nothing read."""
    import uvicorn
    from fastapi import FastAPI, Response

    app = FastAPI()

    @app.get(QUEUE)
    async def queue() -> Response:
        return Response(status_code=304, headers={"ETag": 'W/"1-0-0"', "Cache-Control": "no-cache"})

    @app.get("/api/v1/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False)


def http_stack() -> str:
    """What uvicorn picks here ("auto"): its C parser and event loop when they are installed."""
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"uvicorn {parser} + {loop}"


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads), from /proc/<pid>/stat; 0 when
    it is gone or not readable."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text.rpartition(")")[2].split()  # the command name may hold spaces: cut after it
    return (int(fields[11]) + int(fields[12])) / _TICK  # fields 14 and 15: utime, stime


def own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def machine_busy() -> float:
    """CPU seconds used on the whole machine (all cores), from /proc/stat: with the server's and
    our own, it tells how much other work shared the cores during a run."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / _TICK  # user..steal; guest time is already in user


def cpu_wait() -> float:
    """Seconds during which some runnable task waited for a core (Linux PSI), 0 if unavailable."""
    try:
        some = Path("/proc/pressure/cpu").read_text().split("\n", 1)[0]
    except OSError:
        return 0.0
    return int(some.rpartition("total=")[2]) / 1e6


class Backends:
    """CPU of the PostgreSQL backends serving the run's database (the server on this machine);
    None for SQLite, whose work is inside the server processes' own CPU."""

    def __init__(self, db_url: str | None) -> None:
        self.conn: Any = None
        if db_url and db_url.startswith("postgresql"):
            import psycopg

            self.conn = psycopg.connect(db_url, autocommit=True)

    def cpu(self) -> dict[int, float] | None:
        if self.conn is None:
            return None
        pids = [r[0] for r in self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
        return {pid: cpu_of(pid) for pid in pids}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


# --- the API ----------------------------------------------------------------------------------


def w(headers: dict[str, str]) -> dict[str, str]:
    # Every mutation carries a request id (Idempotency-Key), as the app's client sends.
    return {**headers, "Idempotency-Key": uuid.uuid4().hex}


class ApiError(Exception):
    """A refused call while preparing or writing: method, path, status and the server's message."""


def ok(resp: httpx.Response) -> Any:
    if resp.status_code >= 300:
        raise ApiError(f"{resp.request.method} {resp.request.url.path}: {resp.status_code} {resp.text[:300]}")
    return resp.json()


async def login(api: httpx.AsyncClient, username: str, secret: str) -> dict[str, str]:
    body = ok(await api.post("/api/v1/auth/login", json={"username": username, "secret": secret, "store": STORE}))
    return {"Authorization": f"Bearer {body['token']}"}


@dataclass
class Queue:
    """The writer's own view of the orders it moves along (no extra reads during the runs)."""

    picked: list[int] = field(default_factory=list)  # waiting to be staged
    ready: list[int] = field(default_factory=list)  # staged, nobody came yet (oldest first)
    arrived: list[int] = field(default_factory=list)  # staged and checked in (longest wait first)


async def pick(api: httpx.AsyncClient, h: dict[str, str], order_id: int) -> None:
    """Claim, scan every unit by its SKU, finish: the picker's path through the API."""
    claimed = ok(await api.post("/api/v1/picks/claim", json={"order_ids": [order_id]}, headers=w(h)))
    for line in claimed["orders"][0]["lines"]:
        for _ in range(line["pending"]):
            ok(await api.post("/api/v1/picks/scan", json={"order_ids": [order_id], "code": line["sku"]},
                              headers=w(h)))
    ok(await api.post(f"/api/v1/orders/{order_id}/finish-pick", headers=w(h)))


async def stage(api: httpx.AsyncClient, h: dict[str, str], order_id: int, n: int) -> None:
    ok(await api.post(f"/api/v1/orders/{order_id}/stage", json={"location": f"B{n % 12 + 1}", "bags": 1 + n % 3},
                      headers=w(h)))


async def check_in(api: httpx.AsyncClient, h: dict[str, str], order_id: int, n: int) -> None:
    form = {"location": "curbside", "spot": f"P{n % 6 + 1}", "car_make": "Honda", "car_colour": "Blue"} if n % 3 == 0 \
        else {"location": "in_store"}
    ok(await api.post(f"/api/v1/orders/{order_id}/checkin", json=form, headers=w(h)))


async def hand_off(api: httpx.AsyncClient, h: dict[str, str], order_id: int) -> None:
    ok(await api.post(f"/api/v1/orders/{order_id}/dispense", json={"signature": "A Customer"}, headers=w(h)))


async def prepare(api: httpx.AsyncClient, lead: dict[str, str], staged: int, checked_in: int, pool: int) -> Queue:
    """Bring the store to `staged` staged orders, `checked_in` of them checked in, and `pool`
    more picked ones for the writer, through the same routes the terminals use."""
    hq = ok(await api.get(QUEUE, headers=lead))
    q = Queue(ready=[e["order"]["id"] for e in hq["ready"]], arrived=[e["order"]["id"] for e in hq["checked_in"]])
    pq = ok(await api.get(f"/api/v1/stores/{STORE}/pick-queue", headers=lead, params={"limit": 500}))
    new = [o["id"] for o in pq["orders"] if o["status"] == "new"]
    to_stage = max(0, staged - len(q.ready) - len(q.arrived))
    if to_stage + pool > len(new):
        raise ApiError(f"only {len(new)} new orders to pick; {to_stage + pool} needed")
    for n, oid in enumerate(new[: to_stage + pool]):
        await pick(api, lead, oid)
        if n < to_stage:
            await stage(api, lead, oid, n)
            q.ready.append(oid)
        else:
            q.picked.append(oid)
    n = 0
    while len(q.arrived) < checked_in and q.ready:
        oid = q.ready.pop(0)
        await check_in(api, lead, oid, n)
        q.arrived.append(oid)
        n += 1
    return q


# --- the load ---------------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    use_etag: bool
    latencies_ms: list[float] = field(default_factory=list)
    latencies_304_ms: list[float] = field(default_factory=list)
    ok_200: int = 0
    not_modified: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    error_sample: dict[str, str] = field(default_factory=dict)
    bytes_200: int = 0
    writes: int = 0
    write_errors: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    other_cpu_s: float = 0.0  # every other process on the machine
    db_cpu_s: float | None = None  # PostgreSQL's backends of this run's database (None: SQLite)
    cpu_wait_s: float = 0.0

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.error_sample.setdefault(kind, detail[:300])

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        polls = self.ok_200 + self.not_modified + sum(self.errors.values())
        lat_304 = sorted(self.latencies_304_ms)

        def pct(p: float, lat: list[float] = lat) -> float:
            return lat[min(len(lat) - 1, math.ceil(p / 100 * len(lat)) - 1)] if lat else float("nan")

        return {
            "polls": polls, "status_200": self.ok_200, "status_304": self.not_modified,
            "errors": sum(self.errors.values()), "errors_by_kind": self.errors, "error_samples": self.error_sample,
            "requests_per_s": polls / self.wall_s if self.wall_s else 0.0,
            "latency_ms": {"p50": statistics.median(lat) if lat else float("nan"), "p99": pct(99),
                           "max": lat[-1] if lat else float("nan")},
            "latency_304_ms": {"p50": statistics.median(lat_304) if lat_304 else float("nan"),
                               "p99": pct(99, lat_304)},
            "avg_200_bytes": self.bytes_200 / self.ok_200 if self.ok_200 else 0,
            "writes": self.writes, "write_errors": self.write_errors,
            "wall_s": self.wall_s,
            "server_cpu_s": self.server_cpu_s, "server_cpu_pct_of_core": 100 * self.server_cpu_s / self.wall_s,
            "server_cpu_ms_per_poll": 1000 * self.server_cpu_s / polls if polls else 0.0,
            "db_cpu_s": self.db_cpu_s,
            "db_cpu_pct_of_core": None if self.db_cpu_s is None else 100 * self.db_cpu_s / self.wall_s,
            "db_cpu_ms_per_poll": None if self.db_cpu_s is None or not polls else 1000 * self.db_cpu_s / polls,
            "loadgen_cpu_s": self.client_cpu_s, "loadgen_cpu_pct_of_core": 100 * self.client_cpu_s / self.wall_s,
            "other_cpu_s": self.other_cpu_s, "other_cpu_pct_of_core": 100 * self.other_cpu_s / self.wall_s,
            "cpu_wait_pct_of_time": 100 * self.cpu_wait_s / self.wall_s,
        }


async def poll(client: httpx.AsyncClient, headers: dict[str, str], etag: str | None, run: Run | None) -> str | None:
    """One poll; returns the ETag to send next time. `run` None: a warm-up, not counted."""
    sent = {**headers, "If-None-Match": etag} if etag else headers
    started = time.perf_counter()
    try:
        r = await client.get(QUEUE, headers=sent)
    except httpx.HTTPError as exc:
        if run is not None:
            run.error(type(exc).__name__, repr(exc))
        return etag
    if run is not None:
        run.latencies_ms.append((time.perf_counter() - started) * 1000)
        if r.status_code == 304:
            run.latencies_304_ms.append(run.latencies_ms[-1])
        if r.status_code == 200:
            run.ok_200 += 1
            run.bytes_200 += len(r.content)
        elif r.status_code == 304:
            run.not_modified += 1
        else:
            run.error(f"HTTP {r.status_code}", r.text)
    if r.status_code == 200:
        return r.headers.get("etag")
    return etag


async def terminal(client: httpx.AsyncClient, headers: dict[str, str], run: Run, etag: str | None,
                   interval: float, until: float, rng: random.Random) -> None:
    await asyncio.sleep(rng.uniform(0, interval))  # terminals are switched on at different times
    while True:
        etag = await poll(client, headers, etag if run.use_etag else None, run)
        if time.perf_counter() + interval >= until:
            return  # the window closes before the next poll: this terminal is done
        await asyncio.sleep(interval)  # the next poll is armed after the answer, like the app's poller


async def writer(apis: list[httpx.AsyncClient], lead: dict[str, str], q: Queue, run: Run, every: float,
                 until: float, step: list[int]) -> None:
    """A change every `every` s, in turn: stage, check in, hand off, each through the next
    replica; the queue keeps its size."""
    await asyncio.sleep(every / 2)
    while time.perf_counter() < until:
        n = step[0]
        step[0] += 1
        action = ("stage", "check in", "hand off")[n % 3]
        api = apis[n % len(apis)]
        try:
            if action == "stage" and q.picked:
                oid = q.picked.pop(0)
                await stage(api, lead, oid, n)
                q.ready.append(oid)
            elif action == "check in" and q.ready:
                oid = q.ready.pop(0)
                await check_in(api, lead, oid, n)
                q.arrived.append(oid)
            elif action == "hand off" and q.arrived:
                await hand_off(api, lead, q.arrived.pop(0))
            else:
                raise ApiError("no order left to move (a larger pool is needed)")
            run.writes += 1
        except (ApiError, httpx.HTTPError) as exc:
            run.write_errors[action] = run.write_errors.get(action, 0) + 1
            log(f"  writer: {action}: {exc}")
        if time.perf_counter() + every >= until:
            return
        await asyncio.sleep(every)


async def measure(run: Run, clients: list[httpx.AsyncClient], tokens: list[dict[str, str]],
                  apis: list[httpx.AsyncClient], lead: dict[str, str], q: Queue, args: argparse.Namespace,
                  pids: list[int], backends: Backends, step: list[int]) -> None:
    # Warm-up, not counted: every terminal connected and holding the current ETag, so the run
    # measures the steady state rather than 200 first-time connections and answers.
    sem = asyncio.Semaphore(20)

    async def warm(c: httpx.AsyncClient, h: dict[str, str]) -> str | None:
        async with sem:
            return await poll(c, h, None, None)

    etags = await asyncio.gather(*(warm(c, h) for c, h in zip(clients, tokens, strict=True)))
    rng = random.Random(1)
    log(f"  {run.name}: {len(clients)} terminals, every {args.interval:g} s, for {args.seconds:g} s ...")
    db0 = backends.cpu()
    server0, own0, busy0, wait0 = sum(cpu_of(p) for p in pids), own_cpu(), machine_busy(), cpu_wait()
    t0 = time.perf_counter()
    until = t0 + args.seconds
    writes = [writer(apis, lead, q, run, args.write_every, until, step)] if args.write_every and apis else []
    await asyncio.gather(
        *writes,
        *(terminal(c, h, run, e, args.interval, until, rng) for c, h, e in zip(clients, tokens, etags, strict=True)),
    )
    run.wall_s = time.perf_counter() - t0
    run.server_cpu_s, run.client_cpu_s = sum(cpu_of(p) for p in pids) - server0, own_cpu() - own0
    db1 = backends.cpu()
    if db0 is not None and db1 is not None:  # a backend that started meanwhile counts from 0
        run.db_cpu_s = sum(cpu - db0.get(pid, 0.0) for pid, cpu in db1.items())
    run.other_cpu_s = max(0.0, machine_busy() - busy0 - run.server_cpu_s - run.client_cpu_s - (run.db_cpu_s or 0))
    run.cpu_wait_s = cpu_wait() - wait0


def writer_pool(args: argparse.Namespace) -> int:
    """Picked orders the writer stages over the runs (every third change is a stage)."""
    if not args.write_every:
        return 0
    runs = 2 if args.no_etag_run else 1
    return runs * (math.ceil(args.seconds / args.write_every) // 3 + 2)


async def one_at_a_time(base: str, headers: dict[str, str], n: int, pid: int) -> dict[str, float]:
    """`n` conditional polls one after the other to one server process: CPU per 304, alone."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        first = await c.get(QUEUE, headers=headers)
        sent = {**headers, "If-None-Match": first.headers.get("etag", 'W/"1-0-0"')}
        for _ in range(min(200, n)):  # warm: connection, prepared statements, caches
            await c.get(QUEUE, headers=sent)
        cpu0, t0 = cpu_of(pid), time.perf_counter()
        latencies = []
        for _ in range(n):
            started = time.perf_counter()
            r = await c.get(QUEUE, headers=sent)
            latencies.append((time.perf_counter() - started) * 1000)
            if r.status_code != 304:
                raise ApiError(f"one at a time: {r.status_code} {r.text[:200]}")
        cpu, wall = cpu_of(pid) - cpu0, time.perf_counter() - t0
    return {"polls": n, "server_cpu_ms_per_304": 1000 * cpu / n, "latency_ms_p50": statistics.median(latencies),
            "wall_s": wall}


async def login_terminals(apis: list[httpx.AsyncClient], username: str, secret: str, n: int) -> list[dict[str, str]]:
    """One session per terminal, as on the shop floor, each made on the replica it will poll (a
    few at a time: each runs the slow password hash)."""
    sem = asyncio.Semaphore(4)

    async def one(i: int) -> dict[str, str]:
        async with sem:
            return await login(apis[i % len(apis)], username, secret)

    return list(await asyncio.gather(*(one(i) for i in range(n))))


def terminal_clients(bases: list[str], n: int) -> list[httpx.AsyncClient]:
    # One client (one keep-alive connection) per terminal, like the real ones, spread in turn.
    return [httpx.AsyncClient(base_url=bases[i % len(bases)], timeout=TIMEOUT_S,
                              limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
            for i in range(n)]


async def bench(args: argparse.Namespace, servers: list[Server], bare: list[Server], backends: Backends,
                q_size: dict[str, int]) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    apis = [httpx.AsyncClient(base_url=s.base, timeout=30, limits=limits) for s in servers]
    try:
        creds = ok(await apis[0].get("/api/v1/demo"))["credentials"]
        by_role = {c["role"]: c for c in creds}
        if "lead" not in by_role or "handoff" not in by_role:
            raise ApiError("GET /api/v1/demo gave no demo credentials (is STOREASSIST_DEMO on?)")
        lead = await login(apis[0], by_role["lead"]["username"], by_role["lead"]["secret"])
        started = time.perf_counter()
        q = await prepare(apis[0], lead, args.staged, args.checked_in, writer_pool(args))
        answer = await apis[-1].get(QUEUE, headers=lead)
        hq = ok(answer)
        q_size.update(checked_in=len(hq["checked_in"]), ready=len(hq["ready"]), bytes=len(answer.content))
        log(f"  hand-off queue: {q_size['checked_in']} checked in + {q_size['ready']} ready "
            f"({q_size['bytes'] / 1024:.1f} kB), prepared in {time.perf_counter() - started:.1f} s")
        handoff = by_role["handoff"]
        started = time.perf_counter()
        tokens = await login_terminals(apis, handoff["username"], handoff["secret"], args.terminals)
        log(f"  {len(tokens)} logins as {handoff['username']} in {time.perf_counter() - started:.1f} s")

        single = {"ours": await one_at_a_time(servers[0].base, tokens[0], args.single, servers[0].proc.pid),
                  "baseline": await one_at_a_time(bare[0].base, tokens[0], args.single, bare[0].proc.pid)}
        log(f"  one at a time: a 304 costs {single['ours']['server_cpu_ms_per_304']:.3f} ms of server CPU, "
            f"the bare one {single['baseline']['server_cpu_ms_per_304']:.3f} ms")

        step = [0]
        runs = [Run("(a) ETag / 304", True)] + ([Run("(b) no ETag", False)] if args.no_etag_run else [])
        for run in runs:
            clients = terminal_clients([s.base for s in servers], args.terminals)
            try:
                await asyncio.sleep(2)  # let the last answers and writes settle
                await measure(run, clients, tokens, apis, lead, q, args, [s.proc.pid for s in servers], backends, step)
            finally:
                await asyncio.gather(*(c.aclose() for c in clients))
        baseline = Run("baseline: bare 304", True)
        clients = terminal_clients([s.base for s in bare], args.terminals)
        try:
            await asyncio.sleep(2)
            await measure(baseline, clients, tokens, [], lead, q, args, [s.proc.pid for s in bare], Backends(None), step)
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        return {"single": single, "runs": {run.name: run.summary() for run in [*runs, baseline]}}
    finally:
        await asyncio.gather(*(a.aclose() for a in apis))


# --- output -----------------------------------------------------------------------------------


def _ratio(ours: float, base: float) -> str:
    return f"{ours / base:.1f}x" if base > 0 else "n/a"


def table(doc: dict[str, Any]) -> str:
    runs = doc["runs"]
    names = list(runs)
    s = [runs[n] for n in names]
    setup = doc["setup"]

    def db(r: dict[str, Any], key: str, fmt: str) -> str:
        return "-" if r[key] is None else format(r[key], fmt)

    rows: list[tuple[str, list[str]]] = [
        ("polls", [f"{r['polls']}" for r in s]),
        ("  200 / 304", [f"{r['status_200']} / {r['status_304']}" for r in s]),
        ("  errors", [f"{r['errors']}" for r in s]),
        ("requests/s", [f"{r['requests_per_s']:.1f}" for r in s]),
        ("latency p50 ms", [f"{r['latency_ms']['p50']:.1f}" for r in s]),
        ("latency p99 ms", [f"{r['latency_ms']['p99']:.1f}" for r in s]),
        ("latency max ms", [f"{r['latency_ms']['max']:.1f}" for r in s]),
        ("  304s only: p50 / p99 ms", [f"{r['latency_304_ms']['p50']:.1f} / {r['latency_304_ms']['p99']:.1f}"
                                       for r in s]),
        ("server CPU s (% of a core)", [f"{r['server_cpu_s']:.1f} ({r['server_cpu_pct_of_core']:.1f} %)" for r in s]),
        ("server CPU per poll ms", [f"{r['server_cpu_ms_per_poll']:.3f}" for r in s]),
        ("database CPU s (%)", [f"{db(r, 'db_cpu_s', '.1f')} ({db(r, 'db_cpu_pct_of_core', '.1f')} %)" for r in s]),
        ("database CPU per poll ms", [db(r, "db_cpu_ms_per_poll", ".3f") for r in s]),
        ("load generator CPU s (%)", [f"{r['loadgen_cpu_s']:.1f} ({r['loadgen_cpu_pct_of_core']:.0f} %)" for r in s]),
        ("other processes CPU s (%)", [f"{r['other_cpu_s']:.1f} ({r['other_cpu_pct_of_core']:.0f} %)" for r in s]),
        ("time a task waited for CPU", [f"{r['cpu_wait_pct_of_time']:.0f} %" for r in s]),
        ("writes (errors)", [f"{r['writes']} ({sum(r['write_errors'].values())})" for r in s]),
        ("window s", [f"{r['wall_s']:.1f}" for r in s]),
    ]
    m = doc["machine"]
    one = doc["single"]
    ours, base = runs[names[0]], runs[names[-1]]
    where = (f"PostgreSQL, {setup['replicas']} server processes" if setup["database"] == "postgresql"
             else "SQLite, 1 server process")
    out = [
        f"machine: {m['arch']} {m['cores']} cores, Python {m['python']}, {m['os']}; {m['http']}; {m['date']}",
        f"database: {where}; hand-off queue: {setup['checked_in']} checked in + {setup['ready']} ready "
        f"({setup['answer_bytes'] / 1024:.1f} kB as JSON); {setup['terminals']} terminals polling every "
        f"{setup['interval_s']:g} s for {setup['seconds']:g} s; "
        + (f"a change every {setup['write_every_s']:g} s" if setup["write_every_s"] else "no changes"),
        "server answer cache: " + ("off (every 200 runs the query)" if setup.get("no_answer_cache")
                                   else "on (an answer is made once per change)"),
        "",
        f"one at a time ({one['ours']['polls']} conditional polls, one server process): a 304 costs "
        f"{one['ours']['server_cpu_ms_per_304']:.3f} ms of server CPU; bare FastAPI 304: "
        f"{one['baseline']['server_cpu_ms_per_304']:.3f} ms; ratio "
        f"{_ratio(one['ours']['server_cpu_ms_per_304'], one['baseline']['server_cpu_ms_per_304'])}",
        f"under load ({names[0]} against the baseline): server CPU per poll "
        f"{_ratio(ours['server_cpu_ms_per_poll'], base['server_cpu_ms_per_poll'])}, % of a core "
        f"{_ratio(ours['server_cpu_pct_of_core'], base['server_cpu_pct_of_core'])}, p99 "
        f"{_ratio(ours['latency_ms']['p99'], base['latency_ms']['p99'])}",
        "",
        f"{'':<28}" + "".join(f"{n:>20}" for n in names),
    ]
    out += [f"{label:<28}" + "".join(f"{v:>20}" for v in values) for label, values in rows]
    for n, r in zip(names, s, strict=True):
        for kind, count in r["errors_by_kind"].items():
            out.append(f"{n}: {count} x {kind}: {r['error_samples'][kind]}")
    return "\n".join(out)


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--terminals", type=int, help="terminals polling (default 200; --quick 20)")
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between a poll's answer and the next poll")
    ap.add_argument("--seconds", type=float, help="length of each run (default 60; --quick 10)")
    ap.add_argument("--write-every", type=float, default=5.0,
                    help="seconds between the writer's changes (default 5; 0: no writer)")
    ap.add_argument("--staged", type=int, default=30, help="staged orders in the hand-off queue (default 30)")
    ap.add_argument("--checked-in", type=int, default=10, help="of which checked in (default 10)")
    ap.add_argument("--orders", type=int, default=5000, help="history orders in the store (default 5000)")
    ap.add_argument("--single", type=int, default=2000, help="conditional polls sent one at a time (default 2000)")
    ap.add_argument("--postgres", metavar="URL", default="",
                    help="a PostgreSQL server (any database on it): the run gets a new database there, dropped after")
    ap.add_argument("--replicas", type=int, help="server processes on the one database (default: 2 on PostgreSQL, "
                                                 "1 on SQLite)")
    ap.add_argument("--no-etag-run", action="store_true", help="also run (b): the terminals never send If-None-Match")
    ap.add_argument("--quick", action="store_true", help="20 terminals for 10 s: a smoke test")
    ap.add_argument("--no-answer-cache", action="store_true",
                    help="server without its answer cache (STOREASSIST_ANSWER_CACHE_SIZE=0): every 200 runs the query")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = ap.parse_args()
    args.terminals = args.terminals or (20 if args.quick else 200)
    args.seconds = args.seconds or (10.0 if args.quick else 60.0)
    args.replicas = args.replicas or (2 if args.postgres else 1)
    if args.terminals < 1 or args.interval <= 0 or args.seconds <= 0 or args.write_every < 0 or args.single < 1:
        ap.error("--terminals, --interval, --seconds and --single must be positive, --write-every 0 or more")
    if not 0 <= args.checked_in <= args.staged:
        ap.error("--checked-in must be 0..--staged")
    if args.replicas < 1 or (args.replicas > 1 and not args.postgres):
        ap.error("--replicas: several server processes need PostgreSQL (--postgres)")

    # A SIGTERM cleans up like a Ctrl+C: the finally blocks below stop the servers, remove the files.
    def interrupted(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    started_servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="poll-cost-") as tmp_name,             (postgres_database(args.postgres) if args.postgres else _no_database()) as (pg_url, _):
        tmp = Path(tmp_name)
        db_url = pg_url or f"sqlite:///{tmp / 'bench.db'}"
        backends = Backends(db_url)
        try:
            started = time.perf_counter()
            seed(db_url, args.orders, open_orders=args.staged + writer_pool(args) + 20)  # 20 left to pick
            log(f"  seeded in {time.perf_counter() - started:.1f} s")
            servers = [start_server(db_url, tmp, n, answer_cache=not args.no_answer_cache)
                       for n in range(args.replicas)]
            started_servers += servers
            bare = [start_server(None, tmp, n) for n in range(args.replicas)]
            started_servers += bare
            for server in started_servers:
                wait_ready(server)
            q_size: dict[str, int] = {}
            result = asyncio.run(bench(args, servers, bare, backends, q_size))
            for server in started_servers:
                if server.proc.poll() is not None:
                    log(f"a server exited during the run ({server.proc.returncode})")
            # Anything beyond their start-up lines (warnings, tracebacks) is worth showing.
            server_log = "\n".join(line for server in started_servers for line in server.log.read_text().splitlines()
                                   if "serving on" not in line)
        except KeyboardInterrupt:
            log("interrupted: stopping the servers")
            return 130
        except ApiError as exc:
            log(f"error: {exc}")
            return 1
        finally:
            for server in started_servers:
                stop_server(server)
            backends.close()
    doc = {
        "machine": {"arch": platform.machine(), "cores": os.cpu_count(), "python": platform.python_version(),
                    "os": f"{platform.system()} {platform.release()}", "date": date, "http": http_stack()},
        "setup": {"database": "postgresql" if args.postgres else "sqlite", "replicas": args.replicas,
                  "no_answer_cache": args.no_answer_cache, "terminals": args.terminals, "interval_s": args.interval,
                  "seconds": args.seconds, "write_every_s": args.write_every, "checked_in": q_size["checked_in"],
                  "ready": q_size["ready"], "answer_bytes": q_size["bytes"], "history_orders": args.orders},
        **result,
    }
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(table(doc))
    if server_log:
        log(f"server log (last lines):\n{server_log[-2000:]}")
    return 0


@contextmanager
def _no_database() -> Iterator[tuple[str, str]]:
    yield "", ""


if __name__ == "__main__":
    raise SystemExit(main())
