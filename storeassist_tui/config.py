"""Settings from flags, STOREASSIST_* environment variables or a TOML file."""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Literal

from platformdirs import user_config_dir, user_data_dir, user_log_dir
from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

APP_NAME = "storeassist"


def default_data_dir() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_log_dir() -> Path:
    """~/.local/state/storeassist/log on Linux (XDG_STATE_HOME), the platform's own elsewhere."""
    return Path(user_log_dir(APP_NAME, appauthor=False))


def default_config_file() -> Path:
    return Path(os.environ.get("STOREASSIST_CONFIG", Path(user_config_dir(APP_NAME, appauthor=False)) / "config.toml"))


def proxy_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """'10.0.0.5, 10.1.0.0/16' as networks (an address is a network of one)."""
    networks = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item[:60]!r} is not an IP address or network") from None
    return tuple(networks)


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'storeassist.db'}"


class Settings(BaseSettings):
    """Every knob of the app and the server. Flags override env, env overrides the TOML file."""

    model_config = SettingsConfigDict(env_prefix="STOREASSIST_", extra="ignore")

    database_url: str = ""
    backend: str = ""  # URL of a running server; empty = embedded backend in-process
    store: str = ""  # the store this terminal works in; empty = the associate's first store
    session_lifetime_s: int = Field(default=7200, ge=60, le=7 * 86400)
    lockout_failures: int = Field(default=6, ge=1, le=100)
    lockout_minutes: int = Field(default=30, ge=1, le=24 * 60)
    inactivity_logout_s: int = Field(default=600, ge=0, le=86400)  # 0 = never
    scan_threshold_ms: int = Field(default=40, ge=1, le=1000)  # keys closer than this are a scanner burst, not typing
    poll_interval_s: float = Field(default=2.0, ge=0.2, le=300)
    log_dir: str = ""  # the terminal app's log file goes here; empty = default_log_dir()
    server_threads: int = Field(default=8, ge=1, le=256)  # the server's threadpool (sync routes, database)
    answer_cache_size: int = Field(default=128, ge=0, le=10_000)  # polled lists' answers kept per change; 0 = off
    # Longer than the backend's own waits (SQLite busy, PostgreSQL lock timeouts), so that an
    # answer it is still working on is not taken for an outage.
    request_timeout_s: float = Field(default=15.0, ge=0.5, le=300)
    # How long a request may wait on the database before it answers 503 "unavailable" (retryable);
    # the same defaults as store.db.Timeouts. PostgreSQL: the most a request waits for a row lock
    # another replica holds (a frozen replica stalls the others at most this long) ...
    db_lock_timeout_s: float = Field(default=1.5, gt=0, le=60)
    db_statement_timeout_s: float = Field(default=10.0, gt=0, le=3600)  # ... a runaway query ...
    # ... and a transaction left idle (its replica frozen) is ended, freeing its locks, after this.
    db_idle_in_transaction_timeout_s: float = Field(default=5.0, gt=0, le=3600)
    # SQLite: the wait for the one writer; keep it under the client's request timeout.
    sqlite_busy_timeout_s: float = Field(default=3.0, gt=0, le=60)
    # Bearer tokens of the commerce platform's token endpoint: the platform caches a token 540 s
    # and does not drop it on a 401, so a token must outlive that comfortably.
    platform_token_lifetime_s: int = Field(default=3600, ge=1, le=7 * 86400)
    secret_key: str = ""  # signs customer check-in links; empty = generated once and kept in the database
    public_url: str = "http://localhost:8000"  # base of customer check-in links
    demo: bool | None = None  # show demo credentials on login; None = only on the embedded default database
    # Proxies whose X-Forwarded-For names the client (addresses or networks, comma-separated);
    # empty = never trusted, so no client can pick the address its badge tries are counted on.
    trusted_proxies: str = ""
    # Request bodies past these are refused unread (413). The API's bodies are small; the
    # platform's largest order (500 lines of escaped non-Latin text, pretty-printed) is ~1.3 MB.
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=64 * 1024 * 1024)
    max_intake_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)

    # The commerce platform we report to (contract section 2): its REST base, e.g.
    # https://shop.example/rest, and the Commerce integration token sent as a bearer token.
    # Empty URL: nothing is sent (the events wait in the outbox).
    platform_url: str = ""
    platform_token: str = ""
    platform_timeout_s: float = Field(default=10.0, gt=0, le=300)  # one call; then retried
    # A call is tried this many times, waiting 1 s, 2 s, 4 s ... up to the cap between tries
    # (20 tries at the defaults: about an hour of outage), then waits in the dead letters.
    platform_max_attempts: int = Field(default=20, ge=1, le=1000)
    platform_backoff_s: float = Field(default=1.0, gt=0, le=3600)
    platform_backoff_max_s: float = Field(default=300.0, gt=0, le=86400)
    # `storeassist serve` runs the deliverer when a platform URL is set; false leaves it to a
    # separate `storeassist platform deliver`.
    platform_deliver_in_server: bool = True
    # Orders whose calls go out side by side (each order's calls stay in order, one at a time).
    platform_concurrency: int = Field(default=4, ge=1, le=64)
    platform_poll_s: float = Field(default=1.0, ge=0.05, le=300)  # how often new events are looked for
    # Who checks an associate's user name and password (contract section 3): "local" (the
    # default) our own associates only; "platform" also the associates set up in the platform's
    # admin, through its associate login at platform_url with platform_token (a user name of a
    # local associate still logs in locally; see store/platform_associates.py).
    associate_login: Literal["local", "platform"] = "local"

    @field_validator("backend", "public_url", "platform_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ValueError(f"{value[:60]!r} is not an http:// or https:// URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _platform_login_needs_url(self) -> Settings:
        if self.associate_login == "platform" and not self.platform_url:
            raise ValueError("associate_login 'platform' needs the platform's URL: set STOREASSIST_PLATFORM_URL")
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        proxy_networks(value)  # refuses what is not an address or a network
        return value.strip()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=default_config_file())
        return (init_settings, env_settings, toml)

    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url()

    def resolved_log_dir(self) -> Path:
        return Path(self.log_dir).expanduser() if self.log_dir else default_log_dir()
