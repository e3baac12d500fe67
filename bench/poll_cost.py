"""What polling the hand-off queue costs the server: with ETag / 304, and without.

A real `storeassist serve` (subprocess, loopback, a temp SQLite file seeded with the demo store)
gets a realistic hand-off queue (by default 30 staged orders, 10 of them checked in) through the
HTTP API. Then N terminals (default 200, each its own session and connection) poll
GET /api/v1/stores/{store}/handoff-queue, each one request at a time, the next one `--interval`
seconds after the answer (as services/polling.py does), from a random offset so they are spread.
Two runs of `--seconds` each:

  (a) ETag: the last ETag goes in If-None-Match, as the app's client does (304 = no query run);
  (b) no ETag: never If-None-Match, so every poll runs the query.

During both runs a writer changes the store every `--write-every` seconds through the API (in
turn: stage a picked order, check in a staged one, hand off the longest-waiting one), so the
queue stays about the same size and the ETags do change. `--write-every 0`: no writer, the best
case for the ETag. `--no-answer-cache` starts the server without its answer cache
(STOREASSIST_ANSWER_CACHE_SIZE=0), so every 200 runs the query, as the server first did.

Measured: client-side latency of each poll, requests/s, 200 / 304 / errors, and the CPU
(user + sys) of the server process and of this load generator, which runs on the same machine.

    python bench/poll_cost.py [--terminals 200] [--interval 2] [--seconds 60] [--write-every 5] [--json]
    python bench/poll_cost.py --quick     # 20 terminals for 10 s: a smoke test
"""

from __future__ import annotations

import argparse
import asyncio
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

STORE = "demo-001"
QUEUE = f"/api/v1/stores/{STORE}/handoff-queue"
TIMEOUT_S = 5.0  # the app's default request timeout (Settings.request_timeout_s)


def log(text: str) -> None:
    # Progress on stderr: stdout is the table (or the JSON document).
    print(text, file=sys.stderr, flush=True)


# --- the server -------------------------------------------------------------------------------


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


def storeassist_command() -> list[str]:
    script = Path(sys.executable).with_name("storeassist")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "storeassist_tui.cli"]


def start_server(db_url: str, port: int, tmp: Path, answer_cache: bool = True) -> tuple[subprocess.Popen[bytes], Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOREASSIST_")}
    if not answer_cache:
        env["STOREASSIST_ANSWER_CACHE_SIZE"] = "0"  # every 200 runs the query (the server as it was)
    env["STOREASSIST_CONFIG"] = str(tmp / "no-config.toml")  # nobody's own config file
    env["STOREASSIST_DEMO"] = "true"  # GET /api/v1/demo then tells the demo credentials
    errors = tmp / "server.log"
    with errors.open("wb") as out:
        # Own session: a Ctrl+C reaches this script only, which then stops the server itself.
        proc = subprocess.Popen(
            [*storeassist_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--database-url", db_url],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    return proc, errors


def wait_ready(proc: subprocess.Popen[bytes], base: str, errors: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}):\n{errors.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server did not answer within 30 s:\n{errors.read_text()[-2000:]}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()  # uvicorn shuts down gracefully on SIGTERM
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads), from /proc/<pid>/stat."""
    text = Path(f"/proc/{pid}/stat").read_text()
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
    cpu_wait_s: float = 0.0

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.error_sample.setdefault(kind, detail[:300])

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        polls = self.ok_200 + self.not_modified + sum(self.errors.values())

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, math.ceil(p / 100 * len(lat)) - 1)] if lat else float("nan")

        return {
            "polls": polls, "status_200": self.ok_200, "status_304": self.not_modified,
            "errors": sum(self.errors.values()), "errors_by_kind": self.errors, "error_samples": self.error_sample,
            "requests_per_s": polls / self.wall_s if self.wall_s else 0.0,
            "latency_ms": {"p50": statistics.median(lat) if lat else float("nan"), "p99": pct(99),
                           "max": lat[-1] if lat else float("nan")},
            "avg_200_bytes": self.bytes_200 / self.ok_200 if self.ok_200 else 0,
            "writes": self.writes, "write_errors": self.write_errors,
            "wall_s": self.wall_s,
            "server_cpu_s": self.server_cpu_s, "server_cpu_pct_of_core": 100 * self.server_cpu_s / self.wall_s,
            "server_cpu_ms_per_poll": 1000 * self.server_cpu_s / polls if polls else 0.0,
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


async def writer(api: httpx.AsyncClient, lead: dict[str, str], q: Queue, run: Run, every: float,
                 until: float, step: list[int]) -> None:
    """A change every `every` s, in turn: stage, check in, hand off; the queue keeps its size."""
    await asyncio.sleep(every / 2)
    while time.perf_counter() < until:
        n = step[0]
        step[0] += 1
        action = ("stage", "check in", "hand off")[n % 3]
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


async def measure(run: Run, clients: list[httpx.AsyncClient], tokens: list[dict[str, str]], api: httpx.AsyncClient,
                  lead: dict[str, str], q: Queue, args: argparse.Namespace, pid: int, step: list[int]) -> None:
    # Warm-up, not counted: every terminal connected and holding the current ETag, so the run
    # measures the steady state rather than 200 first-time connections and answers.
    sem = asyncio.Semaphore(20)

    async def warm(c: httpx.AsyncClient, h: dict[str, str]) -> str | None:
        async with sem:
            return await poll(c, h, None, None)

    etags = await asyncio.gather(*(warm(c, h) for c, h in zip(clients, tokens, strict=True)))
    rng = random.Random(1)
    log(f"  {run.name}: {len(clients)} terminals, every {args.interval:g} s, for {args.seconds:g} s ...")
    server0, own0, busy0, wait0, t0 = cpu_of(pid), own_cpu(), machine_busy(), cpu_wait(), time.perf_counter()
    until = t0 + args.seconds
    writes = [writer(api, lead, q, run, args.write_every, until, step)] if args.write_every else []
    await asyncio.gather(
        *writes,
        *(terminal(c, h, run, e, args.interval, until, rng) for c, h, e in zip(clients, tokens, etags, strict=True)),
    )
    run.wall_s = time.perf_counter() - t0
    run.server_cpu_s, run.client_cpu_s = cpu_of(pid) - server0, own_cpu() - own0
    run.other_cpu_s = max(0.0, machine_busy() - busy0 - run.server_cpu_s - run.client_cpu_s)
    run.cpu_wait_s = cpu_wait() - wait0


def writer_pool(args: argparse.Namespace) -> int:
    """Picked orders the writer stages over both runs (every third change is a stage)."""
    if not args.write_every:
        return 0
    return 2 * (math.ceil(args.seconds / args.write_every) // 3 + 2)


async def bench(args: argparse.Namespace, base: str, pid: int, q_size: dict[str, int]) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as api:
        creds = ok(await api.get("/api/v1/demo"))["credentials"]
        by_role = {c["role"]: c for c in creds}
        if "lead" not in by_role or "handoff" not in by_role:
            raise ApiError("GET /api/v1/demo gave no demo credentials (is STOREASSIST_DEMO on?)")
        lead = await login(api, by_role["lead"]["username"], by_role["lead"]["secret"])
        started = time.perf_counter()
        q = await prepare(api, lead, args.staged, args.checked_in, writer_pool(args))
        answer = await api.get(QUEUE, headers=lead)
        hq = ok(answer)
        q_size.update(checked_in=len(hq["checked_in"]), ready=len(hq["ready"]), bytes=len(answer.content))
        log(f"  hand-off queue: {q_size['checked_in']} checked in + {q_size['ready']} ready "
            f"({q_size['bytes'] / 1024:.1f} kB), prepared in {time.perf_counter() - started:.1f} s")

        # One session per terminal, as on the shop floor (logins succeed without limit; only
        # failures are throttled). A few at a time: each runs the slow password hash.
        handoff = by_role["handoff"]
        started = time.perf_counter()
        sem = asyncio.Semaphore(4)

        async def one_login() -> dict[str, str]:
            async with sem:
                return await login(api, handoff["username"], handoff["secret"])

        tokens = list(await asyncio.gather(*(one_login() for _ in range(args.terminals))))
        log(f"  {len(tokens)} logins as {handoff['username']} in {time.perf_counter() - started:.1f} s")

        # One client (one keep-alive connection) per terminal, like the real ones.
        clients = [httpx.AsyncClient(base_url=base, timeout=TIMEOUT_S,
                                     limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
                   for _ in tokens]
        step = [0]
        runs = [Run("(a) ETag / 304", True), Run("(b) no ETag", False)]
        try:
            for i, run in enumerate(runs):
                if i:
                    await asyncio.sleep(2)  # let the last answers and writes settle
                await measure(run, clients, tokens, api, lead, q, args, pid, step)
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        return {run.name: run.summary() for run in runs}


# --- output -----------------------------------------------------------------------------------


def table(doc: dict[str, Any]) -> str:
    runs = doc["runs"]
    names = list(runs)
    s = [runs[n] for n in names]
    setup = doc["setup"]
    rows: list[tuple[str, list[str]]] = [
        ("polls", [f"{r['polls']}" for r in s]),
        ("  200 / 304", [f"{r['status_200']} / {r['status_304']}" for r in s]),
        ("  errors", [f"{r['errors']}" for r in s]),
        ("requests/s", [f"{r['requests_per_s']:.1f}" for r in s]),
        ("latency p50 ms", [f"{r['latency_ms']['p50']:.1f}" for r in s]),
        ("latency p99 ms", [f"{r['latency_ms']['p99']:.1f}" for r in s]),
        ("latency max ms", [f"{r['latency_ms']['max']:.1f}" for r in s]),
        ("server CPU s (% of a core)", [f"{r['server_cpu_s']:.1f} ({r['server_cpu_pct_of_core']:.0f} %)" for r in s]),
        ("server CPU per poll ms", [f"{r['server_cpu_ms_per_poll']:.2f}" for r in s]),
        ("load generator CPU s (%)", [f"{r['loadgen_cpu_s']:.1f} ({r['loadgen_cpu_pct_of_core']:.0f} %)" for r in s]),
        ("other processes CPU s (%)", [f"{r['other_cpu_s']:.1f} ({r['other_cpu_pct_of_core']:.0f} %)" for r in s]),
        ("time a task waited for CPU", [f"{r['cpu_wait_pct_of_time']:.0f} %" for r in s]),
        ("writes (errors)", [f"{r['writes']} ({sum(r['write_errors'].values())})" for r in s]),
        ("window s", [f"{r['wall_s']:.1f}" for r in s]),
    ]
    m = doc["machine"]
    out = [
        f"machine: {m['arch']} {m['cores']} cores, Python {m['python']}, {m['os']}; SQLite; {m['date']}",
        f"hand-off queue: {setup['checked_in']} checked in + {setup['ready']} ready "
        f"({setup['answer_bytes'] / 1024:.1f} kB as JSON); {setup['terminals']} terminals polling every "
        f"{setup['interval_s']:g} s for {setup['seconds']:g} s; "
        + (f"a change every {setup['write_every_s']:g} s" if setup["write_every_s"] else "no changes"),
        "server answer cache: " + ("off (every 200 runs the query)" if setup.get("no_answer_cache")
                                   else "on (an answer is made once per change)"),
        "",
        f"{'':<28}" + "".join(f"{n:>18}" for n in names),
    ]
    out += [f"{label:<28}" + "".join(f"{v:>18}" for v in values) for label, values in rows]
    for n, r in zip(names, s, strict=True):
        for kind, count in r["errors_by_kind"].items():
            out.append(f"{n}: {count} x {kind}: {r['error_samples'][kind]}")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--terminals", type=int, help="terminals polling (default 200; --quick 20)")
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between a poll's answer and the next poll")
    ap.add_argument("--seconds", type=float, help="length of each run (default 60; --quick 10)")
    ap.add_argument("--write-every", type=float, default=5.0,
                    help="seconds between the writer's changes (default 5; 0: no writer)")
    ap.add_argument("--staged", type=int, default=30, help="staged orders in the hand-off queue (default 30)")
    ap.add_argument("--checked-in", type=int, default=10, help="of which checked in (default 10)")
    ap.add_argument("--orders", type=int, default=5000, help="history orders in the store (default 5000)")
    ap.add_argument("--quick", action="store_true", help="20 terminals for 10 s: a smoke test")
    ap.add_argument("--no-answer-cache", action="store_true",
                    help="server without its answer cache (STOREASSIST_ANSWER_CACHE_SIZE=0): every 200 runs the query")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = ap.parse_args()
    args.terminals = args.terminals or (20 if args.quick else 200)
    args.seconds = args.seconds or (10.0 if args.quick else 60.0)
    if args.terminals < 1 or args.interval <= 0 or args.seconds <= 0 or args.write_every < 0:
        ap.error("--terminals, --interval and --seconds must be positive, --write-every 0 or more")
    if not 0 <= args.checked_in <= args.staged:
        ap.error("--checked-in must be 0..--staged")

    # A SIGTERM cleans up like a Ctrl+C: the finally blocks below stop the server, remove the files.
    def interrupted(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    proc: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="poll-cost-") as tmp_name:
        tmp = Path(tmp_name)
        db_url = f"sqlite:///{tmp / 'bench.db'}"
        try:
            started = time.perf_counter()
            seed(db_url, args.orders, open_orders=args.staged + writer_pool(args) + 20)  # 20 left to pick
            log(f"  seeded in {time.perf_counter() - started:.1f} s")
            port = free_port()
            proc, errors = start_server(db_url, port, tmp, answer_cache=not args.no_answer_cache)
            base = f"http://127.0.0.1:{port}"
            wait_ready(proc, base, errors)
            q_size: dict[str, int] = {}
            runs = asyncio.run(bench(args, base, proc.pid, q_size))
            if proc.poll() is not None:
                log(f"the server exited during the run ({proc.returncode})")
            # Anything beyond its start-up line (warnings, tracebacks) is worth showing.
            server_log = "\n".join(line for line in errors.read_text().splitlines() if "serving on" not in line)
        except KeyboardInterrupt:
            log("interrupted: stopping the server")
            return 130
        except ApiError as exc:
            log(f"error: {exc}")
            return 1
        finally:
            if proc is not None:
                stop_server(proc)
    doc = {
        "machine": {"arch": platform.machine(), "cores": os.cpu_count(), "python": platform.python_version(),
                    "os": f"{platform.system()} {platform.release()}", "date": date},
        "setup": {"no_answer_cache": args.no_answer_cache, "terminals": args.terminals, "interval_s": args.interval, "seconds": args.seconds,
                  "write_every_s": args.write_every, "checked_in": q_size["checked_in"], "ready": q_size["ready"],
                  "answer_bytes": q_size["bytes"], "history_orders": args.orders},
        "runs": runs,
    }
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(table(doc))
    if server_log:
        log(f"server log (last lines):\n{server_log[-2000:]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
