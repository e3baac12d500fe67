"""The pick walk: one order or a batch, line by line in aisle order, each unit scanned.

Keys: scan (or type) an item code: counts one unit of that line (a code of another line of the
walk moves there and counts it); F1 quantity: the next scan counts several units; F2 not found
(all or part of what is left; Enter = all, or type how many); F3 skip to the next line (it comes
back at the end); F4 finish; Up/Down choose a line; Esc back to the queue (the pick stays yours:
opening it again resumes where it was).

Nothing is shown as counted before the backend committed it. When the backend cannot be reached
the screen says so and retries the same request (same request id: never counted twice); scans
made meanwhile wait their turn, in order.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.geometry import Region
from textual.widget import Widget

from storeassist_tui import weights
from storeassist_tui.barcodes import is_item_code
from storeassist_tui.client import (
    SCAN_PATH,
    BackendError,
    BackendUnavailable,
    Line,
    OrderDetail,
    ScanResult,
    new_request_id,
    scan_body,
    scan_item,
)
from storeassist_tui.order_status import OrderStatus
from storeassist_tui.scanning import Entry
from storeassist_tui.screens import StoreScreen, bottom_bars, screen_css
from storeassist_tui.screens.pick_done import PickDoneScreen
from storeassist_tui.screens.pick_modes import (
    QUESTIONS,
    Event,
    Mode,
    Progress,
    amount_ok,
    handles,
    is_amount,
    next_mode,
)
from storeassist_tui.screens.pick_text import (
    detail_forms,
    done_of,
    money,
    scroll_mark,
    scroll_top,
    tote_label,
    walk_row,
)
from storeassist_tui.widgets import AsciiProgress, FormLines, Hint, KeyBar, Quote, ScanField, TitleBar, clip
from storeassist_tui.widgets.bars import REVERSE

log = logging.getLogger(__name__)

HINTS = [
    Hint("F1", "Qty", "F1", "Qty"),
    Hint("F2", "Not found", "F2", "Not fnd", "NF"),
    Hint("F3", "Skip", "F3", "Skip"),
    Hint("F4", "Finish", "F4", "Finish", "Fin"),
    Hint("Esc", "Back", "Esc", "Back"),
]
PROMPT_HINTS = [Hint("Enter", "OK", "Ent", "OK"), Hint("Esc", "Cancel", "Esc", "Cancel", "No")]
FINISH_HINTS = [Hint("F4", "Yes, close it", "F4", "Yes"), Hint("Esc", "No", "Esc", "No")]
WalkKey = tuple[int, int]  # (order id, line id)
REFRESH_TIMEOUT_S = 2.0


def walk_order(orders: list[OrderDetail]) -> list[WalkKey]:
    """All lines of the walk in one path through the store: the backend sends each order's lines
    in walking order (aisle, else the store's department sequence); a batch's orders are merged
    on the same keys so each aisle is visited once."""
    totes = {o.id: i for i, o in enumerate(orders)}
    rows = [(o, ln) for o in orders for ln in o.lines]
    rows.sort(key=lambda r: (r[1].aisle == "", r[1].aisle, r[1].dept_seq, r[1].department, totes[r[0].id],
                             r[1].line_nbr))
    return [(o.id, ln.id) for o, ln in rows]


class WalkLines(Widget):
    """The lines of the walk; the current one in reverse video."""

    DEFAULT_CSS = """
    WalkLines { height: 1fr; width: 1fr; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, walk: PickWalkScreen, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.walk = walk
        self.top = 0
        self._drawn: list[tuple[str, bool]] = []  # the rows as last drawn: text, is the cursor's

    def _rows(self) -> list[tuple[str, bool]]:
        width, height = self.size
        keys, cursor = self.walk.keys, self.walk.cursor
        if height <= 0:
            return []
        self.top = scroll_top(self.top, cursor, len(keys), height)
        rows: list[tuple[str, bool]] = []
        for row, key in enumerate(keys[self.top:self.top + height]):
            i = self.top + row
            line = self.walk.line(key)
            mark = ">" if i == cursor else (scroll_mark(row, self.top, len(keys), height) or " ")
            s = mark + walk_row(line, self.walk.tote(key[0]), width - 1, key in self.walk.skipped)
            rows.append((s[:width].ljust(width) if i == cursor else s[:width], i == cursor))
        return rows

    def show_changes(self) -> None:
        """Repaint only the rows that changed (a scan changes one or two): the rest of the list is
        not sent to the terminal again."""
        rows = self._rows()
        if len(rows) != len(self._drawn):
            self.refresh()
            return
        width = self.size.width
        changed = [Region(0, y, width, 1) for y, (was, now) in enumerate(zip(self._drawn, rows, strict=True))
                   if was != now]
        if changed:
            self.refresh(*changed)

    def render(self) -> Text:
        self._drawn = rows = self._rows()
        text = Text(no_wrap=True, overflow="crop", end="")
        for y, (row, cursor) in enumerate(rows):
            if y:
                text.append("\n")
            text.append(row, REVERSE if cursor else None)
        return text


class PickWalkScreen(StoreScreen):
    """Scan the items of one order or a batch (keys: module docstring)."""

    TAKES_SCANS = True

    CSS_PATH = screen_css(__file__)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("f1", "quantity", show=False),
        Binding("f2", "not_found", show=False),
        Binding("f3", "skip", show=False),
        Binding("f4", "finish", show=False),
        Binding("enter", "enter", show=False),
        Binding("escape", "back", show=False),
    ]

    def __init__(self, orders: list[OrderDetail], *, taken_over: bool = False) -> None:
        super().__init__()
        self.taken_over = taken_over
        # Totes follow the orders' ids, not the order they were marked or listed in: a batch
        # resumed on any terminal gives every order the same tote letter again.
        orders = sorted(orders, key=lambda o: o.id)
        self.orders: dict[int, OrderDetail] = {o.id: o for o in orders}
        self.order_ids = [o.id for o in orders]
        self.keys = walk_order(orders)
        self.skipped: set[WalkKey] = set()
        self.resume_at: WalkKey | None = None  # from the timelines (load_history)
        self.cursor = 0
        self.mode = Mode.SCAN  # what keys, typed numbers and scans mean now (pick_modes)
        self.multiplier = 1  # units the next scan counts: more than 1 only in ARMED (set by `_go`)

    # State ------------------------------------------------------------------------------------
    @property
    def is_batch(self) -> bool:
        return len(self.order_ids) > 1

    def tote(self, order_id: int) -> str:
        return tote_label(self.order_ids.index(order_id)) if self.is_batch else ""

    def line(self, key: WalkKey) -> Line:
        order = self.orders[key[0]]
        return next(ln for ln in order.lines if ln.id == key[1])

    @property
    def current(self) -> WalkKey | None:
        return self.keys[self.cursor] if self.keys else None

    @property
    def units(self) -> tuple[int, int]:
        """(resolved, ordered) units of the whole walk."""
        lines = [ln for o in self.orders.values() for ln in o.lines]
        return sum(ln.picked + ln.not_found for ln in lines), sum(ln.quantity for ln in lines)

    def _first_open(self, start: int) -> int | None:
        """The next line with units left at or after `start` (wrapping), lines skipped last."""
        n = len(self.keys)
        order = [(start + k) % n for k in range(n)]
        fresh = [i for i in order if self.line(self.keys[i]).pending and self.keys[i] not in self.skipped]
        later = [i for i in order if self.line(self.keys[i]).pending]
        return next(iter(fresh or later), None)

    async def load_history(self) -> None:
        """Where the walk was left, from the orders' timelines (another terminal, or before a
        dropped session): lines skipped and not touched since come last again, and the cursor
        goes to the line worked on last. Best effort: without it the walk starts at the first
        open line."""
        last: tuple[object, WalkKey] | None = None
        try:
            for oid in self.order_ids:
                by_nbr = {ln.line_nbr: ln.id for ln in self.orders[oid].lines}
                for e in await self.store_app.client.timeline(oid):
                    nbr = e.detail.get("line")
                    if e.action not in ("picked", "not_found", "skipped") or nbr not in by_nbr:
                        continue
                    key = (oid, by_nbr[nbr])
                    if e.action == "skipped":
                        self.skipped.add(key)
                    else:
                        self.skipped.discard(key)
                    if last is None or e.at >= last[0]:  # type: ignore[operator]
                        last = (e.at, key)
        except (BackendUnavailable, BackendError) as exc:  # the history only places the cursor
            log.warning("walk history: %r", exc)
            return
        except Exception:  # nor does a bug in reading it keep the walk from opening
            log.exception("walk history")
            return
        if last is not None and last[1] in self.keys:
            self.resume_at = last[1]

    # Layout -------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield TitleBar(*self._title())
        with Vertical(id="body"):
            yield AsciiProgress(id="progress")
            yield WalkLines(self, id="lines", classes="flex")
            yield FormLines(bold_first=True, id="detail", classes="flex")
        yield bottom_bars(HINTS, ScanField("Scan item or type SKU:", "Scan item:", "Item:", id="scan"))

    def _title(self) -> tuple[list[str], list[str]]:
        if self.is_batch:
            numbers = ", ".join(f"{self.tote(i)} {self.orders[i].number}" for i in self.order_ids)
            n = len(self.order_ids)
            return [f"Batch of {n}: {numbers}", f"Batch of {n} orders", f"Batch of {n}"], [""]
        o = self.orders[self.order_ids[0]]
        return [f"Pick {o.number} - {o.customer_name}", f"Pick {o.number}", o.number], [""]

    def on_mount(self) -> None:
        where = self.resume_at
        if where in self.keys and self.line(where).pending and where not in self.skipped:
            self.cursor = self.keys.index(where)
        elif where in self.keys:
            self.cursor = self._first_open(self.keys.index(where)) or 0
        else:
            self.cursor = self._first_open(0) or 0
        self._refresh_all()
        done, total = self.units
        if self.taken_over:
            self.say(("Taken over: the pick is yours now", "Taken over", "Taken over"))
        elif done:
            self.say((f"Resumed: {done} of {total} units already done", f"Resumed: {done}/{total} done",
                      f"Resumed {done}/{total}"))

    def on_screen_resume(self) -> None:
        self.store_app.show_scan_buffer()

    def _refresh_all(self) -> None:
        """Show the walk's state; each widget repaints only what changed in it (a scan: the count,
        the line's row, the item detail), so a scan costs one small frame."""
        done, total = self.units
        self.query_one(AsciiProgress).set_progress(done, total)
        self.query_one(WalkLines).show_changes()
        key = self.current
        rows: list[list[str]] = []
        if key is not None:
            rows = detail_forms(self.line(key), self.orders[key[0]], self.tote(key[0]))
        self.query_one(FormLines).set_rows(rows)

    def _update_field(self) -> None:
        scan, mode = self.query_one(ScanField), self.mode
        if mode is Mode.QUANTITY:
            scan.set_labels("How many units (then scan one):", "How many:", "Qty:")
        elif mode is Mode.NOT_FOUND:
            scan.set_labels("Not found - how many (Enter = all):", "Not found, how many:", "NF qty:")
        elif mode is Mode.ARMED:
            scan.set_labels(f"Scan item (counts {self.multiplier}):", f"Scan (x{self.multiplier}):",
                            f"x{self.multiplier}:")
        else:
            scan.set_labels("Scan item or type SKU:", "Scan item:", "Item:")
        if mode is Mode.FINISH_CONFIRM:
            hints = FINISH_HINTS
        elif mode in QUESTIONS:
            hints = PROMPT_HINTS
        else:
            hints = HINTS
        self.query_one(KeyBar).set_hints(hints)

    def _go(self, event: Event, *, amount: int = 1, progress: Progress | None = None) -> Mode:
        """Move to the mode `event` leads to (`amount`: the count ARMED starts with); the scan
        field and the key bar follow, and a question goes with the mode that asked it."""
        before, multiplier = self.mode, self.multiplier
        self.mode = mode = next_mode(before, event, progress)
        if mode is not Mode.ARMED:
            self.multiplier = 1
        elif before is not Mode.ARMED:
            self.multiplier = amount
        if before in QUESTIONS and mode not in QUESTIONS and (bar := self.message_bar):
            bar.clear("prompt")
        if (mode, self.multiplier) != (before, multiplier):  # a scan in SCAN mode changes neither
            self._update_field()
        return mode

    # Keys ---------------------------------------------------------------------------------------
    def action_move(self, delta: int) -> None:
        if self.keys and handles(self.mode, Event.MOVE):
            self.cursor = max(0, min(self.cursor + delta, len(self.keys) - 1))
            self._go(Event.MOVE)
            self._refresh_all()

    def action_back(self) -> None:
        if not handles(self.mode, Event.BACK):
            return
        if self._go(Event.BACK) is Mode.LEFT:
            self.app.pop_screen()
        else:
            self.say("Cancelled")

    def action_quantity(self) -> None:
        key = self.current
        if key is None or not handles(self.mode, Event.QUANTITY):
            return
        pending = self.line(key).pending
        if pending < 2:
            self.fail("One unit or none left on this line: just scan it" if pending else "This line is done")
            return
        self._go(Event.QUANTITY)
        self.say((f"Type 2 to {pending}, Enter; then scan the item once", f"Type 2-{pending}, Enter, scan",
                  f"2-{pending}, Enter"))

    async def refresh_orders(self) -> None:
        """The walk's orders as the backend has them now: another terminal may have counted or
        marked lines meanwhile (best effort: offline, the walk goes on with what it has)."""
        client = self.store_app.client
        try:
            async with asyncio.timeout(REFRESH_TIMEOUT_S):  # a frozen backend never holds the key up
                fresh = [await client.order(oid) for oid in self.order_ids]
        except (BackendUnavailable, BackendError, TimeoutError):
            return
        changed = any(o.version != self.orders[o.id].version for o in fresh)
        for o in fresh:
            self.orders[o.id] = o
        if changed:
            key = self.current
            if key is not None and not self.line(key).pending and (nxt := self._first_open(self.cursor)) is not None:
                self.cursor = nxt
            self._refresh_all()

    async def action_not_found(self) -> None:
        if not handles(self.mode, Event.NOT_FOUND):
            return
        await self.refresh_orders()
        key = self.current
        if key is None:
            return
        line = self.line(key)
        if not line.pending:
            self.fail("Nothing left on this line")
            return
        self._go(Event.NOT_FOUND)
        what, p = clip(line.description, Quote.NAME), line.pending
        order = self.orders[key[0]]
        # The last units of an order the backend would close when finished (nothing picked): the
        # whole order is refunded then, not at staging.
        whole = order.closes_when_finished and sum(ln.pending for ln in order.lines) == p
        when = "when the pick is finished (nothing of the order found)" if whole else "at staging"
        short_when = "at finish" if whole else "at staging"
        if p == 1:
            forms = [f"Not found: 1 x {what}? Enter = yes, Esc = no. Refund issued {when}",
                     f"Not found: 1 x {what}? Enter = yes, Esc = no; refund {short_when}", "NF? Enter = yes"]
        else:
            forms = [f"Not found: {p} x {what}? Enter = all, or type 1-{p}. Refund issued {when}",
                     f"Not found: {what}? Enter = all {p}, or type 1-{p}; refund {short_when}",
                     f"NF: Enter=all {p}"]
        self.ask(forms)

    async def action_enter(self) -> None:
        """Enter with nothing typed: confirms a not-found of everything left; else nothing."""
        if self.mode is Mode.NOT_FOUND and (key := self.current) is not None:
            pending = self.line(key).pending
            self._go(Event.ENTER)
            await self._not_found(key, pending)
        elif self.mode is Mode.QUANTITY:
            self.fail("Type how many units, then Enter (Esc cancels)")
        else:
            self.say(("Scan an item, or type its SKU and Enter", "Scan an item", "Scan"))

    async def action_skip(self) -> None:
        key = self.current
        if key is None or not handles(self.mode, Event.SKIP):
            return
        self._go(Event.SKIP)
        await self._skip(key)

    async def action_finish(self) -> None:
        if not handles(self.mode, Event.FINISH):
            return
        await self.refresh_orders()
        await self._finish()

    # Entries (scans and typed codes), one at a time ---------------------------------------------
    async def handle_entry(self, entry: Entry) -> None:
        if entry.too_long:
            self.fail(f"Not an item code: {entry.too_long} characters")
            return
        text = entry.text.strip()
        if not text:
            self.fail("Nothing readable was scanned")
            return
        mode = self.mode
        if is_amount(mode, text):
            key = self.current
            if key is None:
                return
            n, pending = int(text), self.line(key).pending
            if not amount_ok(mode, n, pending):
                if mode is Mode.QUANTITY:
                    self.fail(f"Give 2 to {pending} units")
                else:
                    self.fail(f"Give 1 to {pending} units" if pending > 1 else "Only 1 left: Enter marks it not found")
                return
            self._go(Event.AMOUNT, amount=n)
            if mode is Mode.QUANTITY:
                self.say((f"Now scan the item once: it counts {n} units", f"Scan it once: counts {n} units",
                          f"Scan once: x{n}"))
            else:
                await self._not_found(key, n)
            return
        quantity = self.multiplier
        self._go(Event.SCAN)  # a scan instead of a number: the question is dropped, the scan counts
        await self._scan(text, entry.kind, entry.request_id, quantity)

    def held_request(self, entry: Entry) -> tuple[str, dict[str, Any], str] | None:
        text = entry.text.strip()
        if not text or entry.too_long:
            return None
        return SCAN_PATH, scan_body(self.order_ids, text, entry.kind), f"scan {clip(text, Quote.SCAN)}"

    async def _scan(self, code: str, kind: str, request_id: str = "", quantity: int = 1) -> None:
        key = self.current
        request_id = request_id or new_request_id()  # one id for every retry of this scan
        client = self.store_app.client
        try:
            result = await self.until_committed(
                lambda: client.scan(self.order_ids, code, entry=kind, quantity=quantity,
                                    line_id=key[1] if key else None, request_id=request_id),
                f"scan {clip(code, Quote.SCAN)}")
        except BackendError as exc:
            await self._refused(exc, code)
            return
        line = self._count(result)
        self._refresh_all()
        self._say_counted(result, line)

    def takes_together(self, entry: Entry) -> bool:
        """Plain scans with nothing asked (each counts one unit, alone or in a burst), while the
        backend answers."""
        app = self.store_app
        return (self.mode is Mode.SCAN and bool(self.keys) and not entry.too_long and bool(entry.text.strip())
                and app.client.scans_together and app.offline_since is None)

    async def handle_entries(self, entries: list[Entry]) -> list[Entry]:
        """Scans that waited their turn together (a wedge's burst) go to the backend in one request,
        each counted as it would have been alone, in order; the walk then shows where the last left
        it. The scans behind a refusal are handled after it, one by one; when the batch was not
        answered, all of them are (each keeps its request id: none is counted twice)."""
        key = self.current
        entries = [e if e.request_id else dataclasses.replace(e, request_id=new_request_id()) for e in entries]
        items = [scan_item(e.text.strip(), e.request_id, e.kind, line_id=key[1] if key else None) for e in entries]
        self._go(Event.SCAN)
        app = self.store_app
        try:
            batch = await app.inputs.answer_or_abandon(
                app.client.scan_many(self.order_ids, items), lambda: self._say_waiting(f"{len(items)} scans"),
                f"scan {clip(items[0]['code'], Quote.SCAN)}")
        except (BackendUnavailable, BackendError):
            return await super().handle_entries(entries)  # the first alone (it retries, or says why)
        for result in batch.results:
            line = self._count(result)
        if batch.results:
            self._refresh_all()
            self._say_counted(batch.results[-1], line)
        done, refused = len(batch.results), batch.refused
        if refused is None:
            return entries[done:]
        if refused.status == 503:  # the database was away a moment: that scan alone, retried
            return await super().handle_entries(entries[done:])
        await self._refused(BackendError(refused.status, refused.code, refused.message), items[done]["code"])
        return entries[done + 1:]

    async def _refused(self, exc: BackendError, code: str) -> None:
        if await self.leave_if_canceled(exc):
            return
        if exc.code in ("over_pick", "wrong_state"):
            await self.refresh_orders()  # done elsewhere meanwhile: show it as it is
        if exc.code == "unknown_code" and not is_item_code(code):
            self.fail([f"{exc.message}. An order number? Esc to the queue first", exc.message])
        else:
            self.fail(exc)

    def _count(self, result: ScanResult) -> Line:
        """The walk after a counted scan: the order as the backend has it now, the cursor on the
        line counted, or on the next open one once it is done. Returns the line counted."""
        self.orders[result.order_id] = result.order
        counted = (result.order_id, result.line_id)
        line = self.line(counted)
        if counted in self.keys:
            self.cursor = self.keys.index(counted)
        if not line.pending:
            self.skipped.discard(counted)
            nxt = self._first_open(self.cursor)
            if nxt is not None:
                self.cursor = nxt
        return line

    def _say_counted(self, result: ScanResult, line: Line) -> None:
        tote = self.tote(result.order_id)
        to = f" -> tote {tote}" if tote else ""
        if self.units[0] == self.units[1]:
            self.say([f"Counted {clip(line.description, Quote.LONG)}{to}. All units done: F4 to finish",
                      f"OK {clip(line.description, Quote.SHORT)}{to}. All done: F4", "All done: F4 finish", "Done: F4"])
            return
        how = " (typed)" if result.entry == "manual" else ""
        units = f"{result.counted} x " if result.counted > 1 else ""
        if result.weight_milli:
            units = f"{weights.shown(result.weight_milli, line.uom)} "
        self.say([f"Counted {units}{clip(line.description, Quote.LONG)}{to}{how}: {done_of(line)}",
                  f"OK {units}{clip(line.description, Quote.MID)}{to} {done_of(line)}",
                  f"OK {done_of(line)}{to}"])

    async def _not_found(self, key: WalkKey, quantity: int) -> None:
        line = self.line(key)
        request_id = new_request_id()
        client = self.store_app.client
        try:
            order = await self.until_committed(
                lambda: client.not_found(key[0], key[1], quantity, request_id=request_id), "not found")
        except BackendError as exc:
            if await self.leave_if_canceled(exc):
                return
            self.fail(exc)
            return
        before = {r.id for r in self.orders[order.id].refunds}
        self.orders[order.id] = order
        # The backend's amount: it caps refunds at what was paid (discounts, earlier refunds).
        refund = money(sum(r.amount_cents for r in order.refunds if r.id not in before))
        nxt = self._first_open(self.cursor)
        if nxt is not None:
            self.cursor = nxt
        self._refresh_all()
        self.say([f"{quantity} x {clip(line.description, Quote.NAME)} not found: refund {refund} at staging",
                  f"{quantity} not found, refund {refund} at staging", f"NF {quantity}: {refund}"])

    async def _skip(self, key: WalkKey) -> None:
        request_id = new_request_id()
        client = self.store_app.client
        try:
            order = await self.until_committed(lambda: client.skip(key[0], key[1], request_id=request_id), "skip")
        except BackendError as exc:
            if await self.leave_if_canceled(exc):
                return
            self.fail(exc)
            return
        self.orders[order.id] = order
        self.skipped.add(key)
        nxt = self._first_open((self.keys.index(key) + 1) % len(self.keys))
        if nxt is None or self.keys[nxt] == key:
            self.say("Skipped; no other line left, this one is next again")
        else:
            self.say(("Skipped: it comes back at the end", "Skipped: back at the end", "Skipped"))
        self.cursor = nxt if nxt is not None else self.cursor
        self._refresh_all()

    async def _finish(self) -> None:
        done, total = self.units
        empty = [self.orders[i].number for i in self.order_ids if self.orders[i].closes_when_finished]
        mode = self._go(Event.FINISH, progress=Progress(left=total - done, closes=bool(empty)))
        if mode is Mode.SCAN:
            left = total - done
            self.fail((f"{left} units left: scan them or mark them not found (F2)",
                       f"{left} left: scan or F2 not found", f"{left} left"))
            return
        if mode is Mode.FINISH_CONFIRM:
            what = empty[0] if len(empty) == 1 else f"{len(empty)} orders"
            self.ask((f"Nothing of {what} was found: finishing closes it and refunds the customer. "
                      "F4 again = yes, Esc = no", f"Nothing of {what} found: F4 again closes and refunds it",
                      "F4 again = close"), bell=True)
            return
        client = self.store_app.client
        finished: list[OrderDetail] = []
        try:
            for oid in self.order_ids:
                if self.orders[oid].status != OrderStatus.PICKING:
                    finished.append(self.orders[oid])
                    continue
                request_id = new_request_id()

                def finish(oid: int = oid, rid: str = request_id) -> Awaitable[OrderDetail]:
                    return client.finish_pick(oid, request_id=rid)
                order = await self.until_committed(finish, "finish")
                self.orders[oid] = order
                finished.append(order)
        except BackendError as exc:
            if await self.leave_if_canceled(exc):
                return
            self._go(Event.NOT_FINISHED)
            self.fail(exc)
            return
        except BaseException:
            self._go(Event.NOT_FINISHED)  # stopped waiting (or a bug): F4 tries again
            raise
        self._go(Event.FINISHED)
        await self.app.switch_screen(PickDoneScreen(finished, [self.tote(o.id) for o in finished]))
