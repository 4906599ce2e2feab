"""A working day through the web app, in a real browser on a real stack: a clerk signs in and
uploads three scans (one is not a scan), reloads the page in the middle, picks the files again
and the upload goes on; the batch list shows the work after the reload; an officer finds the
person by a name typed without diacritics, opens the document (page image, hit highlighted),
corrects a field in the review queue, looks the person up by ID; the admin creates an account,
whose owner signs in, changes the one-time password and signs out."""

from __future__ import annotations

import re
import time

from playwright.sync_api import BrowserContext, CDPSession, Page, expect

from tests.browser.conftest import AGENCY, Person, sign_in, sign_out
from tests.browser.scans import CCCD, CERTIFICATE, OWNER, PERMIT, XSS_NAME, scan_png
from tests.browser.stack import Stack

MB = 1024 * 1024


def throttle(cdp: CDPSession, *, upload: int = -1, download: int = -1, latency: int = 0,
             offline: bool = False) -> None:
    """Chromium's own network emulation (bytes per second; -1 = unlimited)."""
    cdp.send("Network.emulateNetworkConditions", {"offline": offline, "latency": latency,
                                                  "downloadThroughput": download, "uploadThroughput": upload})


def file_row(page: Page, name: str):
    return page.locator("#file-list li", has_text=name)


def progress_of(page: Page, name: str) -> int:
    return int(file_row(page, name).locator("progress").get_attribute("value") or 0)


def step(page: Page, name: str) -> None:
    """Progress of the journey in the test output, and a screenshot under /tmp (not the repo)."""
    print(f"[{time.strftime('%H:%M:%S')}] {name}", flush=True)
    page.screenshot(path=f"/tmp/sohoa-webapp-{name}.png", full_page=True)


def wait_until(check, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_working_day(context: BrowserContext, page: Page, stack: Stack, people: dict[str, Person], tmp_path) -> None:
    clerk, officer, admin = people["clerk"], people["officer"], people["admin"]
    certificate = tmp_path / "giay-chung-nhan-hkd.png"
    certificate.write_bytes(scan_png(CERTIFICATE, size=3 * MB // 2))
    permit = tmp_path / "giay-phep-xay-dung.png"
    permit.write_bytes(scan_png(PERMIT, size=3 * MB // 2))
    bad = tmp_path / XSS_NAME
    bad.write_text("không phải ảnh quét")

    # --- Đăng nhập: the clerk's name, role and agency stay in view ---------------------------
    sign_in(page, clerk)
    expect(page.locator("#who-name")).to_have_text(clerk.display_name)
    expect(page.locator("#who-role")).to_have_text("Cán bộ số hóa")
    expect(page.locator("#who-agency")).to_contain_text(AGENCY)
    expect(page.locator("#nav")).not_to_contain_text("Tra cứu")  # a clerk's menu: upload and batches only
    expect(page).to_have_url(re.compile(r"/tai-len$"))

    step(page, "signed-in")

    # --- Tải lên: three files on a slow line, a reload in the middle --------------------------
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    throttle(cdp, upload=150_000)
    page.get_by_label("Mã thủ tục").fill("1.001612")
    page.locator("#pick-files").set_input_files([str(certificate), str(permit), str(bad)])
    expect(page.locator("#file-count")).to_contain_text("3 tệp")
    send = page.locator("#send")
    send.click()
    expect(send).to_be_disabled()  # a second click cannot open a second batch
    wait_until(lambda: progress_of(page, certificate.name) >= 20, what="the first file to be on its way")
    step(page, "uploading")
    expect(file_row(page, certificate.name)).to_contain_text("/giây")  # speed and time left shown
    page.reload()
    expect(page.locator("#pending")).to_contain_text(certificate.name)  # the unfinished batch is remembered
    page.locator("#pick-files").set_input_files([str(certificate), str(permit), str(bad)])
    step(page, "picked-again")
    # still on the slow line: on a fast one the rest is sent before this can be seen
    expect(file_row(page, certificate.name)).to_contain_text("Gửi tiếp từ", timeout=20_000)
    throttle(cdp)
    expect(page.locator("#upload-result")).to_have_text("Đã nhận 2 tệp, bị từ chối 1 tệp.", timeout=60_000)
    rejected = page.locator("#rejected-list")
    expect(rejected).to_contain_text(XSS_NAME)  # the name is text, never markup
    expect(rejected).to_contain_text("Không phải tệp quét được hỗ trợ")
    assert page.locator("#rejected-list img").count() == 0
    batch_href = page.locator("#open-batch").get_attribute("href")
    assert batch_href and batch_href.startswith("/lo/")
    batch_id = batch_href.rsplit("/", 1)[1]
    with stack.client() as api:
        batch = api.get(f"/api/v1/batches/{batch_id}").json()
    assert batch["total"] == 3, batch  # one batch, each file once, despite the reload
    assert sorted(d["filename"] for d in batch["documents"]) == sorted([certificate.name, permit.name, XSS_NAME])

    step(page, "uploaded")

    # --- Lô hồ sơ: after a reload, live until read; flagged pages are not plain success -------
    page.reload()
    page.get_by_role("link", name="Lô hồ sơ").click()
    first = page.locator("#batch-list li").first
    expect(first).to_contain_text("1.001612")
    first.locator("a").click()
    docs = page.locator("#batch-docs")
    expect(docs.locator("li[data-state=review]")).to_have_count(2, timeout=120_000)  # polled, no reload
    expect(docs.locator("li[data-state=review]").first).to_contain_text("Xong – cần kiểm tra")
    expect(docs.locator("li[data-state=review]").first).to_contain_text("1/1 trang")
    expect(docs.locator("li[data-state=rejected]")).to_contain_text("Không phải tệp quét được hỗ trợ")
    expect(docs.locator("li[data-state=indexed]")).to_have_count(0)
    sign_out(page)

    step(page, "batch")

    # --- Tra cứu: the officer types the name without diacritics -------------------------------
    sign_in(page, officer)
    expect(page).to_have_url(re.compile(r"/tra-cuu$"))
    page.get_by_label("Từ khóa").fill("nguyen van binh")
    page.get_by_label("Từ khóa").press("Enter")
    hits = page.locator("#results li")
    expect(hits.first).to_be_visible()
    expect(page.locator("#results")).to_contain_text("Giấy chứng nhận đăng ký hộ kinh doanh")
    expect(page.locator("#results")).to_contain_text("40G8001234")
    expect(page.locator("#results")).to_contain_text("12/03/2025")
    marks = page.locator("#results mark")
    assert marks.count() >= 2 and "NGUY" in marks.first.inner_text().upper()
    expect(page.locator("#results img.thumb").first).to_have_js_property("complete", True)
    assert page.locator("#doc_type, select[name=doc_type] option").count() >= 2  # facet counts offered

    step(page, "search")

    # --- Xem hồ sơ: the page image, the hit boxed on it and marked in the text ----------------
    hits.filter(has_text="40G8001234").first.locator("h2 a").click()
    image = page.locator(".page-image")
    wait_until(lambda: image.evaluate("img => img.complete && img.naturalWidth > 0"), what="the page image")
    expect(page.locator("#hit-count")).to_contain_text(re.compile(r"[1-9]\d* chỗ khớp"))
    assert page.locator(".boxes .box").count() >= 2
    expect(page.locator("#ocr-text mark").first).to_be_visible()
    expect(page.locator("#records")).to_contain_text("Còn hiệu lực")
    expect(page.locator("#download-original")).to_have_attribute("href", re.compile(r"/original$"))
    with page.expect_download() as download:
        page.locator("#download-original").click()
    assert download.value.suggested_filename == certificate.name
    page.get_by_role("button", name="Xoay (R)").click()
    page.get_by_role("button", name="Phóng to (+)").click()

    step(page, "document")

    # --- Kiểm tra: correct a field of a low-confidence record, keyboard only ------------------
    page.get_by_role("link", name="Kiểm tra").click()
    expect(page.locator("#review-info")).to_contain_text("hồ sơ đang chờ kiểm tra")
    heading = page.locator("#review-item h2")
    for _ in range(10):  # oldest first: skip to the certificate with Alt+N
        expect(heading).to_be_visible()
        if certificate.name in heading.inner_text():
            break
        shown = heading.inner_text()
        page.keyboard.press("Alt+n")
        expect(heading).not_to_have_text(shown)
    expect(heading).to_contain_text(certificate.name)
    expect(page.locator("#review-item")).to_contain_text("Máy đọc chưa chắc chắn")
    name_box = page.get_by_label("Họ tên")
    expect(name_box).to_be_focused()
    expect(page.locator(".boxes .box-field").first).to_be_attached()  # where the name was read
    before = name_box.input_value()
    name_box.fill("Nguyễn Văn Bính")  # the officer reads the paper and fixes the tone mark
    step(page, "review")
    name_box.press("Enter")
    expect(page.locator("#status")).to_contain_text("Đã lưu hồ sơ")
    with stack.client() as api:
        found = api.get("/api/v1/records", params={"owner_id": CCCD, "doc_type": "gcn_hkd"}).json()
        # other files' tests upload the same certificate to the session's stack: the one this
        # officer corrected is the one with the new name
        (record_id,) = [r["id"] for r in found["records"] if r["owner_name"] == "Nguyễn Văn Bính"]
        history = api.get(f"/api/v1/records/{record_id}/history").json()["corrections"]
        record = api.get(f"/api/v1/records/{record_id}").json()
    assert [(c["field"], c["old_value"], c["new_value"]) for c in history if c["field"] == "owner_name"] == [
        ("owner_name", before, "Nguyễn Văn Bính")]
    assert before.upper() == OWNER
    assert record["review_state"] == "confirmed" and record["owner_name"] == "Nguyễn Văn Bính"

    # --- Tra cứu theo số định danh: one valid result, one expired ----------------------------
    page.get_by_role("link", name="Tra cứu theo số định danh").click()
    page.get_by_label("Số định danh / CMND / mã số doanh nghiệp").fill("001 085 012 345")
    page.get_by_role("button", name="Tra cứu").click()
    result = page.locator("#lookup-result")
    expect(result.locator("article[data-valid=true]")).to_contain_text("Giấy chứng nhận đăng ký hộ kinh doanh")
    expect(result.locator("article[data-valid=false]")).to_contain_text("Đã hết hiệu lực ngày")
    expect(result.locator("article[data-valid=false]")).to_contain_text("Giấy phép xây dựng")
    page.get_by_label("Còn hiệu lực vào ngày").fill("2025-03-11")  # the day before the certificate
    page.get_by_role("button", name="Tra cứu").click()
    expect(result.locator("#no-valid")).to_contain_text("Không có kết quả nào còn hiệu lực vào ngày 11/03/2025")
    page.get_by_label("Số định danh / CMND / mã số doanh nghiệp").fill("012345678")
    page.get_by_role("button", name="Tra cứu").click()
    expect(result).to_contain_text("Không tìm thấy kết quả nào của số 012345678")
    page.goto("/quan-tri")  # an officer typing the admin address is sent home
    expect(page).to_have_url(re.compile(r"/tra-cuu$"))
    sign_out(page)

    step(page, "lookup")

    # --- Quản trị: a new account; its owner signs in and must choose a password ---------------
    sign_in(page, admin)
    page.get_by_role("link", name="Quản trị").click()
    page.get_by_label("Tên đăng nhập").fill("canbo.moi")
    page.get_by_label("Họ tên").fill("Vàng A Chứ")
    page.get_by_label("Vai trò").select_option("officer")
    page.get_by_role("button", name="Tạo tài khoản").click()
    one_time = page.locator("#secret").inner_text()
    assert re.fullmatch(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}", one_time), one_time
    expect(page.locator("#users tr[data-username='canbo.moi']")).to_contain_text("Chưa đổi mật khẩu một lần")
    sign_out(page)
    newcomer = Person("canbo.moi", one_time, "Vàng A Chứ", "officer")
    sign_in(page, newcomer)
    expect(page).to_have_url(re.compile(r"/doi-mat-khau$"))
    expect(page.locator("main")).to_contain_text("Đây là lần đăng nhập đầu")
    page.get_by_label("Mật khẩu hiện tại (hoặc mật khẩu một lần được cấp)").fill(one_time)
    page.get_by_label("Mật khẩu mới", exact=True).fill("ruộng bậc thang mùa lúa chín")
    page.get_by_label("Nhập lại mật khẩu mới").fill("ruộng bậc thang mùa lúa chín")
    page.get_by_role("button", name="Lưu mật khẩu mới").click()
    expect(page).to_have_url(re.compile(r"/tra-cuu$"))
    expect(page.locator("#who-name")).to_have_text("Vàng A Chứ")
    sign_out(page)
    page.goto("/tra-cuu")  # signed out: the screen asks for a sign-in again
    expect(page).to_have_url(re.compile(r"/dang-nhap"))
