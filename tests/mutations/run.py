"""The mutation check: break one rule at a time, in a throw-away copy of the tree, and see the
tests meant to guard it fail.

For each entry of mutations.toml: copy the repository to a temporary directory, replace the
entry's exact `original` text (it must occur exactly once, so a refactor that moves or duplicates
the code is noticed instead of silently testing nothing), run the entry's pytest selection there
with the copy first on PYTHONPATH, and report

    KILLED    the selection failed: the tests notice the rule is gone
    SURVIVED  the selection passed: nothing would have noticed this regression
    ERROR     the mutation did not apply, pytest could not run the selection, or imports did not
              resolve into the copy
    SKIPPED   the entry needs PostgreSQL and STOREASSIST_TEST_DATABASE_URL is not set

Exit status 0 only when every entry that ran was KILLED. The working tree is never modified.

Usage: python -m tests.mutations [--list] [--no-baseline] [--catalogue FILE] [-v] [NAME ...]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = Path(__file__).with_name("mutations.toml")
PG_ENV = "STOREASSIST_TEST_DATABASE_URL"
COPY_ENV = "STOREASSIST_MUTATION_COPY"  # read by guard.py inside the test process
# Never copied: caches, virtual environments, build output, local databases.
_IGNORE = shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", ".venv", "venv*", ".pytest_cache",
                                 ".ruff_cache", ".hypothesis", "build", "node_modules", "*.db", "*.db-wal",
                                 "*.db-shm")


class MutationError(Exception):
    """A mutation that cannot be applied as written."""


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str  # relative to the repository root
    original: str
    replacement: str
    tests: list[str]  # pytest arguments (node ids or files) that must fail once mutated
    needs_postgresql: bool = False
    why: str = ""  # the rule the mutation removes, for the report
    timeout_s: float = 300.0


@dataclass
class Outcome:
    mutation: Mutation
    verdict: str  # KILLED | SURVIVED | ERROR | SKIPPED
    detail: str = ""
    seconds: float = 0.0
    output: list[str] = field(default_factory=list)


def apply(text: str, original: str, replacement: str) -> str:
    """`text` with `original` replaced; refused unless `original` occurs exactly once, so an edit
    that moves, changes or duplicates the guarded code is reported instead of mutating nothing
    (or the wrong copy)."""
    if not original:
        raise MutationError("the original text is empty")
    if original == replacement:
        raise MutationError("the replacement is the original: nothing would change")
    count = text.count(original)
    if count != 1:
        where = "not found" if count == 0 else f"found {count} times"
        raise MutationError(f"original text {where}; it must occur exactly once")
    return text.replace(original, replacement, 1)


def load(path: Path = CATALOGUE) -> list[Mutation]:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    known = set(Mutation.__dataclass_fields__)
    out: list[Mutation] = []
    for entry in raw.get("mutation", []):
        unknown = set(entry) - known
        if unknown:  # a misspelt key (e.g. needs_pg) must not be silently ignored
            raise MutationError(f"{entry.get('name', '?')}: unknown keys {sorted(unknown)}")
        m = Mutation(**entry)
        if not m.tests:
            raise MutationError(f"{m.name}: no tests named to kill it")
        out.append(m)
    names = [m.name for m in out]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise MutationError(f"duplicate mutation names: {sorted(dupes)}")
    return out


def mutated_source(root: Path, m: Mutation) -> str:
    """The mutated text of the entry's file under `root` (raises MutationError)."""
    path = root / m.file
    if not path.is_file():
        raise MutationError(f"{m.file}: no such file")
    try:
        return apply(path.read_text(encoding="utf-8"), m.original, m.replacement)
    except MutationError as err:
        raise MutationError(f"{m.file}: {err}") from None


def _env(copy: Path, m: Mutation) -> dict[str, str]:
    env = dict(os.environ)
    # The copy first, so it shadows the editable install of the real tree.
    env["PYTHONPATH"] = os.pathsep.join([str(copy), str(copy / "tests"), *filter(None, [env.get("PYTHONPATH")])])
    env[COPY_ENV] = str(copy.resolve())  # the guard plugin checks every import against it
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no cache written next to sources that differ from it
    if not m.needs_postgresql:
        env.pop(PG_ENV, None)  # SQLite: quicker, and the entry says the rule is visible there
    return env


def copy_tree(dest: Path, root: Path = ROOT) -> Path:
    target = dest / "tree"
    shutil.copytree(root, target, ignore=_IGNORE, symlinks=True)
    return target


def _pytest(copy: Path, tests: list[str], env: dict[str, str], timeout: float) -> tuple[int, list[str]]:
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "mutations.guard", *tests]
    try:
        done = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as err:
        out = err.stdout.decode() if isinstance(err.stdout, bytes) else (err.stdout or "")
        return -1, out.splitlines()
    return done.returncode, (done.stdout + done.stderr).splitlines()


def run_one(m: Mutation, has_pg: bool) -> Outcome:
    if m.needs_postgresql and not has_pg:
        return Outcome(m, "SKIPPED", f"needs PostgreSQL: set {PG_ENV}")
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="storeassist-mut-") as tmp:
        try:
            copy = copy_tree(Path(tmp))
            (copy / m.file).write_text(mutated_source(copy, m), encoding="utf-8")
            env = _env(copy, m)
        except (MutationError, OSError) as err:
            return Outcome(m, "ERROR", str(err), time.monotonic() - start)
        code, lines = _pytest(copy, m.tests, env, m.timeout_s)
    seconds = time.monotonic() - start
    failed = [ln.split(" - ")[0].removeprefix("FAILED ") for ln in lines if ln.startswith("FAILED ")]
    if code == 1:
        return Outcome(m, "KILLED", f"by {failed[0]}" if failed else "", seconds, lines)
    if code == 0:
        return Outcome(m, "SURVIVED", "the selection passed with the rule removed", seconds, lines)
    if code == -1:
        return Outcome(m, "ERROR", f"timed out after {m.timeout_s:.0f} s", seconds, lines)
    # 2: collection error or interrupted; 4: bad selection or the guard refused; 5: nothing collected.
    return Outcome(m, "ERROR", f"pytest exit code {code}: the selection could not run", seconds, lines)


def baseline(mutations: list[Mutation], has_pg: bool) -> Outcome | None:
    """The selections pass on the unmutated copy (SQLite and, where needed, PostgreSQL): a test
    that fails anyway would "kill" every mutation and prove nothing. None when they pass."""
    for pg in (False, True):
        chosen = [m for m in mutations if m.needs_postgresql == pg and (has_pg or not pg)]
        tests = sorted({t for m in chosen for t in m.tests})
        if not tests:
            continue
        probe = Mutation(name=f"baseline ({'postgresql' if pg else 'sqlite'})", file="", original="x",
                         replacement="y", tests=tests, needs_postgresql=pg)
        start = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="storeassist-mut-") as tmp:
            copy = copy_tree(Path(tmp))
            code, lines = _pytest(copy, tests, _env(copy, probe), 600.0)
        if code != 0:
            return Outcome(probe, "ERROR", f"the unmutated selection fails (pytest exit {code})",
                           time.monotonic() - start, lines)
        print(f"baseline  {probe.name}: {len(tests)} selections pass ({time.monotonic() - start:.1f} s)", flush=True)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutations", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="run only these mutations (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--no-baseline", action="store_true", help="skip running the selections unmutated first")
    parser.add_argument("--catalogue", type=Path, default=CATALOGUE, help="the TOML file of mutations")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest's output for every mutation")
    args = parser.parse_args(argv)
    try:
        mutations = load(args.catalogue)
    except (MutationError, tomllib.TOMLDecodeError, TypeError) as err:
        print(f"mutations.toml: {err}", file=sys.stderr)
        return 2
    if args.names:
        unknown = sorted(set(args.names) - {m.name for m in mutations})
        if unknown:
            print(f"unknown mutations: {unknown}", file=sys.stderr)
            return 2
        mutations = [m for m in mutations if m.name in args.names]
    if args.list:
        for m in mutations:
            print(f"{m.name:40} {m.file}{'  [postgresql]' if m.needs_postgresql else ''}\n    {m.why}")
        return 0
    # Every entry must apply to the tree as it is before anything runs: fail fast and loudly.
    broken = []
    for m in mutations:
        try:
            mutated_source(ROOT, m)
        except MutationError as err:
            broken.append(Outcome(m, "ERROR", str(err)))
    has_pg = bool(os.environ.get(PG_ENV))
    start = time.monotonic()
    if not broken and not args.no_baseline:
        failed = baseline(mutations, has_pg)
        if failed is not None:
            print("\n".join(failed.output[-40:]))
            print(f"ERROR     {failed.mutation.name}: {failed.detail}")
            return 1
    outcomes = broken or [_report(run_one(m, has_pg), args.verbose) for m in mutations]
    if broken:
        for o in broken:
            _report(o, args.verbose)
    counts = {v: sum(o.verdict == v for o in outcomes) for v in ("KILLED", "SURVIVED", "ERROR", "SKIPPED")}
    print(f"\n{len(outcomes)} mutations: " + ", ".join(f"{n} {v.lower()}" for v, n in counts.items() if n)
          + f" ({time.monotonic() - start:.0f} s)")
    return 0 if counts["SURVIVED"] == counts["ERROR"] == 0 else 1


def _report(o: Outcome, verbose: bool) -> Outcome:
    print(f"{o.verdict:9} {o.mutation.name}  ({o.seconds:.1f} s)  {o.detail}", flush=True)
    if (o.verdict in ("SURVIVED", "ERROR") and o.output) or verbose:
        tail = o.output if verbose else o.output[-25:]
        print(re.sub(r"^", "    | ", "\n".join(tail), flags=re.M))
    return o


if __name__ == "__main__":  # also runnable as `python tests/mutations/run.py`
    sys.exit(main())
