"""Browser tests: Debian's Chromium, driven headless by Playwright, against one real sohoa
stack (API, worker with Tesseract, Redis) for the whole session. Everything here carries the
``browser`` mark (``pytest -m browser`` runs them alone, ``-m "not browser"`` skips them).

One browser and one stack serve every test; each test gets a fresh browser context (its own
cookies and localStorage, as a different office PC would). Every page a test opens records
Content-Security-Policy violations and script errors, and the test fails if there is one.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize, sync_playwright

from tests.browser.stack import Stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run"]
DESKTOP: ViewportSize = {"width": 1366, "height": 768}
PHONE: ViewportSize = {"width": 390, "height": 844}
AGENCY = "UBND-BACME"
PASSWORD = "mật khẩu thử trình duyệt"
# Collects CSP violations and uncaught errors of every page, before any of its scripts runs.
WATCH = """
document.addEventListener('securitypolicyviolation', (e) =>
  window.sohoaProblem('csp: ' + e.violatedDirective + ' ' + e.blockedURI));
window.addEventListener('error', (e) => window.sohoaProblem('error: ' + e.message));
window.addEventListener('unhandledrejection', (e) => window.sohoaProblem('rejection: ' + e.reason));
window.alert = (m) => window.sohoaProblem('alert: ' + m);
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@dataclass(frozen=True)
class Person:
    username: str
    password: str
    display_name: str
    role: str


# Pages below 99 % mean OCR confidence are flagged for review here (every clean generated
# page too), so the review screens have work; failed sign-ins answer without delay.
STACK_ENV = {"SOHOA_OCR_LOW_CONFIDENCE": "99", "SOHOA_SIGNIN_FAILURE_DELAY_SECONDS": "0",
             "SOHOA_SIGNIN_MAX_FAILURES": "3", "SOHOA_SIGNIN_MAX_FAILURES_PER_ADDRESS": "100"}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("webapp"), STACK_ENV)
    running.start()
    yield running
    running.stop()


def _choose_password(base: str, username: str, one_time: str, password: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as browser:
        signed = browser.post("/api/v1/session", json={"username": username, "password": one_time})
        assert signed.status_code == 201, signed.text
        changed = browser.put("/api/v1/session/password", headers={"X-CSRF-Token": signed.json()["csrf_token"]},
                              json={"current_password": one_time, "new_password": password})
        assert changed.status_code == 200, changed.text


def add_person(stack: Stack, username: str, display_name: str, role: str, agency: str | None = AGENCY) -> Person:
    """A new account (through the admin API) whose one-time password is already replaced."""
    with stack.client() as api:
        created = api.post("/api/v1/users", json={"username": username, "display_name": display_name, "role": role,
                                                  "agency": agency})
    assert created.status_code == 201, created.text
    _choose_password(stack.base, username, created.json()["password"], PASSWORD)
    return Person(username, PASSWORD, display_name, role)


@pytest.fixture(scope="session")
def people(stack: Stack) -> dict[str, Person]:
    return make_people(stack)


def make_people(stack: Stack) -> dict[str, Person]:
    """The first admin (its one-time password replaced) and a clerk and an officer of one agency."""
    _choose_password(stack.base, "admin", stack.admin_password, PASSWORD)
    found = {"admin": Person("admin", PASSWORD, "Quản trị viên", "admin")}
    for role, name in (("clerk", "Lò Thị Mai"), ("officer", "Hà Văn Tùng")):
        found[role] = add_person(stack, f"{role}1", name, role)
    return found


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (scripts/install-system.sh test)")
    launched = launch(playwright)
    yield launched
    launched.close()


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless: Playwright never downloads a browser here."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)


PROBLEMS: dict[int, list[str]] = {}  # id(context) → what its pages reported


def new_context(browser: Browser, stack: Stack, viewport: ViewportSize = DESKTOP) -> BrowserContext:
    """A context whose pages report CSP violations, script errors and alert() calls to
    ``problems_of(context)`` (an exposed function: it survives navigations and reloads)."""
    context = browser.new_context(base_url=stack.base, viewport=viewport, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh", accept_downloads=True)
    found = PROBLEMS.setdefault(id(context), [])
    context.expose_function("sohoaProblem", lambda problem: found.append(str(problem)))
    context.add_init_script(WATCH)
    context.set_default_timeout(30_000)
    return context


def problems_of(context: BrowserContext) -> list[str]:
    return PROBLEMS.get(id(context), [])


@pytest.fixture
def context(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    made = new_context(browser, stack)
    yield made
    problems = list(problems_of(made))
    made.close()
    PROBLEMS.pop(id(made), None)
    assert problems == [], problems


@pytest.fixture
def page(context: BrowserContext) -> Page:
    opened = context.new_page()
    opened.on("dialog", lambda dialog: dialog.accept())
    return opened


def sign_in(page: Page, person: Person, *, then: str | None = None) -> None:
    """Through the sign-in screen, as a person would."""
    page.goto(then or "/")
    page.wait_for_selector("#signin-message", state="attached")
    page.get_by_label("Tên đăng nhập").fill(person.username)
    page.get_by_label("Mật khẩu", exact=True).fill(person.password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_selector("#who-name")


def sign_out(page: Page) -> None:
    page.click("#sign-out")
    page.wait_for_selector("#signin-message", state="attached")
