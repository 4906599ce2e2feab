"""Every screen of the web app with the selector that says it shows its data, and how to open
one cold (new context: empty cache, no cookie) while counting the bytes on the wire and the
seconds until it is ready, optionally on an emulated slow line. Used by the screens test and
by ``bench/webapp_screens.py``."""

from __future__ import annotations

import time
from dataclasses import dataclass

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from tests.browser.conftest import Person, new_context
from tests.browser.scans import CCCD, CERTIFICATE, scan_png
from tests.browser.stack import Stack

BUDGET_BYTES = 200 * 1024
IMAGES_DEADLINE = 60  # s: a cold screen's images on the emulated slow line
SLOW_LINE: dict[str, object] = {"offline": False, "latency": 400,  # 400 kbit/s = 50 000 bytes/s each way
                                "downloadThroughput": 50_000, "uploadThroughput": 50_000}
TARGETS = ("button:visible, select:visible, input:not([type=checkbox]):visible, nav a:visible, .button:visible, "
           ".chip:visible")


@dataclass(frozen=True)
class Screen:
    name: str
    path: str
    ready: str  # a selector that appears once the screen shows its data
    signed_in: bool = True


def read_sample(stack: Stack) -> dict[str, str]:
    """One read document in its own batch, uploaded through the API (the screens need data)."""
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
    deadline = time.monotonic() + IMAGES_DEADLINE
    while not page.evaluate("[...document.images].every((i) => i.complete)"):
        assert time.monotonic() < deadline, f"{screen.name}: images still loading after {IMAGES_DEADLINE} s"
        time.sleep(0.05)
    ready = time.monotonic() - start
    page.wait_for_load_state("networkidle")
    return page, sum(received.values()), ready
