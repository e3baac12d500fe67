"""Polling a list from the backend for a screen: ONE request at a time, the next one armed as a
one-shot timer after each answer (a `set_interval` would pile requests up behind a slow backend,
and an exclusive worker would cancel every request slower than the interval).

A failed poll says "offline since HH:MM" (the bell once, when the link goes down) and doubles the
interval up to 30 s; the next answer clears the line. A 401 (session expired or revoked on another
terminal) logs out. The poll runs only while its screen is the one shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from textual.timer import Timer

from storeassist_tui.client import BackendError, BackendUnavailable
from storeassist_tui.screens import StoreScreen

T = TypeVar("T")
MAX_BACKOFF_S = 30.0


class Poller(Generic[T]):
    def __init__(self, screen: StoreScreen, name: str, fetch: Callable[[], Awaitable[T]],
                 show: Callable[[T], None]) -> None:
        self.screen, self.name, self.fetch, self.show = screen, name, fetch, show
        self._timer: Timer | None = None
        self._delay = 0.0
        self._polling = False  # a request is in flight: never two at once
        self._active = False
        self._stopped = False

    @property
    def interval(self) -> float:
        return self.screen.store_app.poll_interval_s

    def resume(self) -> None:
        """The screen is shown: poll now, then every interval."""
        self._active = True
        self._delay = self.interval
        self._stop_timer()
        self.poll_now()

    def pause(self) -> None:
        """Another screen is on top: no polling for a screen nobody sees."""
        self._active = False
        self._stop_timer()

    def stop(self) -> None:
        self._stopped = True
        self.pause()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def poll_now(self) -> None:
        self._timer = None
        if self._active and not self._stopped and not self._polling and self.screen.store_app.store_id:
            self._polling = True
            self.screen.run_worker(self._poll(), group=self.name, exit_on_error=False)

    def _back_off(self) -> None:
        base = self.interval
        self._delay = min(max(self._delay * 2, base), max(MAX_BACKOFF_S, base))

    async def _poll(self) -> None:
        screen, app = self.screen, self.screen.store_app
        try:
            result = await self.fetch()
        except BackendUnavailable as exc:
            first = app.offline_since is None
            bar = screen.message_bar
            if first or (bar is not None and (bar.kind == "offline" or not bar.text)):
                screen.fail(exc, kind="offline", bell=first)
            self._back_off()
        except BackendError as exc:
            if exc.status == 401:
                self._stopped = True
                app.request_logout(exc.message, error=True)
                return
            bar = screen.message_bar
            screen.fail(exc, kind="poll", bell=bar is None or bar.kind != "poll")
            self._back_off()
        except Exception as exc:  # noqa: BLE001 - never let a poll end the app
            screen.fail(exc, kind="poll", bell=False)
            self._back_off()
        else:
            app.note_online()
            self._delay = self.interval
            if screen.is_attached:
                self.show(result)
            if bar := screen.message_bar:
                bar.clear("offline")
                bar.clear("poll")
        finally:
            self._polling = False
            if self._active and not self._stopped and screen.is_attached:
                self._timer = screen.set_timer(self._delay, self.poll_now, name=f"{self.name}-poll")


class PolledScreen(StoreScreen):
    """A list screen fed by `self.poller`: it polls while shown, not while another screen covers
    it, and never after it is gone. (Textual also runs StoreScreen's own resume handler.)"""

    poller: Poller[Any]

    def on_screen_resume(self) -> None:
        self.store_app.show_scan_buffer()
        self.poller.resume()

    def on_screen_suspend(self) -> None:
        self.poller.pause()

    def on_unmount(self) -> None:
        self.poller.stop()
