"""Associates managed in the commerce platform (contract section 3): with associate_login =
"platform", a user name that is not a local associate's is checked by the platform's associate
login, over a real socket to the platform double (tests/platform_double_server.py); our backend
(create_app over ASGI) then issues its own session. Also the refusals as the associate sees them,
on the login screen of the real app at 80x24 and 40x16, and the CLI. On SQLite, and on
PostgreSQL when STOREASSIST_TEST_DATABASE_URL is set."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from helpers import STORE
from platform_double_server import TOKEN, PlatformDouble
from sqlmodel import col, select
from ui import log_in, said, screen_text, wait_for

from storeassist_tui import cli
from storeassist_tui.app import StoreAssistApp
from storeassist_tui.client import BackendClient
from storeassist_tui.config import Settings
from storeassist_tui.screens.home import HomeScreen
from storeassist_tui.screens.login import LoginScreen
from storeassist_tui.server import create_app
from storeassist_tui.store import admin, auth, platform_associates
from storeassist_tui.store.auth import WRONG_CREDENTIALS, AuthPolicy
from storeassist_tui.store.db import Database, utcnow
from storeassist_tui.store.errors import Forbidden, PlatformUnavailable, SessionInvalid
from storeassist_tui.store.models import Associate, AssociateStore, AuthToken
from storeassist_tui.store.platform_associates import PlatformAnswer
from storeassist_tui.store.text import clean

LOGIN = "/api/v1/auth/login"
OTHER = "other-002"  # a second store of ours
PASSWORD = "Platform#Pass1"


def platform_settings(double: PlatformDouble, **kw: Any) -> Settings:
    base: dict[str, Any] = dict(demo=True, public_url="http://shop.test", secret_key="test-secret",
                                associate_login="platform", platform_url=double.url, platform_token=TOKEN,
                                platform_timeout_s=0.5)
    return Settings(**{**base, **kw})


@pytest.fixture
def stores(demo_db: Database) -> Database:
    admin.add_store(demo_db, admin.StoreSettings(id=OTHER, name="Other Store"))
    return demo_db


@pytest.fixture
def make_api(stores: Database) -> Iterator[Any]:
    """An API client over ASGI to a backend made with the given settings (its platform asker closed after)."""
    made: list[tuple[Any, httpx.AsyncClient]] = []

    def make(settings: Settings) -> httpx.AsyncClient:
        app = create_app(stores, settings)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                   base_url="http://test")
        made.append((app, client))
        return client

    yield make
    for app, _ in made:
        if app.state.ctx.platform_login is not None:
            app.state.ctx.platform_login.close()


@pytest.fixture
async def api(make_api: Any, platform_double: PlatformDouble) -> AsyncIterator[httpx.AsyncClient]:
    client: httpx.AsyncClient = make_api(platform_settings(platform_double))
    yield client
    await client.aclose()


def stored(db: Database, username: str) -> tuple[Associate, list[str]] | None:
    with db.read() as s:
        a = s.exec(select(Associate).where(Associate.username == username)).first()
        if a is None:
            return None
        links = s.exec(select(AssociateStore.store_id).where(AssociateStore.associate_id == a.id)
                       .order_by(col(AssociateStore.store_id)))
        return a, list(links)


def sessions_of(db: Database, username: str) -> int:
    with db.read() as s:
        a = s.exec(select(Associate).where(Associate.username == username)).first()
        if a is None:
            return 0
        return len(list(s.exec(select(AuthToken).where(AuthToken.associate_id == a.id))))


async def login(api: httpx.AsyncClient, username: str, secret: str, store: str = "") -> httpx.Response:
    return await api.post(LOGIN, json={"username": username, "secret": secret, "store": store})


# Logged in through the platform -----------------------------------------------------------------

async def test_platform_associate_logs_in_with_our_session_and_is_kept_as_platform_managed(
        api: httpx.AsyncClient, stores: Database, platform_double: PlatformDouble) -> None:
    platform_double.add_associate("jane.doe", PASSWORD, first_name="Jane", last_name="Doe",
                                  permissions=["picking_order"], locations=[STORE, "store_not_ours"])
    r = await login(api, "jane.doe", PASSWORD)
    assert r.status_code == 200, r.text
    user = r.json()["user"]
    assert (user["username"], user["display_name"], user["role"], user["permissions"]) == (
        "jane.doe", "Jane Doe", "picker", ["picking"])
    assert [s["id"] for s in user["stores"]] == [STORE]  # a location we do not have is left out
    assert platform_double.associate_calls == [("login", "jane.doe", 200)]
    # OUR bearer session: the rest of the API takes it as any associate's.
    me = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['token']}"})
    assert me.status_code == 200 and me.json()["display_name"] == "Jane Doe"
    counts = await api.get(f"/api/v1/stores/{STORE}/counts", headers={"Authorization": f"Bearer {r.json()['token']}"})
    assert counts.status_code == 200
    row = stored(stores, "jane.doe")
    assert row is not None
    a, links = row
    assert a.platform_managed and links == [STORE] and a.badge_code is None
    # Its stored secret matches no password, not even the platform's one.
    with pytest.raises(Exception, match=WRONG_CREDENTIALS):
        auth.login(stores, AuthPolicy(), username="jane.doe", secret=PASSWORD)


@pytest.mark.parametrize(("permissions", "role", "ours"), [
    (["picking_order"], "picker", ["picking"]),
    (["dispense_order"], "handoff", ["dispensing"]),
    (["picking_order", "dispense_order"], "associate", ["dispensing", "picking"]),
    (["picking_order", "dispense_order", "item_qty_reduction"], "lead",
     ["dispensing", "picking", "quantity_reduction_and_cancellation"]),
    # No local role picks (or hands off) and cancels without the other: never more than granted.
    (["picking_order", "item_qty_reduction"], "picker", ["picking"]),
    (["dispense_order", "item_qty_reduction", "some_future_permission"], "handoff", ["dispensing"]),
])
async def test_each_platform_permission_set_maps_to_a_role(
        api: httpx.AsyncClient, platform_double: PlatformDouble, permissions: list[str], role: str,
        ours: list[str]) -> None:
    platform_double.add_associate("sam", PASSWORD, permissions=permissions, locations=[STORE])
    r = await login(api, "sam", PASSWORD)
    assert r.status_code == 200, r.text
    assert (r.json()["user"]["role"], r.json()["user"]["permissions"]) == (role, ours)


@pytest.mark.parametrize("permissions", [[], ["item_qty_reduction"], ["catalog_admin"]])
async def test_no_permission_we_can_use_is_refused_in_one_line(
        api: httpx.AsyncClient, stores: Database, platform_double: PlatformDouble, permissions: list[str]) -> None:
    platform_double.add_associate("sam", PASSWORD, permissions=permissions, locations=[STORE])
    r = await login(api, "sam", PASSWORD)
    assert (r.status_code, r.json()) == (403, {"code": "forbidden", "message": platform_associates.NO_PERMISSION})
    assert stored(stores, "sam") is None


async def test_a_new_login_follows_the_platforms_changes(
        api: httpx.AsyncClient, stores: Database, platform_double: PlatformDouble) -> None:
    a = platform_double.add_associate("sam", PASSWORD, first_name="Sam", last_name="Lee",
                                      permissions=["picking_order", "dispense_order", "item_qty_reduction"],
                                      all_locations=True)
    r = await login(api, "sam", PASSWORD)
    assert r.json()["user"]["role"] == "lead"
    assert stored(stores, "sam")[1] == sorted([STORE, OTHER])  # type: ignore[index]  # every store we have
    a.permissions, a.all_locations, a.locations, a.last_name = ["dispense_order"], False, [OTHER], "Park"
    r = await login(api, "sam", PASSWORD)
    assert (r.json()["user"]["role"], r.json()["user"]["display_name"]) == ("handoff", "Sam Park")
    row = stored(stores, "sam")
    assert row is not None and row[0].role == "handoff" and row[1] == [OTHER]
    with stores.read() as s:
        assert len(list(s.exec(select(Associate).where(Associate.username == "sam")))) == 1


async def test_no_store_of_ours_and_the_wrong_store_for_the_terminal_are_refused(
        api: httpx.AsyncClient, stores: Database, platform_double: PlatformDouble) -> None:
    platform_double.add_associate("far", PASSWORD, locations=["store_elsewhere"])
    r = await login(api, "far", PASSWORD)
    assert (r.status_code, r.json()["message"]) == (403, platform_associates.NO_STORE)
    assert stored(stores, "far") is None
    platform_double.add_associate("near", PASSWORD, locations=[OTHER])
    r = await login(api, "near", PASSWORD, store=STORE)  # a terminal set up for the demo store
    assert (r.status_code, r.json()["message"]) == (403, f"Jane Doe is not set up for store {STORE}")
    assert sessions_of(stores, "near") == 0


def test_our_session_lasts_no_longer_than_the_platforms(stores: Database, platform_double: PlatformDouble) -> None:
    from storeassist_tui.platform_login import PlatformLogin

    platform_double.add_associate("short", PASSWORD, locations=[STORE], session_lifetime=300)
    platform_double.add_associate("long", PASSWORD, locations=[STORE], session_lifetime=86400)
    ask = PlatformLogin(platform_double.url, TOKEN, 2.0)
    try:
        now = utcnow()
        short = platform_associates.login(stores, AuthPolicy(session_lifetime_s=7200), ask, username="short",
                                          secret=PASSWORD, now=now)
        long = platform_associates.login(stores, AuthPolicy(session_lifetime_s=7200), ask, username="long",
                                         secret=PASSWORD, now=now)
    finally:
        ask.close()
    assert (short.session_lifetime_s, short.expires_at) == (300, now + timedelta(seconds=300))
    assert (long.session_lifetime_s, long.expires_at) == (7200, now + timedelta(seconds=7200))  # ours is shorter
    auth.authenticate(stores, short.token, now + timedelta(seconds=299))
    with pytest.raises(SessionInvalid):
        auth.authenticate(stores, short.token, now + timedelta(seconds=300))


# The platform's no, one line each ---------------------------------------------------------------

async def test_wrong_password_or_unknown_user_says_what_the_local_login_says(
        api: httpx.AsyncClient, stores: Database, platform_double: PlatformDouble) -> None:
    platform_double.add_associate("jane.doe", PASSWORD, locations=[STORE])
    wrong = await login(api, "jane.doe", "not-it")
    nobody = await login(api, "nobody.here", "whatever")
    local_wrong = await login(api, "pat", "0000")  # a local associate, checked locally
    for r in (wrong, nobody, local_wrong):
        assert (r.status_code, r.json()) == (401, {"code": "bad_credentials", "message": WRONG_CREDENTIALS})
    assert stored(stores, "jane.doe") is None and stored(stores, "nobody.here") is None


async def test_six_wrong_passwords_lock_the_account_in_the_platform(
        api: httpx.AsyncClient, stores: Database, platform_double: PlatformDouble) -> None:
    platform_double.add_associate("jane.doe", PASSWORD, locations=[STORE])
    assert (await login(api, "jane.doe", PASSWORD)).status_code == 200
    for _ in range(6):
        assert (await login(api, "jane.doe", "not-it")).json()["message"] == WRONG_CREDENTIALS
    r = await login(api, "jane.doe", PASSWORD)
    assert (r.status_code, r.json()) == (401, {"code": "locked", "message": platform_associates.LOCKED})
    assert sessions_of(stores, "jane.doe") == 1  # the first login's only


async def test_an_account_not_active_in_the_platform_is_refused(
        api: httpx.AsyncClient, stores: Database, platform_double: PlatformDouble) -> None:
    platform_double.add_associate("gone", PASSWORD, locations=[STORE], active=False)
    r = await login(api, "gone", PASSWORD)
    assert (r.status_code, r.json()) == (401, {"code": "inactive", "message": platform_associates.INACTIVE})
    assert stored(stores, "gone") is None


async def test_a_password_the_platform_wants_changed_does_not_log_in(
        api: httpx.AsyncClient, stores: Database, platform_double: PlatformDouble) -> None:
    platform_double.add_associate("new.hire", PASSWORD, locations=[STORE], password_change_required=True)
    r = await login(api, "new.hire", PASSWORD)
    assert (r.status_code, r.json()) == (
        401, {"code": "password_change_required", "message": platform_associates.CHANGE_PASSWORD})
    assert stored(stores, "new.hire") is None


@pytest.mark.parametrize("fault", ["down", "hang", "500", "garbage"])
async def test_a_platform_that_does_not_answer_is_one_line_and_no_stale_login(
        api: httpx.AsyncClient, stores: Database, platform_double: PlatformDouble, fault: str) -> None:
    platform_double.add_associate("jane.doe", PASSWORD, locations=[STORE])
    assert (await login(api, "jane.doe", PASSWORD)).status_code == 200  # a row of ours now exists
    if fault == "down":
        platform_double.down()
    else:
        platform_double.fail(fault)
    r = await login(api, "jane.doe", PASSWORD)
    assert (r.status_code, r.json()) == (502, {"code": "platform_unavailable",
                                               "message": platform_associates.NOT_ANSWERING})
    assert sessions_of(stores, "jane.doe") == 1  # the row kept from before logged nobody in
    # Local associates do not need the platform.
    assert (await login(api, "pat", "1111")).status_code == 200
    platform_double.heal()


async def test_logins_waiting_on_a_hung_platform_leave_the_servers_threads_to_the_other_requests(
        make_api: Any, platform_double: PlatformDouble) -> None:
    import asyncio

    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = 2  # the server's threadpool, made small
    api = make_api(platform_settings(platform_double, platform_timeout_s=5.0))
    platform_double.add_associate("jane.doe", PASSWORD, locations=[STORE])
    platform_double.fail("hang")
    logins = [asyncio.create_task(login(api, "jane.doe", PASSWORD)) for _ in range(3)]
    await asyncio.to_thread(platform_double.wait_until, lambda d: d.login_arrivals == 3)
    health = await api.get("/api/v1/health")  # a request on the server's own threads
    assert health.status_code == 200
    assert not any(t.done() for t in logins)  # answered while all three logins still wait on the platform
    platform_double.heal()
    answers = await asyncio.gather(*logins)
    assert {r.status_code for r in answers} == {502}
    await api.aclose()


async def test_a_refused_integration_token_says_so(make_api: Any, platform_double: PlatformDouble) -> None:
    platform_double.add_associate("jane.doe", PASSWORD, locations=[STORE])
    api = make_api(platform_settings(platform_double, platform_token="stale-token"))
    r = await login(api, "jane.doe", PASSWORD)
    assert (r.status_code, r.json()["message"]) == (502, platform_associates.TOKEN_REFUSED)
    await api.aclose()


def test_answers_not_as_the_contract_says_are_not_answering() -> None:
    good: dict[str, Any] = {
        "session_token": "k3j9x0a1b2c3d4e5", "session_lifetime": 7200,
        "parameters": {"success": True, "password_change_required": False},
        "first_name": "Jane", "last_name": "Doe", "permissions": ["picking_order"], "all_locations": False,
        "locations": [{"code": STORE}]}
    assert platform_associates._accepted(PlatformAnswer(200, good)).role == "picker"
    for broken in ({"session_lifetime": "7200"}, {"session_lifetime": 0}, {"permissions": "picking_order"},
                   {"locations": [STORE]}, {"parameters": {"success": False}}, {"all_locations": "yes"}):
        with pytest.raises(PlatformUnavailable, match=platform_associates.NOT_ANSWERING):
            platform_associates._accepted(PlatformAnswer(200, {**good, **broken}))
    for status in (404, 429, 503):
        with pytest.raises(PlatformUnavailable):
            platform_associates._accepted(PlatformAnswer(status, {"message": "x"}))
    tfa = {k: v for k, v in good.items() if k not in ("first_name", "last_name", "permissions", "all_locations",
                                                       "locations")}
    with pytest.raises(Forbidden, match="two-factor"):
        platform_associates._accepted(PlatformAnswer(200, {**tfa, "tfa_available": True, "tfa_providers": []}))
    named = platform_associates._accepted(PlatformAnswer(200, {**good, "first_name": "Jane\x1b[2J\n", "last_name": ""}))
    assert named.display_name == clean("Jane")


# Local associates, and the default -------------------------------------------------------------

async def test_local_associates_log_in_locally_without_asking_the_platform(
        api: httpx.AsyncClient, platform_double: PlatformDouble) -> None:
    platform_double.add_associate("pat", "the-platforms-pat", locations=[STORE])  # the same name there
    r = await login(api, "pat", "1111")
    assert r.status_code == 200 and r.json()["user"]["display_name"] == "Pat Picker"
    assert (await login(api, "pat", "the-platforms-pat")).json()["message"] == WRONG_CREDENTIALS
    badge = await api.post(LOGIN, json={"badge": "B-1003"})
    assert badge.status_code == 200 and badge.json()["user"]["username"] == "lee"
    assert platform_double.associate_calls == []


async def test_local_is_the_default_and_never_asks_the_platform(
        make_api: Any, stores: Database, platform_double: PlatformDouble) -> None:
    assert Settings().associate_login == "local"
    platform_double.add_associate("jane.doe", PASSWORD, locations=[STORE])
    api = make_api(platform_settings(platform_double, associate_login="local"))
    r = await login(api, "jane.doe", PASSWORD)
    assert (r.status_code, r.json()["message"]) == (401, WRONG_CREDENTIALS)
    assert (await login(api, "pat", "1111")).status_code == 200
    assert platform_double.associate_calls == []
    await api.aclose()


def test_platform_mode_needs_the_platforms_url() -> None:
    with pytest.raises(ValueError, match="STOREASSIST_PLATFORM_URL"):
        Settings(associate_login="platform")


# The CLI -----------------------------------------------------------------------------------------

async def test_cli_lists_platform_managed_associates_and_gives_them_no_local_pin(
        api: httpx.AsyncClient, stores: Database, database_url: str, platform_double: PlatformDouble,
        capsys: pytest.CaptureFixture[str]) -> None:
    platform_double.add_associate("jane.doe", PASSWORD, locations=[STORE])
    assert (await login(api, "jane.doe", PASSWORD)).status_code == 200
    assert cli.main(["user", "list", "--store", STORE, "--database-url", database_url]) == 0
    rows = {ln.split("\t")[0]: ln.split("\t") for ln in capsys.readouterr().out.splitlines()}
    assert rows["jane.doe"][-1] == "platform-managed" and rows["jane.doe"][4] == "no badge"
    assert rows["pat"][-1] == "local"
    assert cli.main(["user", "set-pin", "jane.doe", "--pin", "4711", "--database-url", database_url]) == 1
    assert capsys.readouterr().err.strip() == (
        "storeassist: error: User jane.doe is managed in the commerce platform: "
        "change the password in the platform's admin, not here")
    row = stored(stores, "jane.doe")
    assert row is not None and row[0].secret_hash == platform_associates.NO_LOCAL_SECRET
    # A local associate's PIN is set as before.
    assert cli.main(["user", "set-pin", "pat", "--pin", "4711", "--database-url", database_url]) == 0
    assert auth.login(stores, AuthPolicy(), username="pat", secret="4711").user.username == "pat"


# The login screen -------------------------------------------------------------------------------

@pytest.fixture
async def platform_backend(stores: Database, platform_double: PlatformDouble) -> AsyncIterator[BackendClient]:
    app = create_app(stores, platform_settings(platform_double))
    client = BackendClient("http://embedded", transport=httpx.ASGITransport(app=app, raise_app_exceptions=False))
    yield client
    await client.aclose()
    app.state.ctx.platform_login.close()


@pytest.mark.parametrize("size", [(80, 24), (40, 16)])
async def test_a_platform_associate_logs_in_on_the_login_screen(
        platform_backend: BackendClient, platform_double: PlatformDouble, size: tuple[int, int]) -> None:
    platform_double.add_associate("jane.doe", PASSWORD, first_name="Jane", last_name="Doe",
                                  permissions=["picking_order", "dispense_order"], locations=[STORE])
    app = StoreAssistApp(platform_backend, poll_interval_s=0.1)
    async with app.run_test(size=size) as pilot:
        assert isinstance(app.screen, LoginScreen)
        await log_in(pilot, "jane.doe", PASSWORD)
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen) and "Jane Doe" in screen_text(app))
        assert app.session is not None and app.session.user.role == "associate"
        assert platform_double.associate_calls == [("login", "jane.doe", 200)]


def _wrapped(app: StoreAssistApp, message: str) -> bool:
    rows = [r.strip() for r in screen_text(app).splitlines()]
    return said(app) == message and any(" ".join(rows[i:i + 3]).startswith(message) for i in range(len(rows)))


@pytest.mark.parametrize("size", [(80, 24), (40, 16)])
@pytest.mark.parametrize(("case", "message"), [
    ("locked", platform_associates.LOCKED),
    ("password", platform_associates.CHANGE_PASSWORD),
    ("down", platform_associates.NOT_ANSWERING),
])
async def test_the_platforms_refusal_is_one_clear_line_on_the_login_screen(
        platform_backend: BackendClient, platform_double: PlatformDouble, size: tuple[int, int], case: str,
        message: str) -> None:
    a = platform_double.add_associate("jane.doe", PASSWORD, locations=[STORE],
                                      password_change_required=case == "password")
    a.locked = case == "locked"
    if case == "down":
        platform_double.fail("500")
    app = StoreAssistApp(platform_backend)
    async with app.run_test(size=size) as pilot:
        await log_in(pilot, "jane.doe", PASSWORD)
        await wait_for(pilot, lambda: _wrapped(app, message))
        assert isinstance(app.screen, LoginScreen) and app.session is None and platform_backend.token == ""
        assert "offline" not in screen_text(app).lower()  # our backend is up: not an outage of ours
        screen = app.screen
        assert screen.user_field.value == "jane.doe" and screen.pin_field.value == ""
