"""Tra cứu theo số định danh with an enterprise code (mã số doanh nghiệp: 10 digits; a branch
adds -NNN). An enterprise's business registration certificate (issued 20/04/2021, never
expires) and a building permit it held for 12 months (from 15/05/2023): typed as printed, or
with spaces and dots, the code finds the certificate as valid today and the permit as expired
on 15/05/2024, each card showing the enterprise code beside the person named (the
certificate's owner is its legal representative); on a day of 2023 both are valid; before
the certificate, none. The branch's code (…-001) finds the branch's own certificate, not the
head office's. A well-formed code
nobody holds says so; a malformed one gets the Vietnamese message and asks nothing of the
server."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import AGENCY, Person, sign_in
from tests.browser.scans import HEADING, scan_png
from tests.browser.stack import Stack

CODE, BRANCH = "5100123456", "5100123456-001"
REPRESENTATIVE = ["3. Người đại diện theo pháp luật", "Họ và tên: HOÀNG VĂN PÁO",
                  "Giới tính: Nam Sinh ngày: 03/08/1988",
                  "Số định danh cá nhân: 002088001122"]  # Hà Giang, male, born 1988
OFFICE = ["SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "TỈNH HÀ GIANG", *HEADING]
CERTIFICATE = [*OFFICE, "Hà Giang, ngày 20 tháng 04 năm 2021", "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP",
               f"Mã số doanh nghiệp: {CODE}", "Đăng ký lần đầu: ngày 20 tháng 04 năm 2021",
               "1. Tên công ty: CÔNG TY TNHH CHÈ YÊN PHÚ", "2. Địa chỉ: thôn Nà Sài, xã Yên Phú", *REPRESENTATIVE]
BRANCH_CERTIFICATE = [*OFFICE, "Hà Giang, ngày 09 tháng 09 năm 2022", "GIẤY CHỨNG NHẬN ĐĂNG KÝ",
                      "HOẠT ĐỘNG CHI NHÁNH", f"Mã số chi nhánh: {BRANCH}", "1. Tên chi nhánh: CHI NHÁNH BẮC MÊ",
                      "2. Địa chỉ: tổ 1, xã Yên Phú", *REPRESENTATIVE]
PERMIT = ["UBND HUYỆN BẮC MÊ", "Số: 77/GPXD", *HEADING, "Bắc Mê, ngày 15 tháng 05 năm 2023", "GIẤY PHÉP XÂY DỰNG",
          "Cấp cho: CÔNG TY TNHH CHÈ YÊN PHÚ", f"Mã số doanh nghiệp: {CODE}", "Giấy phép có hiệu lực trong thời hạn",
          "12 tháng kể từ ngày cấp."]
BAD_ID = "Số này không đúng dạng: cần 12 số, 9 số, hoặc 10 số (có thể thêm -001)."


@pytest.fixture(scope="module")
def enterprise(stack: Stack, people: dict[str, Person]) -> None:
    """The enterprise's three papers, read."""
    files = [("files", (name, scan_png(lines), "image/png")) for name, lines in (
        ("gcn-dang-ky-doanh-nghiep.png", CERTIFICATE), ("gcn-chi-nhanh.png", BRANCH_CERTIFICATE),
        ("gpxd-nha-xuong.png", PERMIT))]
    with stack.client() as api:
        batch = api.post("/api/v1/batches", data={"agency_code": AGENCY, "procedure_code": "2.001610"},
                         files=files).json()["batch_id"]
        deadline = time.monotonic() + 180
        while api.get(f"/api/v1/batches/{batch}").json()["status"] != "done":
            assert time.monotonic() < deadline, "the enterprise's papers were not read within 180 s"
            time.sleep(0.5)


def look_up(page: Page, code: str, day: str = "") -> None:
    page.get_by_label("Số định danh / CMND / mã số doanh nghiệp").fill(code)
    page.get_by_label("Còn hiệu lực vào ngày").fill(day)
    page.get_by_role("button", name="Tra cứu", exact=True).click()


def cards(page: Page, valid: bool) -> Locator:
    return page.locator(f"#lookup-result article[data-valid={str(valid).lower()}]")


def pair(card: Locator, label: str) -> Locator:
    """The value shown beside ``label`` on a record card."""
    return card.locator(f"xpath=.//dt[normalize-space()='{label}']/following-sibling::dd[1]")


def test_an_enterprise_code_finds_the_enterprise_s_valid_records(page: Page, people: dict[str, Person],
                                                                 enterprise: None) -> None:
    sign_in(page, people["officer"])
    page.get_by_role("link", name="Tra cứu theo số định danh").click()
    result = page.locator("#lookup-result")
    for typed in (CODE, "5100 123 456", "5100.123.456"):  # as printed, or as read aloud and copied
        look_up(page, typed)
        expect(result.locator("h2").first).to_contain_text("Kết quả còn hiệu lực vào ngày")
        expect(cards(page, True)).to_have_count(1)
        expect(cards(page, True)).to_contain_text("Giấy chứng nhận đăng ký doanh nghiệp")
        expect(cards(page, True)).to_contain_text("20/04/2021")
        expect(cards(page, True)).to_contain_text("Không thời hạn")
        expect(pair(cards(page, True), "Mã số doanh nghiệp")).to_have_text(CODE)  # the code matched, shown
        expect(pair(cards(page, True), "Họ tên")).to_have_text("Hoàng Văn Páo")  # its legal representative
        expect(cards(page, False)).to_have_count(1)
        expect(cards(page, False)).to_contain_text("Giấy phép xây dựng")
        expect(cards(page, False)).to_contain_text("Đã hết hiệu lực ngày 15/05/2024")
        expect(pair(cards(page, False), "Mã số doanh nghiệp")).to_have_text(CODE)  # the enterprise holds it
        expect(page).to_have_url(re.compile(rf"/dinh-danh\?so={CODE}$"))

    look_up(page, CODE, "2023-06-01")  # both papers were valid then
    expect(cards(page, True)).to_have_count(2)
    expect(cards(page, False)).to_have_count(0)
    look_up(page, CODE, "2021-04-19")  # the day before the certificate
    expect(result.locator("#no-valid")).to_have_text("Không có kết quả nào còn hiệu lực vào ngày 19/04/2021.")
    expect(cards(page, False)).to_have_count(2)

    look_up(page, BRANCH)  # the branch has its own certificate
    expect(cards(page, True)).to_have_count(1)
    expect(cards(page, True)).to_contain_text("Giấy chứng nhận đăng ký doanh nghiệp")
    expect(cards(page, True)).to_contain_text("09/09/2022")
    expect(pair(cards(page, True), "Mã số doanh nghiệp")).to_have_text(BRANCH)
    expect(cards(page, False)).to_have_count(0)

    cards(page, True).get_by_role("link").click()  # the record's document opens
    expect(page.locator("h1")).to_have_text("gcn-chi-nhanh.png")


def test_an_unknown_or_malformed_enterprise_code(page: Page, people: dict[str, Person], enterprise: None) -> None:
    sign_in(page, people["officer"], then="/dinh-danh")
    result = page.locator("#lookup-result")
    look_up(page, "5100999999")
    expect(result).to_have_text("Không tìm thấy kết quả nào của số 5100999999.")
    look_up(page, "5100999999-002")
    expect(result).to_have_text("Không tìm thấy kết quả nào của số 5100999999-002.")

    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/api/v1/records" in request.url else None)
    for bad in ("51001234", "510012345678-001", "5100123456-01", "5100123456-0011", "5100-123456", "MST5100123456",
                "5100123456/001"):
        page.get_by_label("Số định danh / CMND / mã số doanh nghiệp").fill("")
        look_up(page, bad)
        expect(result).to_have_text(BAD_ID)
        expect(result.get_by_role("alert")).to_be_visible()
        expect(page.get_by_label("Số định danh / CMND / mã số doanh nghiệp")).to_be_focused()
    assert asked == [], asked  # refused in the browser, with the same words the server would give
