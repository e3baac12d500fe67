"""The `storeassist` command: the terminal app, the server, and the administrator's set-up."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn

from storeassist_tui.config import Settings, default_data_dir
from storeassist_tui.schemas import ROLES


class CliError(Exception):
    """A failure to report as one line."""


class Parser(argparse.ArgumentParser):
    """Usage mistakes as one line too (the usage itself is one `--help` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    for key in ("database_url", "backend", "store"):
        value = getattr(args, key, None)
        if value:
            overrides[key] = value
    return Settings(**overrides)


def _db(args: argparse.Namespace, seed_if_empty: bool = False) -> Any:
    from storeassist_tui.embedded import open_database

    return open_database(_settings(args), seed_if_empty=seed_if_empty)


def _date(text: str) -> datetime:
    try:
        d = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port: {text!r} (1-65535)")
    return port


def cmd_app(args: argparse.Namespace) -> int:
    import asyncio

    from storeassist_tui import keyparser
    from storeassist_tui.app import StoreAssistApp
    from storeassist_tui.client import BackendClient
    from storeassist_tui.logfile import log_to_file

    keyparser.install()
    settings = _settings(args)
    try:
        log_path = log_to_file(settings.resolved_log_dir())
    except OSError as exc:  # a read-only home must not keep the associates from working
        print(f"storeassist: no log file ({exc.strerror or exc}); set STOREASSIST_LOG_DIR", file=sys.stderr)
    else:
        logging.getLogger("storeassist_tui").info("app started; log %s", log_path)
    if settings.backend:
        client = BackendClient(settings.backend, timeout=settings.request_timeout_s)
        demo = bool(settings.demo)
    else:
        from storeassist_tui.embedded import start_embedded

        demo = settings.demo if settings.demo is not None else not settings.database_url
        settings = settings.model_copy(update={"demo": demo})
        client = start_embedded(settings)
    app = StoreAssistApp(
        client, store_id=settings.store, demo=demo, poll_interval_s=settings.poll_interval_s,
        scan_threshold_ms=settings.scan_threshold_ms,
        inactivity_logout_s=settings.inactivity_logout_s, journal_dir=default_data_dir() / "journal",
    )
    async def run_then_close() -> None:
        # The client's pooled connections belong to the app's event loop: close them on it.
        try:
            await app.run_async(mouse=False)
        finally:
            await client.aclose()

    try:
        asyncio.run(run_then_close())
    finally:
        if sys.stdout.isatty():
            sys.stdout.write("\x1b[2J\x1b[H")  # a VT220 has no alternate screen to leave
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from storeassist_tui.server import create_app

    settings = _settings(args)
    _check_listen(args.host, args.port)
    db = _db(args)
    kind = "SQLite" if db.is_sqlite else "PostgreSQL"
    print(f"storeassist: serving on http://{args.host}:{args.port} ({kind}); Ctrl+C stops", flush=True)
    # proxy_headers off: uvicorn would trust X-Forwarded-For from any loopback peer; the app
    # reads it only from STOREASSIST_TRUSTED_PROXIES (server/limits.py).
    uvicorn.run(create_app(db, settings), host=args.host, port=args.port, log_level=args.log_level,
                access_log=args.access_log, proxy_headers=False)
    return 0


def _check_listen(host: str, port: int) -> None:
    """A taken port or an unknown host as one line, before uvicorn would log it its own way."""
    import socket

    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(addr)
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    _db(args)
    print("database is at the latest schema")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    import time

    from storeassist_tui.store import demo

    if not args.demo:
        raise CliError("only demo data can be seeded: add --demo")
    if not 0 <= args.orders <= 5_000_000 or not 1 <= args.stores <= 1000:
        raise CliError("--orders 0..5000000, --stores 1..1000")
    db = _db(args)
    started = time.perf_counter()
    stores = demo.ensure_demo(db, args.stores)
    added = demo.seed_orders(db, stores, args.orders)
    print(f"seeded {added} orders in {len(stores)} store(s) in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_store_add(args: argparse.Namespace) -> int:
    from storeassist_tui.store import admin

    s = admin.StoreSettings(
        id=args.id, name=args.name, timezone=args.timezone, lead_time_minutes=args.lead_time,
        opening_hours=admin.parse_hours(args.hours), curbside_enabled=not args.no_curbside,
        parking_spots=[p.strip() for p in args.spots.split(",") if p.strip()],
        signature_required=args.signature, id_check_required=args.id_check,
        rejection_allowed=not args.no_rejection, cleanup_days=args.cleanup_days,
        weight_tolerance_pct=args.weight_tolerance,
    )
    admin.add_store(_db(args), s)
    print(f"store {s.id} added")
    return 0


def cmd_store_tolerance(args: argparse.Namespace) -> int:
    from storeassist_tui.store import admin

    s = admin.set_weight_tolerance(_db(args), args.id, args.pct)
    print(f"store {s.id}: weighed items complete within +-{s.weight_tolerance_pct}% of the amount ordered")
    return 0


def cmd_store_list(args: argparse.Namespace) -> int:
    from storeassist_tui.store import admin, pickup_points

    db = _db(args)
    stores = admin.list_stores(db)
    platform = pickup_points.states(db)
    for s in stores:
        rules = [name for name, on in (("curbside", s.curbside_enabled), ("signature", s.signature_required),
                                       ("id-check", s.id_check_required), ("rejection", s.rejection_allowed)) if on]
        spots = ",".join(s.parking_spots) or "-"
        print(f"{s.id}\t{s.name}\t{s.timezone}\tlead {s.lead_time_minutes} min\t{' '.join(rules) or '-'}"
              f"\tspots {spots}\tclean-up {s.cleanup_days} d\tweight +-{s.weight_tolerance_pct}%"
              + (f"\tplatform: {platform[s.id]}" if s.id in platform else ""))
    if not stores:
        print("no stores yet: storeassist store add --id ... --name ...")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from storeassist_tui.store import admin

    users = admin.list_users(_db(args), args.only_store)
    for u in users:
        print(f"{u.username}\t{u.display_name}\t{u.role}\t{','.join(u.stores)}\t"
              f"{'badge' if u.badge else 'no badge'}\t{u.state}\t{'platform-managed' if u.platform_managed else 'local'}")
    if not users:
        print("no associates" + (f" in store {args.only_store}" if args.only_store else ""))
    return 0


def _secret(args: argparse.Namespace) -> str:
    if args.pin == "-":
        return sys.stdin.readline().rstrip("\r\n")
    if args.pin:
        return str(args.pin)
    if not sys.stdin.isatty():
        raise CliError("give --pin (or --pin - to read it from standard input)")
    first = getpass.getpass("PIN or password: ")
    if getpass.getpass("Again: ") != first:
        raise CliError("the two entries differ")
    return first


def cmd_user_add(args: argparse.Namespace) -> int:
    from storeassist_tui.store import admin

    user = admin.add_user(
        _db(args), username=args.username, display_name=args.name or args.username, role=args.role,
        stores=[s.strip() for s in args.stores.split(",") if s.strip()], secret=_secret(args), badge=args.badge,
        active_from=args.active_from, active_to=args.active_to,
    )
    print(f"user {user.username} added ({user.role}: {', '.join(user.permissions)})")
    return 0


def cmd_user_set_pin(args: argparse.Namespace) -> int:
    from storeassist_tui.store import admin

    db = _db(args)
    admin.require_local(db, args.username)
    admin.set_secret(db, args.username, _secret(args))
    print(f"user {args.username.lower()}: new PIN or password set")
    return 0


def cmd_user_unlock(args: argparse.Namespace) -> int:
    from storeassist_tui.store import admin

    admin.unlock_user(_db(args), args.username)
    print(f"user {args.username.lower()} unlocked")
    return 0


def cmd_key_add(args: argparse.Namespace) -> int:
    from storeassist_tui.store import auth

    print(auth.new_integration_key(_db(args), args.name))
    return 0


def cmd_platform_add(args: argparse.Namespace) -> int:
    from storeassist_tui.store import platform_clients

    c = platform_clients.add_client(_db(args), args.name, args.merchant_id)
    print(f"platform client {c.name} added" + (f" for merchant {c.merchant_id}" if c.merchant_id else "")
          + "; enter these on the platform (the secret is shown only now):")
    print(f"consumer id:     {c.consumer_id}")
    print(f"consumer secret: {c.consumer_secret}")
    return 0


def cmd_platform_revoke(args: argparse.Namespace) -> int:
    from storeassist_tui.store import platform_clients

    platform_clients.revoke_client(_db(args), args.name)
    print(f"platform client {args.name} revoked: its secret and tokens no longer work")
    return 0


def cmd_platform_list(args: argparse.Namespace) -> int:
    from storeassist_tui.store import platform_clients

    clients = platform_clients.list_clients(_db(args))
    for c in clients:
        state = f"revoked {c.revoked_at:%Y-%m-%d %H:%M}" if c.revoked_at else "active"
        print(f"{c.name}\t{c.consumer_id}\tmerchant {c.merchant_id or '-'}\t{state}")
    if not clients:
        print("no platform clients: storeassist platform add NAME --merchant-id ID")
    return 0


def cmd_expire(args: argparse.Namespace) -> int:
    from storeassist_tui.store import closing

    expired = closing.expire_due(_db(args))
    print(f"expired {len(expired)} order(s)" + (f": {', '.join(expired)}" if expired else ""))
    return 0


def cmd_platform_deliver(args: argparse.Namespace) -> int:
    import threading

    from storeassist_tui.platform_sender import deliverer_for
    from storeassist_tui.store import delivery

    settings = _settings(args)
    db = _db(args)
    deliverer = deliverer_for(db, settings)
    if args.once:
        with delivery.exclusive(db) as lock:
            if not lock.try_acquire():
                raise CliError("another deliverer is running (it holds the delivery lock)")
            r = deliverer.drain()
        print(f"sent {r.sent} call(s): {r.delivered} delivered, {r.failed} failed"
              + ("; the platform is not answering" if r.platform_down else ""))
        return 0 if not r.platform_down else 3
    stop = threading.Event()
    print(f"storeassist: delivering to {settings.platform_url} (stands by while another deliverer runs); "
          "Ctrl+C stops", flush=True)
    try:
        delivery.serve(deliverer, stop, settings.platform_poll_s)
    except KeyboardInterrupt:
        stop.set()
    return 0


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "-"
    s = int((now - when).total_seconds())
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def cmd_platform_status(args: argparse.Namespace) -> int:
    from storeassist_tui.store import delivery

    settings = _settings(args)
    now = datetime.now(UTC)
    st = delivery.status(_db(args), now)
    print(f"platform: {settings.platform_url or '(no STOREASSIST_PLATFORM_URL: nothing is sent)'}")
    oldest = f", oldest {_ago(st.oldest_undelivered_at, now)} old" if st.oldest_undelivered_at else ""
    print(f"undelivered: {st.undelivered} call(s){oldest}; "
          f"delivered: {st.delivered}; outbox read up to {st.outbox_cursor} of {st.outbox_last}")
    print(f"dead letters: {len(st.dead)}" + (" (storeassist platform retry EVENT_ID | --all)" if st.dead else ""))
    for d in st.dead:
        print(f"  {d.event_id}  {d.order_number}  {d.call}  {d.attempts} tries, last {_ago(d.last_attempt_at, now)}"
              f" ago: {d.last_error}")
    if st.recent_failures:
        print("recent failures:")
    for d in st.recent_failures:
        print(f"  {_ago(d.failed_at, now)} ago  {d.order_number}  {d.call}  [{d.state}, {d.attempts} tries]"
              f"  {d.last_error}")
    return 0


def cmd_platform_retry(args: argparse.Namespace) -> int:
    from storeassist_tui.store import delivery

    if bool(args.event_id) == bool(args.all):
        raise CliError("give an EVENT_ID or --all")
    n = delivery.retry(_db(args), None if args.all else args.event_id)
    print(f"{n} call(s) will be sent again")
    return 0


def build_parser() -> argparse.ArgumentParser:
    db_help = "database URL (default: SQLite in the user's data directory; env STOREASSIST_DATABASE_URL)"
    common = Parser(add_help=False)  # a Parser like its children: add_parser wants parents of its class
    common.add_argument("--database-url", help=db_help, default=argparse.SUPPRESS)

    p = Parser(
        prog="storeassist", parents=[common],
        description="Store Assist: pick, stage and hand off pickup orders. Without a command, runs the "
        "terminal app (embedded demo backend unless --backend is given).",
    )
    p.add_argument("--backend", help="URL of a running `storeassist serve` (env STOREASSIST_BACKEND)")
    p.add_argument("--store", help="the store code this terminal works in (default: the associate's first)")
    p.set_defaults(func=cmd_app)
    sub = p.add_subparsers(title="commands", metavar="COMMAND")

    s = sub.add_parser("serve", parents=[common], help="run the backend API server (uvicorn)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    s.add_argument("--port", type=_port, default=8000, help="TCP port (default 8000)")
    s.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    s.add_argument("--access-log", action="store_true", help="log every request")
    s.set_defaults(func=cmd_serve)

    d = sub.add_parser("db", help="database schema").add_subparsers(title="commands", metavar="COMMAND", required=True)
    u = d.add_parser("upgrade", parents=[common], help="migrate the database to the latest schema")
    u.set_defaults(func=cmd_db_upgrade)

    s = sub.add_parser("seed", parents=[common], help="add demo data")
    s.add_argument("--demo", action="store_true", help="the demo stores, associates and orders")
    s.add_argument("--orders", type=int, default=40, help="how many orders in all (default 40)")
    s.add_argument("--stores", type=int, default=1, help="how many demo stores (default 1)")
    s.set_defaults(func=cmd_seed)

    st = sub.add_parser("store", help="stores").add_subparsers(title="commands", metavar="COMMAND", required=True)
    a = st.add_parser("add", parents=[common], help="add a store")
    a.add_argument("--id", required=True, help="store code (the platform's pickup-location code)")
    a.add_argument("--name", required=True)
    a.add_argument("--timezone", default="UTC", help="IANA zone, e.g. America/Chicago")
    a.add_argument("--lead-time", type=int, default=120, help="pickup lead time in minutes (default 120)")
    a.add_argument("--hours", default="", help="opening hours, e.g. 'mon-fri 09:00-21:00, sat 10:00-18:00'")
    a.add_argument("--no-curbside", action="store_true", help="no curbside pickup")
    a.add_argument("--spots", default="", help="curbside parking spots, comma-separated")
    a.add_argument("--signature", action="store_true", help="require the customer's signature at hand-off")
    a.add_argument("--id-check", action="store_true", help="require an ID check at hand-off")
    a.add_argument("--no-rejection", action="store_true", help="customers may not reject items at hand-off")
    a.add_argument("--cleanup-days", type=int, default=7, help="uncollected orders expire after (default 7)")
    a.add_argument("--weight-tolerance", type=int, default=10, metavar="PCT",
                   help="weighed items: scale labels may add up to the amount ordered +- PCT%% (default 10)")
    a.set_defaults(func=cmd_store_add)

    a = st.add_parser("set-weight-tolerance", parents=[common], help="set a store's tolerance for weighed items")
    a.add_argument("id", help="store code")
    a.add_argument("pct", type=int, help="percent, 0 to 50")
    a.set_defaults(func=cmd_store_tolerance)

    a = st.add_parser("list", parents=[common], help="list the stores and their settings")
    a.set_defaults(func=cmd_store_list)

    us = sub.add_parser("user", help="associates").add_subparsers(title="commands", metavar="COMMAND", required=True)
    a = us.add_parser("add", parents=[common], help="add an associate")
    a.add_argument("--username", required=True)
    a.add_argument("--name", help="display name")
    a.add_argument("--role", required=True, choices=list(ROLES))
    a.add_argument("--stores", required=True, help="store codes, comma-separated")
    a.add_argument("--pin", help="PIN or password ('-' reads it from standard input; omitted: asked)")
    a.add_argument("--badge", help="badge code the associate can scan to log in")
    a.add_argument("--active-from", type=_date, help="YYYY-MM-DD")
    a.add_argument("--active-to", type=_date, help="YYYY-MM-DD")
    a.set_defaults(func=cmd_user_add)
    a = us.add_parser("set-pin", parents=[common],
                      help="give a local associate a new PIN or password (not one managed in the platform)")
    a.add_argument("username")
    a.add_argument("--pin", help="PIN or password ('-' reads it from standard input; omitted: asked)")
    a.set_defaults(func=cmd_user_set_pin)
    a = us.add_parser("unlock", parents=[common], help="clear a lock-out after failed logins")
    a.add_argument("username")
    a.set_defaults(func=cmd_user_unlock)

    a = us.add_parser("list", parents=[common], help="list the associates")
    a.add_argument("--store", dest="only_store", default="", help="only those of this store")
    a.set_defaults(func=cmd_user_list)

    k = sub.add_parser("key", help="integration keys").add_subparsers(title="commands", metavar="COMMAND", required=True)
    a = k.add_parser("add", parents=[common], help="create a key for the commerce platform (printed once)")
    a.add_argument("name")
    a.set_defaults(func=cmd_key_add)

    pl = sub.add_parser("platform", help="the commerce platform: its credentials (it calls us) and what we send it"
                        ).add_subparsers(title="commands", metavar="COMMAND", required=True)
    a = pl.add_parser("add", parents=[common], help="create a consumer id and secret (the secret is printed once)")
    a.add_argument("name")
    a.add_argument("--merchant-id", default="", help="the platform's merchant (tenant) id this client acts for")
    a.set_defaults(func=cmd_platform_add)
    a = pl.add_parser("revoke", parents=[common], help="revoke a client: its secret and tokens stop working")
    a.add_argument("name")
    a.set_defaults(func=cmd_platform_revoke)
    a = pl.add_parser("list", parents=[common], help="list the platform clients")
    a.set_defaults(func=cmd_platform_list)

    e = sub.add_parser("expire", parents=[common], help="expire staged orders past the clean-up window")
    e.set_defaults(func=cmd_expire)

    a = pl.add_parser("deliver", parents=[common],
                      help="send the outbox to the platform (STOREASSIST_PLATFORM_URL, STOREASSIST_PLATFORM_TOKEN)")
    a.add_argument("--once", action="store_true", help="send what is due, then exit (cron, tests)")
    a.set_defaults(func=cmd_platform_deliver)
    a = pl.add_parser("status", parents=[common], help="lag, recent failures and dead letters")
    a.set_defaults(func=cmd_platform_status)
    a = pl.add_parser("retry", parents=[common], help="send dead-lettered calls again")
    a.add_argument("event_id", nargs="?", default="", metavar="EVENT_ID", help="the event id (or outbox id)")
    a.add_argument("--all", action="store_true", help="every dead letter")
    a.set_defaults(func=cmd_platform_retry)
    return p


def _one_line(exc: BaseException) -> str:
    from storeassist_tui.store.errors import DomainError

    if isinstance(exc, DomainError):
        return exc.message
    from pydantic import ValidationError

    if isinstance(exc, ValidationError) and exc.errors():
        # Settings from flags, STOREASSIST_* variables or the TOML file: name the setting.
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or exc.title
        return f"setting {where}: {err['msg'].removeprefix('Value error, ')}"
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    try:
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            orig = getattr(exc, "orig", None)
            detail = str(orig or exc).strip().splitlines()
            return f"database: {detail[0] if detail else type(exc).__name__}"
    except ImportError:  # pragma: no cover
        pass
    return first


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001  (every failure is one line, never a traceback)
        print(f"storeassist: error: {_one_line(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
