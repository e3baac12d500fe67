"""The HTTP side of the platform's associate login (contract section 3): POST
`{platform_url}/V1/wct-fulfillment/associate/login` with the integration token as a bearer token,
as storeassist_tui/platform_sender.py calls the order paths. What the answer means is decided in
store/platform_associates.py; this module only asks and reads.
"""

from __future__ import annotations

import httpx

from storeassist_tui.config import Settings
from storeassist_tui.store.platform_associates import PlatformAnswer

LOGIN_PATH = "/V1/wct-fulfillment/associate/login"


class PlatformLogin:
    """`PlatformLogin(...)(username, password)` -> PlatformAnswer; status 0 when nothing answered."""

    def __init__(self, platform_url: str, token: str, timeout_s: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = platform_url.rstrip("/") + LOGIN_PATH
        self.client = httpx.Client(
            timeout=timeout_s, transport=transport,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                     "Cache-Control": "no-cache"})

    @classmethod
    def from_settings(cls, settings: Settings) -> PlatformLogin:
        return cls(settings.platform_url, settings.platform_token, settings.platform_timeout_s)

    def __call__(self, username: str, password: str) -> PlatformAnswer:
        try:
            r = self.client.post(self.url, json={"username": username, "password": password})
        except httpx.TimeoutException:
            return PlatformAnswer(0, detail="no answer within the timeout")
        except httpx.TransportError as exc:
            return PlatformAnswer(0, detail=f"{type(exc).__name__}: {exc}"[:300])
        try:
            body = r.json()
        except ValueError:
            body = None
        return PlatformAnswer(r.status_code, body, r.text[:300].replace("\n", " "))

    def close(self) -> None:
        self.client.close()
