"""Orders: every order of the store with its status, newest first, in pages fetched as the cursor
gets near them (100,000 orders scroll like 10). F2 steps through the status filters.

Type or scan to look up: an order number opens the order; anything else searches names, phones
and e-mails. Enter opens the order under the cursor; Esc clears the search, then the filter, then
goes back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import ClassVar, overload

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical

from storeassist_tui.client import SEARCH_MAX, BackendError, BackendUnavailable, OrderDetail, OrderPage, OrderSummary
from storeassist_tui.scanning import Entry
from storeassist_tui.screens import bottom_bars, list_keys, screen_css
from storeassist_tui.screens.order_detail import OrderDetailScreen
from storeassist_tui.screens.order_text import FILTERS, now_utc, orders_row, plural, zone
from storeassist_tui.screens.polled import PolledScreen
from storeassist_tui.services.messages import QueueChanged
from storeassist_tui.widgets import FitLabel, Hint, Quote, ScanField, TitleBar, clip
from storeassist_tui.widgets.rows import RowList

log = logging.getLogger(__name__)

PAGE = 50
HINTS = [Hint("Enter", "Open", "Ent", "Open"), Hint("F2", "Filter", "F2", "Filt"), Hint("Esc", "Back", "Esc", "Back")]


class Pages(Sequence[OrderSummary | None]):
    """The rows of a search, `total` long; a row is None until its page has come."""

    def __init__(self, total: int = 0) -> None:
        self.total = total
        self.pages: dict[int, list[OrderSummary]] = {}

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, i: int) -> OrderSummary | None: ...
    @overload
    def __getitem__(self, i: slice) -> list[OrderSummary | None]: ...

    def __getitem__(self, i: int | slice) -> OrderSummary | list[OrderSummary | None] | None:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.total))]
        if not 0 <= i < self.total:
            raise IndexError(i)
        page = self.pages.get(i // PAGE)
        return page[i % PAGE] if page is not None and i % PAGE < len(page) else None

    def missing(self, start: int, stop: int) -> list[int]:
        """The pages (numbers) of rows start..stop not fetched yet."""
        first, last = max(start, 0) // PAGE, max(min(stop, self.total) - 1, 0) // PAGE
        return [p for p in range(first, last + 1) if p not in self.pages and p * PAGE < self.total]


class OrdersScreen(PolledScreen):
    TAKES_SCANS = True

    CSS_PATH = screen_css(__file__)

    BINDINGS: ClassVar[list[BindingType]] = [
        *list_keys(),
        Binding("enter,f1", "open", show=False),
        Binding("f2", "filter", show=False),
        Binding("escape", "back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_text = ""
        self.filter = 0
        self.pages = Pages()
        self.poller = self.new_poller("orders", self._fetch_current)
        self._loading = False
        self.tz = zone("UTC")  # the store's, once known: times read as on the store's clocks

    def compose(self) -> ComposeResult:
        yield TitleBar(("Orders", "Orders"), ("",))
        with Vertical(id="body"):
            yield FitLabel("Loading...", id="what")
            yield RowList[OrderSummary | None](lambda o, w: orders_row(o, now_utc(), w, self.tz),
                                               lambda o: o.id if o else None, "No orders.", id="orders",
                                               classes="flex")
        yield bottom_bars(HINTS, ScanField("Order no., name, phone, e-mail:", "Find:", "Find:", id="scan"))

    @property
    def rows(self) -> RowList[OrderSummary | None]:
        return self.query_one("#orders", RowList)

    async def on_mount(self) -> None:
        try:
            self.tz = zone((await self.store_app.store_info()).timezone)
        except (BackendUnavailable, BackendError) as exc:  # UTC until the backend answers
            log.info("store info: %r", exc)
        except Exception:  # a bug: in the log file; the list still shows, in UTC
            log.exception("store info")

    @property
    def status(self) -> str:
        return FILTERS[self.filter][0]

    async def _page(self, page: int) -> OrderPage:
        app = self.store_app
        return await app.client.search_orders(app.store_id, self.query_text, self.status, page * PAGE, PAGE)

    async def _fetch_current(self) -> tuple[str, int, int, OrderPage]:
        """The poll: the page under the cursor (a 304 when nothing changed)."""
        page = self.rows.cursor // PAGE
        return self.query_text, self.filter, page, await self._page(page)

    def on_queue_changed(self, message: QueueChanged) -> None:
        self._refreshed(message.value)

    def _refreshed(self, result: tuple[str, int, int, OrderPage]) -> None:
        q, f, page, answer = result
        if (q, f) != (self.query_text, self.filter):
            return  # a search changed meanwhile: that answer is for the old one
        if answer.total != self.pages.total or self.pages.pages.get(page) != answer.orders:
            # Orders came or changed: the other pages are stale, and the cursor stays on its order
            # (new ones come in at the top and push it down) rather than on its row number.
            current = self.rows.current
            self.pages = Pages(answer.total)
            self.pages.pages[page] = answer.orders
            ids = [o.id for o in answer.orders]
            if current is not None and current.id in ids:
                self.rows.cursor = page * PAGE + ids.index(current.id)
        self.pages.pages[page] = answer.orders
        self._show()

    def _show(self) -> None:
        n = self.pages.total
        what = FILTERS[self.filter][1]
        looking = f' matching "{self.query_text}"' if self.query_text else ""
        self.query_one("#what", FitLabel).set_forms(
            f"{what.capitalize()}: {plural(n, 'order')}{looking}, newest first (F2: filter)",
            f"{what.capitalize()}: {plural(n, 'order')}{looking}, newest first",
            f"{what.capitalize()}: {plural(n, 'order')}{looking}", f"{what}: {n}")
        empty = f'No orders match "{self.query_text}".' if self.query_text else f"No orders ({what})."
        self.rows.empty = empty
        self.rows.set_source(self.pages)
        self._want()

    def _want(self) -> None:
        """Fetch the pages around the cursor that are not here yet (one request at a time)."""
        height = max(self.rows.size.height, 1)
        if self.pages.missing(self.rows.cursor - height, self.rows.cursor + height) and not self._loading:
            self._loading = True
            self.run_worker(self._load(), group="orders-pages", exit_on_error=False)

    async def _load(self) -> None:
        try:
            while True:
                height = max(self.rows.size.height, 1)
                need = self.pages.missing(self.rows.cursor - height, self.rows.cursor + height)
                if not need:
                    return
                key, pages = (self.query_text, self.filter), self.pages
                answer = await self._page(need[0])
                if (self.query_text, self.filter) != key or self.pages is not pages:
                    continue
                if answer.total != pages.total:
                    self.pages = Pages(answer.total)
                self.pages.pages[need[0]] = answer.orders
                self.rows.set_source(self.pages)
        except (BackendUnavailable, BackendError) as exc:  # the rows say "..." and the poll tries again
            self.fail(exc, bell=False)
        except Exception as exc:  # a bug: in the log file; one line here, and the poll tries again
            log.exception("orders page")
            self.fail(exc, bell=False)
        finally:
            self._loading = False

    async def _search(self) -> OrderPage:
        answer = await self._page(0)
        self.pages = Pages(answer.total)
        self.pages.pages[0] = answer.orders
        self.rows.cursor = 0
        self._show()
        return answer

    # Keys
    def action_move(self, delta: int) -> None:
        self.rows.move(delta)
        self._want()

    def action_page(self, direction: int) -> None:
        self.rows.page(direction)
        self._want()

    async def action_filter(self) -> None:
        self.filter = (self.filter + 1) % len(FILTERS)
        await self._search()

    async def action_back(self) -> None:
        if self.query_text:
            self.query_text = ""
            await self._search()
            self.say(f"Search cleared: {FILTERS[self.filter][1]} orders")
        elif self.filter:
            self.filter = 0
            await self._search()
            self.say("Filter cleared: all orders")
        else:
            self.app.pop_screen()

    async def action_open(self) -> None:
        o = self.rows.current
        if o is None:
            self.fail("No order here" if not self.pages.total else "Still loading; try again")
            return
        await self.open(o.id)

    async def open(self, order_id: int) -> None:
        await self.show_order(await self.store_app.client.order(order_id))

    async def show_order(self, order: OrderDetail) -> None:
        app = self.store_app
        events = await app.client.timeline(order.id)
        store = await app.store_info()
        await self.app.push_screen(OrderDetailScreen(order, events, store))

    async def handle_entry(self, entry: Entry) -> None:
        """An order number opens that order, whatever the filter; anything else searches."""
        text = entry.text.strip()
        if entry.too_long:
            self.fail(f"Too long to search ({entry.too_long} characters)")
            return
        if not text:
            return
        try:
            order = await self.store_app.client.order_by_number(text, self.store_app.store_id)
        except BackendError as exc:
            if exc.status != 404:
                self.fail(exc)
                return
        else:
            await self.show_order(order)
            return
        self.query_text = text[:SEARCH_MAX]
        try:
            answer = await self._search()
        except BackendError as exc:
            self.query_text = ""
            self.fail(exc)
            return
        if not answer.total:
            self.fail((f'No orders match "{clip(text, Quote.LONG)}" (Esc shows all)', f'No match "{clip(text, Quote.SHORT)}"', "No match"),
                      bell=True)
        elif bar := self.message_bar:
            bar.clear()
