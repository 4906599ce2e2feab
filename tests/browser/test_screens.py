"""Every screen, opened cold as a person would open it the first time: what it weighs on the
wire (compressed, ≤ 200 KB), how long it takes on a 400 kbit/s line with 400 ms latency, that
at 390×844 nothing scrolls sideways and touch targets are ≥ 40 px, that axe-core finds no
serious or critical problem, and that the server sends its Content-Security-Policy. The
figures are printed for the lead to paste (``pytest -m browser -s``)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from tests.browser.conftest import DESKTOP, PHONE, Person, new_context, problems_of
from tests.browser.scans import CCCD, CERTIFICATE, scan_png
from tests.browser.stack import Stack

BUDGET_BYTES = 200 * 1024
SLOW_LINE: dict[str, object] = {"offline": False, "latency": 400,  # 400 kbit/s = 50 000 bytes/s each way
                                "downloadThroughput": 50_000, "uploadThroughput": 50_000}
TARGETS = ("button:visible, select:visible, input:not([type=checkbox]):visible, nav a:visible, .button:visible, "
           ".chip:visible")
FIGURES: list[str] = []


@dataclass(frozen=True)
class Screen:
    name: str
    path: str
    ready: str  # a selector that appears once the screen shows its data
    signed_in: bool = True


@pytest.fixture(scope="module")
def sample(stack: Stack, people: dict[str, Person]) -> dict[str, str]:
    """One read document in its own batch (through the API: this module tests screens)."""
    with stack.client() as api:
        created = api.post("/api/v1/batches", data={"agency_code": "UBND-BACME", "procedure_code": "1.001612"},
                           files=[("files", ("mau.png", scan_png(CERTIFICATE), "image/png"))]).json()
        batch = created["batch_id"]
        deadline = time.monotonic() + 120
        while api.get(f"/api/v1/batches/{batch}").json()["status"] != "done":
            assert time.monotonic() < deadline, "the sample was not read within 120 s"
            time.sleep(0.5)
    return {"batch": batch, "document": created["documents"][0]["id"]}


def screens(sample: dict[str, str]) -> list[Screen]:
    doc, batch = sample["document"], sample["batch"]
    return [
        Screen("Đăng nhập", "/dang-nhap", "#signin-message", signed_in=False),
        Screen("Đổi mật khẩu", "/doi-mat-khau", "#password-message"),
        Screen("Tải lên", "/tai-len", "#file-count"),
        Screen("Lô hồ sơ", "/lo?ai=agency", "#batch-list li"),
        Screen("Chi tiết lô", f"/lo/{batch}", "#batch-docs li"),
        Screen("Tra cứu", "/tra-cuu?q=nguyen+van+binh", "#results li img.thumb"),
        Screen("Xem hồ sơ", f"/ho-so/{doc}?trang=1&q=nguyen+van+binh", "#hit-count"),
        Screen("Kiểm tra", "/kiem-tra", "#review-item h2"),
        Screen("Tra cứu theo số định danh", f"/dinh-danh?so={CCCD}", "#lookup-result article"),
        Screen("Quản trị: người dùng", "/quan-tri", "#users tr"),
        Screen("Quản trị: khóa API", "/quan-tri?muc=keys", "#keys tr"),
        Screen("Quản trị: nhật ký", "/quan-tri?muc=audit", "#audit tr"),
    ]


@pytest.fixture
def cold(browser: Browser, stack: Stack) -> Iterator[list[BrowserContext]]:
    """Fresh contexts (empty cache, no cookie) made by a test; their pages must report no problem."""
    made: list[BrowserContext] = []
    yield made
    problems = [p for c in made for p in problems_of(c)]
    for context in made:
        context.close()
    assert problems == [], problems


def open_cold(browser: Browser, stack: Stack, made: list[BrowserContext], screen: Screen, person: Person,
              viewport: ViewportSize, line: dict[str, object] | None = None) -> tuple[Page, int, float]:
    """Open ``screen`` in a new context; (page, bytes on the wire, seconds to ready)."""
    context = new_context(browser, stack, viewport)
    made.append(context)
    if screen.signed_in:
        signed = context.request.post("/api/v1/session",
                                      data={"username": person.username, "password": person.password})
        assert signed.status == 201, signed.text()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if line:
        cdp.send("Network.emulateNetworkConditions", line)
    received: dict[str, int] = {}
    cdp.on("Network.loadingFinished", lambda e: received.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    start = time.monotonic()
    page.goto(screen.path)
    page.wait_for_selector(screen.ready, state="attached", timeout=60_000)
    # Polled from here: wait_for_function evaluates a string in the page, which the CSP refuses.
    deadline = time.monotonic() + 60
    while not page.evaluate("[...document.images].every((i) => i.complete)"):
        assert time.monotonic() < deadline, f"{screen.name}: images still loading after 60 s"
        time.sleep(0.05)
    ready = time.monotonic() - start
    page.wait_for_load_state("networkidle")
    return page, sum(received.values()), ready


def test_every_screen_is_light_fits_a_phone_and_passes_axe(browser: Browser, stack: Stack, people: dict[str, Person],
                                                            sample: dict[str, str], cold: list[BrowserContext]) -> None:
    admin = people["admin"]
    axe = Axe()
    rows = []
    for screen in screens(sample):
        page, weight, _ = open_cold(browser, stack, cold, screen, admin, PHONE)
        assert weight <= BUDGET_BYTES, f"{screen.name}: {weight} bytes"
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"{screen.name} scrolls sideways by {wide}px at 390×844"
        small = page.eval_on_selector_all(TARGETS, """els => els
            .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
            .filter(([, r]) => r.width > 1 && (r.height < 40 || r.width < 40)).map(([h]) => h)""")
        assert small == [], f"{screen.name}: touch targets under 40 px: {small}"
        shot = screen.path.strip("/").split("?")[0].replace("/", "-") or "home"
        page.screenshot(path=f"/tmp/sohoa-webapp-phone-{shot}.png", full_page=True)
        found = axe.run(page).response["violations"]
        serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found
                   if v["impact"] in ("serious", "critical")]
        assert serious == [], f"{screen.name}: {serious}"
        minor = sorted({v["id"] for v in found})
        _, desktop_weight, slow = open_cold(browser, stack, cold, screen, admin, DESKTOP, SLOW_LINE)
        rows.append(f"| {screen.name} | `{screen.path.split('?')[0][:24]}` | {weight / 1024:.1f} | "
                    f"{desktop_weight / 1024:.1f} | {slow:.1f} | {len(serious)} | {', '.join(minor) or '–'} |")
    FIGURES[:] = ["| Screen | Path | KB at 390×844 (cold) | KB at 1366×768 (cold) | s to ready at 400 kbit/s, 400 ms |"
                  " serious/critical axe | other axe findings |", "|---|---|---|---|---|---|---|", *rows]
    print("\n" + "\n".join(FIGURES))


def test_the_server_sends_a_strict_content_security_policy(stack: Stack) -> None:
    with stack.client() as api:
        shell = api.get("/tra-cuu")
        found = re.search(r'<script type="module" src="([^"]+)"', shell.text)
        assert found, shell.text
        script = api.get(found.group(1))
    csp = shell.headers["content-security-policy"]
    for rule in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                 "object-src 'none'", "require-trusted-types-for 'script'"):
        assert rule in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "<script>" not in shell.text and " style=" not in shell.text  # nothing inline to allow
    assert shell.headers["cache-control"] == "no-cache"
    assert script.status_code == 200 and "immutable" in script.headers["cache-control"]
