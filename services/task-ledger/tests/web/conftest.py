"""Fixtures of the page tests: the ledger served by uvicorn on a free port (SQLite in a tmp
folder, the session's embedded Kafka broker, a manual clock), seeded with a plan, and Debian's
Chromium driven by Playwright. Helpers live here as fixtures (importlib import mode)."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy import select

from duban_common.clock import ManualClock
from duban_common.embedded_broker import free_port
from duban_contracts.vocabulary import TaskStatus
from task_ledger.__main__ import UVICORN_OPTIONS
from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.domain.model import Task, User
from task_ledger.entrypoints.http import create_app
from task_ledger.service_layer import directory, imports
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer.uow import Ledger
from task_ledger.settings import Settings

SEEDS = Path(__file__).resolve().parents[4] / "seeds"  # the repo copy of shared/seeds
PLAN_SEED = SEEDS / "000_9108b65ab0af5f8f.txt"  # 广东省劳务品牌行动方案 (+ the national guidance)
IMPORT_SEED = SEEDS / "003_719c3a43df115ca9.txt"  # 内蒙古自治区实施方案, imported through the page
# 10:00 in China on a Monday; the seed plans are due at the end of 2025.
START = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)
REPO_ROOT = Path(__file__).resolve().parents[4]
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORDS = {"supervisor": "supervisor-demo", "admin": "admin-demo"}
LIAISON_PASSWORD = "liaison-demo"
T = TypeVar("T")


@dataclass
class LedgerServer:
    """The running ledger: its URL, app, ledger, and a way to run service-layer calls on the
    server's own event loop (the engine and its locks belong to that loop)."""

    base_url: str
    app: Any
    ledger: Ledger
    clock: ManualClock
    loop: asyncio.AbstractEventLoop
    plan_id: str = ""

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def user(self, user_id: str) -> User:
        async def get() -> User:
            async with self.ledger.reading() as conn:
                found = await repo.get_user(conn, user_id)
            assert found is not None, user_id
            return found

        return self.call(get())

    @property
    def supervisor(self) -> User:
        return self.user(directory.SUPERVISOR_ID)

    def liaison_username(self, department_id: str) -> str:
        """The department's demo liaison's (readable) username."""
        return self.liaison(department_id).username

    def liaison(self, department_id: str) -> User:
        return self.user(directory.liaison_user_id(department_id))

    def task(self, task_id: str) -> Task:
        async def get() -> Task:
            async with self.ledger.reading() as conn:
                found = await repo.get_task(conn, task_id)
            assert found is not None
            return found

        return self.call(get())

    def department_id(self, name: str) -> str:
        async def get() -> str:
            async with self.ledger.reading() as conn:
                row = (
                    await conn.execute(
                        select(t.departments.c.id).where(t.departments.c.name == name)
                    )
                ).first()
            assert row is not None, name
            return str(row.id)

        return self.call(get())

    def rows(self, query: Any) -> list[Any]:
        async def get() -> list[Any]:
            async with self.ledger.reading() as conn:
                return list((await conn.execute(query)).all())

        return self.call(get())

    def fresh_task(
        self, to: str = "acknowledged", lead: str = "广东省人力资源和社会保障厅"
    ) -> Task:
        """A draft task of the seeded plan led by `lead`, dispatched (and acknowledged, and
        started) for one test, so tests never share a task."""
        sup = self.supervisor
        lead_id = self.department_id(lead)
        lead_user = self.liaison(lead_id)

        async def prepare() -> Task:
            async with self.ledger.reading() as conn:
                drafts = await repo.list_tasks(
                    conn, repo.TaskFilter(plan_id=self.plan_id, status=TaskStatus.DRAFT)
                )
            task = next(d for d in drafts if d.lead_department_ids == (lead_id,))
            await h.dispatch(self.ledger, sup, task.id)
            if to in ("acknowledged", "in_progress"):
                await h.acknowledge(self.ledger, lead_user, task.id)
                if to == "in_progress":
                    await h.start(self.ledger, lead_user, task.id)
            return task

        task = self.call(prepare())
        return self.task(task.id)

    plan_id: str = ""


def _serve(server: uvicorn.Server, holder: dict[str, Any]) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    holder["loop"] = loop
    try:
        loop.run_until_complete(server.serve())
    finally:
        loop.close()


@pytest.fixture(scope="session")
def ledger_server(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LedgerServer]:
    tmp = tmp_path_factory.mktemp("web-ledger")
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'ledger.db'}",
        upload_dir=str(tmp / "uploads"),
        kafka_bootstrap_servers=kafka_bootstrap,
        consumer_group=f"web-test-{uuid.uuid4().hex[:8]}",
        argon2_time_cost=1,
        argon2_memory_cost=1024,
        environment="test",
        password_policy=False,  # the page tests' users; test_ledger_passwords_and_headers.py runs the default
        secret_key="web-test-secret-" + uuid.uuid4().hex,
        max_attachment_bytes=1024 * 1024,
        # Topics are shared by the whole test session and task and user ids derive from the
        # seed documents, so other tests' reminders and escalations would land on these very
        # tasks and inboxes. The broker and the outbox relay run; the inbound path is driven
        # through `inbound.handle_batch`, the function the consumers call.
        run_consumers=False,
    )
    clock = ManualClock(START)
    ledger = Ledger(settings, clock)
    app = create_app(settings, ledger=ledger)  # background: broker, consumers, outbox relay
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **UVICORN_OPTIONS
    )
    server = uvicorn.Server(config)
    holder: dict[str, Any] = {}
    thread = threading.Thread(target=_serve, args=(server, holder), daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "the ledger did not start"
        assert time.monotonic() < deadline, "the ledger did not start within 60 s"
        time.sleep(0.05)
    running = LedgerServer(f"http://127.0.0.1:{port}", app, ledger, clock, holder["loop"])

    sup = running.supervisor

    async def seed() -> str:
        preview = await imports.upload(ledger, sup, PLAN_SEED.name, PLAN_SEED.read_bytes())
        await imports.confirm(ledger, sup, preview["import_id"])
        return str(preview["documents"][0]["plan_id"])

    running.plan_id = running.call(seed())
    yield running
    server.should_exit = True
    thread.join(timeout=30)


# Module scope: Playwright's sync API keeps an event loop marked running in this thread while
# it lives, which would break every asyncio test that runs after the page tests.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is required at /usr/bin/chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def fresh_security_state(ledger_server: LedgerServer) -> Iterator[None]:
    """Throttling counts per address and every test comes from 127.0.0.1: start clean."""
    web = ledger_server.app.state.web
    idle = web.idle_timeout
    ledger_server.call(ledger_server.app.state.auth.reset_throttle())
    yield
    web.idle_timeout = idle
    ledger_server.call(ledger_server.app.state.auth.reset_throttle())


@dataclass
class Browsers:
    """Browser contexts of one test. Signed-in sessions are reused across tests (storage
    state) because a login through the form costs seconds in a software-rendered browser;
    tests of login, logout and timeouts sign in afresh."""

    browser: Browser
    server: LedgerServer
    states: dict[str, Any]
    contexts: list[BrowserContext] = field(default_factory=list)

    def new(self, mobile: bool = False, state: Any = None) -> Page:
        viewport = {"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900}
        context = self.browser.new_context(
            base_url=self.server.base_url,
            viewport=viewport,
            locale="zh-CN",
            accept_downloads=True,
            is_mobile=mobile,
            has_touch=mobile,
            storage_state=state,
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        return context.new_page()

    def login(
        self, username: str, password: str | None = None, mobile: bool = False, fresh: bool = False
    ) -> Page:
        if not fresh and username in self.states:
            page = self.new(mobile, self.states[username])
            page.goto("/")
            return page
        page = self.new(mobile)
        login(page, username, password)
        if not fresh:
            self.states[username] = page.context.storage_state()
        return page


def login(page: Page, username: str, password: str | None = None) -> None:
    if password is None:
        password = PASSWORDS.get(username, LIAISON_PASSWORD)
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/(\?.*)?$"))


@pytest.fixture(scope="session")
def login_states() -> dict[str, Any]:
    return {}


@pytest.fixture
def browsers(
    browser: Browser,
    ledger_server: LedgerServer,
    login_states: dict[str, Any],
    fresh_security_state: None,
) -> Iterator[Browsers]:
    b = Browsers(browser, ledger_server, login_states)
    yield b
    for context in b.contexts:
        context.close()


@pytest.fixture(scope="session")
def shot() -> Callable[[Page, str], Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
