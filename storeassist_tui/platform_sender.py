"""The HTTP side of delivering to the commerce platform: POST a call, judge the answer.

store/delivery.py decides what to send and when; it never imports this module (store/ stays free
of HTTP), it is handed `HttpSender.send`. Contract section 2: the integration token as a bearer
token, JSON bodies, `{"message", "success"}` answers.
"""

from __future__ import annotations

import logging
import threading

import httpx

from storeassist_tui.config import Settings
from storeassist_tui.store import delivery
from storeassist_tui.store.db import Database

log = logging.getLogger("storeassist.platform")

BASE_PATH = "/V1/wct-fulfillment/order/"
_RETRY_4XX = (408, 429)  # the platform asks us to come back later


class HttpSender:
    def __init__(self, platform_url: str, token: str, timeout_s: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base = platform_url.rstrip("/") + BASE_PATH
        self.client = httpx.Client(
            timeout=timeout_s, transport=transport, limits=httpx.Limits(max_keepalive_connections=64),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                     "Cache-Control": "no-cache"})

    def send(self, call: delivery.Call) -> delivery.Outcome:
        try:
            r = self.client.post(self.base + call.path, json=call.body,
                                 headers={"X-Storeassist-Event": call.event_id})
        except httpx.TimeoutException:
            return delivery.Outcome(False, f"{call.path}: no answer within the timeout", platform_down=True)
        except httpx.TransportError as exc:
            return delivery.Outcome(False, f"{call.path}: {type(exc).__name__}: {exc}"[:300], platform_down=True)
        body = r.text[:300].replace("\n", " ")
        if r.status_code >= 500 or r.status_code in _RETRY_4XX:
            return delivery.Outcome(False, f"{call.path}: HTTP {r.status_code} {body}", platform_down=True,
                                    status=r.status_code)
        if not r.is_success:
            # A refusal of this call (bad body, unknown order, wrong state): this order waits,
            # the others go on. Logged with the body, which says why.
            log.warning("platform refused %s for event %s: HTTP %d %s", call.path, call.event_id, r.status_code, body)
            return delivery.Outcome(False, f"{call.path}: HTTP {r.status_code} {body}", status=r.status_code)
        try:
            answer = r.json()
        except ValueError:
            answer = None
        if isinstance(answer, dict) and answer.get("success") is False:
            # The platform's order/cancel answers a refusal with 200 and success:false.
            return delivery.Outcome(False, f"{call.path}: HTTP {r.status_code} success:false {body}",
                                    status=r.status_code)
        return delivery.Outcome(True, status=r.status_code)

    def close(self) -> None:
        self.client.close()


def deliverer_for(db: Database, settings: Settings, sender: HttpSender | None = None) -> delivery.Deliverer:
    if not settings.platform_url:
        raise ValueError("no platform URL: set STOREASSIST_PLATFORM_URL (e.g. https://shop.example/rest)")
    sender = sender or HttpSender(settings.platform_url, settings.platform_token, settings.platform_timeout_s)
    policy = delivery.Policy(max_attempts=settings.platform_max_attempts, backoff_s=settings.platform_backoff_s,
                             backoff_max_s=settings.platform_backoff_max_s)
    return delivery.Deliverer(db, sender.send, policy, concurrency=settings.platform_concurrency)


class BackgroundDeliverer:
    """The worker inside `storeassist serve`: a thread, so a slow platform never holds up a
    request; replicas take turns through delivery.DeliveryLock."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.sender = HttpSender(settings.platform_url, settings.platform_token, settings.platform_timeout_s)
        self.deliverer = deliverer_for(db, settings, self.sender)
        self.poll_s = settings.platform_poll_s
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="platform-deliverer", daemon=True)

    def _run(self) -> None:
        try:
            delivery.serve(self.deliverer, self.stop_event, self.poll_s)
        except Exception:  # logged; serving the terminals goes on
            log.exception("platform deliverer stopped")

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=30)
        self.sender.close()
