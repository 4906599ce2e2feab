"""Tra cứu with more results than a page: a name typed without diacritics finds every page of
the person, ten a page with a next page; the filters carry the counts of the current words
(document type, issue year) and narrow the list; sorting by issue date puts the newest first;
the address holds the search (a reload shows the same page). Xem hồ sơ from a hit: the page
thumbnails, the searchable PDF link."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Person, sign_in
from tests.browser.scans import CCCD, CERTIFICATE, OWNER, PERMIT, scan_png
from tests.browser.stack import Stack

NAME, ID = "TRẦN THỊ HOA", "079190001234"
CERTIFICATES, PERMITS = 6, 5


def lines_of(template: list[str]) -> list[str]:
    return [line.replace(OWNER, NAME).replace(CCCD, ID) for line in template]


@pytest.fixture(scope="module")
def eleven(stack: Stack, people: dict[str, Person]) -> str:
    """Six certificates (issued 2025) and five permits (2023) of one person, read."""
    files = [("files", (f"gcn-{i}.png", scan_png(lines_of(CERTIFICATE)), "image/png")) for i in range(CERTIFICATES)]
    files += [("files", (f"gpxd-{i}.png", scan_png(lines_of(PERMIT)), "image/png")) for i in range(PERMITS)]
    with stack.client() as api:
        batch = api.post("/api/v1/batches", data={"agency_code": "UBND-BACME", "procedure_code": "1.001612"},
                         files=files).json()["batch_id"]
        deadline = time.monotonic() + 240
        while api.get(f"/api/v1/batches/{batch}").json()["status"] != "done":
            assert time.monotonic() < deadline, "the eleven scans were not read within 240 s"
            time.sleep(0.5)
    return batch


def test_paging_facets_filters_and_sort(page: Page, people: dict[str, Person], eleven: str) -> None:
    sign_in(page, people["officer"])
    page.get_by_label("Từ khóa").fill("tran thi hoa")
    page.get_by_role("button", name="Tìm", exact=True).click()
    info, hits = page.locator("#search-info"), page.locator("#results li")
    expect(info).to_have_text("Tìm thấy 11 trang phù hợp.")
    expect(hits).to_have_count(10)
    expect(page.locator(".pager")).to_contain_text("Trang 1/2")
    page.get_by_role("link", name="Trang sau ›").click()
    expect(hits).to_have_count(1)
    expect(page.locator(".pager")).to_contain_text("Trang 2/2")
    page.reload()  # the address holds the words and the page
    expect(hits).to_have_count(1)
    expect(page.get_by_label("Từ khóa")).to_have_value("tran thi hoa")

    page.get_by_text("Lọc kết quả").click()
    doc_type, year = page.get_by_label("Loại giấy tờ"), page.get_by_label("Năm cấp")
    expect(doc_type.locator("option")).to_contain_text(["Tất cả", re.compile(r"\(6\)$"), re.compile(r"\(5\)$")])
    expect(year.locator("option")).to_have_text(["Tất cả", "2025 (6)", "2023 (5)"])
    doc_type.select_option("giay_phep_xay_dung")
    page.get_by_role("button", name="Áp dụng bộ lọc").click()
    expect(info).to_have_text("Tìm thấy 5 trang phù hợp.")
    expect(hits).to_have_count(5)
    for text in hits.all_inner_texts():
        assert "Giấy phép xây dựng" in text and "12/03/2023" in text, text
    page.get_by_role("link", name="Bỏ lọc").click()
    expect(info).to_have_text("Tìm thấy 11 trang phù hợp.")

    page.get_by_label("Sắp xếp").select_option("issue_date")
    expect(page).to_have_url(re.compile(r"sort=issue_date"))
    expect(hits).to_have_count(10)
    dates = [m.group(1) for text in hits.all_inner_texts() if (m := re.search(r"Ngày cấp: (\d\d/\d\d/\d{4})", text))]
    assert dates == ["12/03/2025"] * 6 + ["12/03/2023"] * 4, dates

    hits.first.locator("h2 a").click()
    expect(page.locator("#thumbs img")).to_have_count(1)
    expect(page.locator("#download-pdf")).to_have_attribute("href", re.compile(r"/searchable\.pdf$"))
    marked = page.locator("#ocr-text mark").all_inner_texts()  # folded words match too ("CỘNG HÒA")
    assert "TRẦN" in marked and "HOA" in marked, marked
