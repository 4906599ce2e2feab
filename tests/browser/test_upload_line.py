"""Uploads on a bad line, in the browser: a throttled upload whose line drops in the middle
(Chromium's own network emulation, offline for a few seconds) goes on by itself and ends as
exactly one document; a file cancelled in the middle and sent again ends once too; a double
click opens one batch; the procedure codes the office already used are offered."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import BrowserContext, CDPSession, Locator, Page, expect

from tests.browser.conftest import AGENCY, Person, sign_in
from tests.browser.scans import CERTIFICATE, PERMIT, scan_png
from tests.browser.stack import Stack

MB = 1024 * 1024


def line(cdp: CDPSession, *, upload: int = -1, offline: bool = False, latency: int = 0) -> None:
    cdp.send("Network.emulateNetworkConditions", {"offline": offline, "latency": latency,
                                                  "downloadThroughput": -1, "uploadThroughput": upload})


def row(page: Page, name: str) -> Locator:
    return page.locator("#file-list li", has_text=name)


def progress(page: Page, name: str) -> int:
    return int(row(page, name).locator("progress").get_attribute("value") or 0)


def wait_for(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def batch_of(page: Page, stack: Stack) -> dict:
    href = page.locator("#open-batch").get_attribute("href")
    assert href and href.startswith("/lo/")
    with stack.client() as api:
        return api.get(f"/api/v1/batches/{href.rsplit('/', 1)[1]}").json()


def clerk_batches(stack: Stack) -> int:
    with stack.client() as api:
        return int(api.get("/api/v1/batches", params={"size": 1}).json()["total"])


def test_a_dropped_line_mid_upload_ends_as_exactly_one_document(context: BrowserContext, page: Page, stack: Stack,
                                                                 people: dict[str, Person], tmp_path: Path) -> None:
    scan = tmp_path / "giay-phep-mat-mang.png"
    scan.write_bytes(scan_png(PERMIT, size=2 * MB))
    sign_in(page, people["clerk"])
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    line(cdp, upload=50_000, latency=400)  # 400 kbit/s, 400 ms
    page.locator("#pick-files").set_input_files(str(scan))
    page.locator("#send").click()
    wait_for(lambda: progress(page, scan.name) >= 30, "a third of the file to be stored")
    line(cdp, offline=True)  # the line drops: the chunk in flight is lost
    time.sleep(4)
    line(cdp, upload=50_000, latency=400)
    expect(row(page, scan.name)).to_contain_text("Đã nhận", timeout=120_000)
    batch = batch_of(page, stack)
    assert batch["total"] == 1 and [d["filename"] for d in batch["documents"]] == [scan.name], batch
    with stack.client() as api:
        documents = api.get("/api/v1/documents", params={"batch_id": batch["id"]}).json()
    assert documents["total"] == 1, documents


def test_cancel_then_retry_a_file_and_a_double_click_opens_one_batch(context: BrowserContext, page: Page,
                                                                      stack: Stack, people: dict[str, Person],
                                                                      tmp_path: Path) -> None:
    with stack.client() as api:  # a procedure the office used before is offered in the list
        api.post("/api/v1/batches/open", json={"client_key": "truoc-do-1", "agency_code": AGENCY,
                                               "procedure_code": "1.004227"})
    slow = tmp_path / "to-khai-huy.png"
    slow.write_bytes(scan_png(CERTIFICATE, size=2 * MB))
    small = tmp_path / "ban-sao-nho.png"
    small.write_bytes(scan_png(PERMIT))
    sign_in(page, people["clerk"])
    expect(page.locator("#procedure-codes option[value='1.004227']")).to_have_count(1)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    line(cdp, upload=100_000)
    page.get_by_label("Mã thủ tục").fill("1.004227")
    page.locator("#pick-files").set_input_files([str(slow), str(small)])
    before = clerk_batches(stack)
    page.locator("#send").dblclick()
    wait_for(lambda: progress(page, slow.name) >= 10, "the big file to be on its way")
    row(page, slow.name).get_by_role("button", name=f"Hủy gửi tệp {slow.name}").click()
    expect(row(page, slow.name)).to_contain_text("Đã hủy")
    expect(row(page, small.name)).to_contain_text("Đã nhận", timeout=60_000)
    line(cdp)
    row(page, slow.name).get_by_role("button", name=f"Gửi lại tệp {slow.name}").click()
    expect(row(page, slow.name)).to_contain_text("Đã nhận", timeout=60_000)
    expect(page.locator("#upload-result")).to_have_text("Đã nhận 2 tệp, bị từ chối 0 tệp.")
    assert clerk_batches(stack) == before + 1  # the double click opened one batch
    batch = batch_of(page, stack)
    assert batch["procedure_code"] == "1.004227"
    assert sorted(d["filename"] for d in batch["documents"]) == sorted([slow.name, small.name]), batch


def test_files_dropped_on_the_zone_join_the_list_once(page: Page, people: dict[str, Person]) -> None:
    sign_in(page, people["clerk"])
    drop = page.evaluate_handle("""() => {
        const dt = new DataTransfer();
        for (const name of ["to-khai.pdf", "ban-sao.png", ".DS_Store"]) dt.items.add(new File(["x"], name));
        return dt; }""")
    zone = page.locator("#drop-zone")
    zone.dispatch_event("dragenter", {"dataTransfer": drop})
    expect(zone).to_have_class(re.compile("drop-active"))
    zone.dispatch_event("drop", {"dataTransfer": drop})
    expect(page.locator("#file-count")).to_contain_text("2 tệp")  # the hidden file is left out
    zone.dispatch_event("drop", {"dataTransfer": drop})  # the same files again: not listed twice
    expect(page.locator("#file-list li")).to_have_count(2)
    expect(zone).not_to_have_class(re.compile("drop-active"))
