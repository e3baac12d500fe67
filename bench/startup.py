"""Start-up and memory: time to the login screen and peak RSS, for a bare Textual app and for the
terminal app in client mode, embedded on an existing database and embedded on a first run.

Each start is a new process in a real pty (80x24, TERM=xterm-256color), started the way the
`storeassist` command starts it. Times are taken from outside: from just before the process is
started to the moment its output, escape sequences removed, shows the login screen's title
("Log in"; the bare app: its Input's placeholder). The badge B-1001 is then typed at once, as a
scanner would (with --login pin: the user name and PIN), and the time to home ("1 Pick") is taken
the same way: whatever the app leaves until after its first screen shows is counted there. The
app then idles until its output is quiet and quits with Ctrl+Q. Peak RSS is the kernel's
high-water mark of the process over the whole run (the `ru_maxrss` os.wait4 reports). The bare
app is a minimal `App` with one `Input`, started the same way by the same interpreter; it quits at
its first screen.

Client mode talks to a `storeassist serve` (SQLite, the demo store) that the bench starts first,
outside the timing. "Embedded, existing" is the default embedded database, already created and
migrated by an earlier run; "embedded, first run" starts in an empty data directory (creates,
migrates and seeds the demo database). Every kind is started once untimed first: that run makes
the embedded database and writes the bytecode, to a cache of the bench's own
(PYTHONPYCACHEPREFIX), as an installed package has its bytecode (a source tree under
PYTHONDONTWRITEBYTECODE would be compiled at every start). Runs go round-robin over the kinds, so
load from other processes falls on all of them alike; ratios are of medians against the bare
app's, measured in the same run.

    python bench/startup.py [--runs 5] [--before DIR] [--src DIR] [--skip client,existing,first]
                            [--login badge|pin]

--before DIR also runs the package found in DIR (e.g. `git archive main | tar -x -C DIR`), in the
same rounds against the same bare app: before and after in one run. --src runs the package in
DIR instead of the installed one. (The client mode's server always runs the installed package.)
"""

from __future__ import annotations

import argparse
import fcntl
import os
import platform
import pty
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

COLS, ROWS = 80, 24
LOGIN_NEEDLE = "Log in"  # the login screen's title bar, "Store Assist - Log in"
HOME_NEEDLE = "1 Pick"  # home's first module row
SKIP = {"client": "client", "existing": "embedded, existing", "first": "embedded, first"}
LOGINS = {"badge": b"B-1001\r", "pin": b"pat\r1111\r"}  # a demo associate (store/demo.py)
BARE_NEEDLE = "bare-app-ready"

BARE_APP = f"""
from textual.app import App, ComposeResult
from textual.widgets import Input

class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Input(placeholder={BARE_NEEDLE!r})

Bare().run(mouse=False)
"""

# The console script `storeassist` (pyproject's [project.scripts]), as a -c so --src applies.
APP = "import sys; from storeassist_tui.cli import main; sys.exit(main())"

# Escape sequences (CSI, OSC, DCS/APC/PM/SOS strings, two-byte ESC x): removed before matching.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_].*?\x1b\\|\x1b[@-Z\\-_=>()#][0-9A-Za-z]?"
)


def screen_text(raw: bytes) -> str:
    return _ESCAPES.sub("", raw.decode("utf-8", "replace"))


@dataclass
class Run:
    shown_s: float  # start -> the login screen in the output
    home_s: float  # start -> home, the badge scanned as soon as the login screen showed (0: no login)
    rss_peak_mb: float  # the process's peak RSS over the whole run


@dataclass
class Kind:
    name: str
    argv: list[str]
    env: dict[str, str]
    needle: str
    logs_in: bool
    before_each: Callable[[], None] = lambda: None
    runs: list[Run] = field(default_factory=list)


class PtyChild:
    """A process on the slave side of a new pty; its output read (and kept) as it comes."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.master = master
        self.out = b""
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                                     start_new_session=True, close_fds=True)
        os.close(slave)

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the pty
            chunk = b""
        if not chunk:
            raise RuntimeError(f"the process ended early; its output:\n{screen_text(self.out)[-2000:]}")
        self.out += chunk
        return True

    def wait_for(self, needle: str, timeout: float = 60.0) -> float:
        """Seconds from the start to the first output that shows `needle`."""
        deadline = time.perf_counter() + timeout
        while needle not in screen_text(self.out):
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{needle!r} not shown in {timeout} s; the screen:\n{screen_text(self.out)[-2000:]}")
            self._read(0.5)
        return time.perf_counter() - self.started

    def quiet(self, for_s: float = 0.5, timeout: float = 15.0) -> None:
        """Until nothing was written for `for_s` (the app idles: demo users shown, polls settled)."""
        deadline = time.perf_counter() + timeout
        while self._read(for_s) and time.perf_counter() < deadline:
            pass

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def finish(self, timeout: float = 20.0) -> int:
        """Ctrl+Q, then the process's peak RSS (kB) from the kernel when it exits."""
        self.send(b"\x11")
        deadline = time.perf_counter() + timeout
        while True:
            pid, _status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.proc.returncode = 0  # reaped here, for the rusage
                break
            if time.perf_counter() > deadline:
                self.proc.kill()
                raise TimeoutError("the app did not quit on Ctrl+Q")
            try:
                self._read(0.05)
            except RuntimeError:  # the pty closed: the process is ending
                time.sleep(0.01)
        os.close(self.master)
        return int(usage.ru_maxrss)


def measure(kind: Kind, cwd: Path, login: bytes = LOGINS["badge"]) -> Run:
    """One start of `kind`. `cwd`: anywhere but a source tree, which `python -c` would put first
    on sys.path (ahead of --src)."""
    kind.before_each()
    child = PtyChild(kind.argv, kind.env, cwd)
    try:
        shown = child.wait_for(kind.needle)
        home = 0.0
        if kind.logs_in:
            # As an associate who scans the badge the moment the form is there: whatever the app
            # left to do after drawing the login screen (the embedded backend) counts here.
            child.send(login)
            home = child.wait_for(HOME_NEEDLE)
        child.quiet()
        peak = child.finish()
    except BaseException:
        if child.proc.returncode is None:
            child.proc.kill()
            child.proc.wait()
        raise
    return Run(shown, home, peak / 1024)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("storeassist serve ended early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)  # polling a port another process opens
    raise TimeoutError("storeassist serve did not listen")


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def report(kinds: list[Kind]) -> None:
    bare = kinds[0]
    base_t = _median([r.shown_s for r in bare.runs])
    base_rss = _median([r.rss_peak_mb for r in bare.runs])
    print(f"\n{'':32}{'start -> login screen (s)':>30}{'start -> home (s)':>22}{'peak RSS (MB)':>28}")
    print(f"{'':32}{'median  min-max    x bare':>30}{'median  min-max':>22}{'median  min-max    x bare':>28}")
    for k in kinds:
        t = [r.shown_s for r in k.runs]
        h = [r.home_s for r in k.runs]
        p = [r.rss_peak_mb for r in k.runs]
        home = f"{_median(h):>7.2f}  {min(h):.2f}-{max(h):.2f}" if k.logs_in else f"{'-':>7}"
        print(f"{k.name:32}"
              f"{_median(t):>8.2f}  {min(t):.2f}-{max(t):.2f}  {_median(t) / base_t:5.1f}x"
              f"{home:<22}"
              f"{_median(p):>9.0f}  {min(p):>3.0f}-{max(p):<3.0f}   {_median(p) / base_rss:5.1f}x")
    print("\nhome: logged in (badge, or --login pin) the moment the login screen shows. peak RSS: the whole run "
          "(the bare app quits at its first screen; the others log in and reach home first).")
    print("each run, s to the login screen:",
          "; ".join(f"{k.name} " + " ".join(f"{r.shown_s:.2f}" for r in k.runs) for k in kinds))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", type=Path, help="run the storeassist_tui package found in this directory")
    parser.add_argument("--before", type=Path,
                        help="also run the package found in this directory, in the same rounds (rows 'before: ...')")
    parser.add_argument("--skip", default="", help="kinds to leave out, comma-separated: client,existing,first")
    parser.add_argument("--login", choices=sorted(LOGINS), default="badge",
                        help="badge (default) or user name and PIN (its hash check costs the PIN hasher's memory)")
    args = parser.parse_args()
    python = sys.executable
    exe = Path(python).with_name("storeassist")
    tmp = Path(tempfile.mkdtemp(prefix="startup-bench-"))
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("STOREASSIST_", "TEXTUAL", "XDG_")) and k not in (
                    "COLUMNS", "LINES", "PYTHONDONTWRITEBYTECODE")}
    # Bytecode as an installed package has it (pip compiles it at install): written to a cache of
    # the bench's own by the untimed first start of each kind, read by the timed ones.
    base_env.update(TERM="xterm-256color", LANG="C.UTF-8", STOREASSIST_CONFIG=str(tmp / "none.toml"),
                    XDG_STATE_HOME=str(tmp / "state"), XDG_CONFIG_HOME=str(tmp / "config"),
                    PYTHONPYCACHEPREFIX=str(tmp / "pycache"))

    def env(data: str, **more: str) -> dict[str, str]:
        return {**base_env, "XDG_DATA_HOME": str(tmp / data), **more}

    # The backend for client mode: a real server on a seeded SQLite file, started once, untimed.
    server_db = f"sqlite:///{tmp / 'server.db'}"
    boot = [python, "-c", APP]
    subprocess.run([*boot, "seed", "--demo", "--database-url", server_db], env=env("server"), cwd=tmp, check=True,
                   stdout=subprocess.DEVNULL)
    port = _free_port()
    server = subprocess.Popen([*boot, "serve", "--port", str(port), "--database-url", server_db], cwd=tmp,
                              env=env("server"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, server)
        kinds = [Kind("bare Textual app", [python, "-c", BARE_APP], env("bare"), BARE_NEEDLE, logs_in=False)]
        trees = [("", args.src)] + ([("before: ", args.before)] if args.before else [])
        for label, src in trees:
            more = {"PYTHONPATH": str(src.resolve())} if src else {}
            first_data = tmp / f"{label}first"
            kinds += [
                Kind(f"{label}client (--backend URL)", [*boot, "--backend", f"http://127.0.0.1:{port}"],
                     env(f"{label}client", **more), LOGIN_NEEDLE, logs_in=True),
                Kind(f"{label}embedded, existing db", boot, env(f"{label}embedded", **more), LOGIN_NEEDLE, logs_in=True),
                Kind(f"{label}embedded, first run", boot, env(f"{label}first", **more), LOGIN_NEEDLE, logs_in=True,
                     before_each=partial(shutil.rmtree, first_data, ignore_errors=True)),
            ]
        skipped = tuple(SKIP[s] for s in args.skip.split(",") if s)
        kinds = [k for k in kinds if not k.name.removeprefix("before: ").startswith(skipped)]
        # Untimed: creates the embedded database, writes the bytecode, warms the file cache.
        for k in kinds:
            measure(k, tmp)
        for _ in range(args.runs):
            for k in kinds:
                k.runs.append(measure(k, tmp, LOGINS[args.login]))
                r = k.runs[-1]
                print(f"  {k.name:32} login screen {r.shown_s:5.2f} s  home {r.home_s:5.2f} s  "
                      f"peak {r.rss_peak_mb:4.0f} MB", flush=True)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    import textual  # only for the report: the children import their own

    print(f"\nmachine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"Textual {textual.__version__}, {platform.platform()}; load {os.getloadavg()[0]:.2f}; "
          f"package from {args.src or 'the installed tree'}" + (f", before: from {args.before}" if args.before else "")
          + f"; {exe.name} started as `python -c`; {args.runs} runs each; "
          f"log in by {args.login}")
    report(kinds)


if __name__ == "__main__":
    main()
