"""Xem hồ sơ opened from a hit deep in a long file: a three-page decision whose list of
households names a person on page 3 only. The hit in Tra cứu says page 3; opening it shows
page 3 first (the first page image the browser asks for is page 3's, its thumbnail is the
current one, the name is boxed on the image and marked in the text), not page 1. A hit on
page 2 of the same file opens page 2; the address holds the page across a reload; going to
page 1 by its thumbnail shows no marks (the words are not there)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import AGENCY, Person, sign_in
from tests.browser.scans import HEADING
from tests.browser.stack import Stack
from tests.integration.workers_support import image_pdf_bytes

FILENAME = "qd-ho-tro-nha-o.pdf"
DECISION = [
    ["UBND HUYỆN BẮC MÊ", "Số: 125/QĐ-UBND", *HEADING, "Bắc Mê, ngày 05 tháng 06 năm 2024", "QUYẾT ĐỊNH",
     "Về việc hỗ trợ kinh phí làm nhà ở", "Điều 1. Hỗ trợ các hộ có tên", "trong danh sách kèm theo."],
    ["Trang 2/3", "DANH SÁCH HỘ ĐƯỢC HỖ TRỢ", "1. Hoàng Văn Páo, thôn Nà Sài", "2. Giàng Thị Mỷ, thôn Lũng Vài",
     "3. Vàng Văn Tủa, thôn Nà Chì"],
    ["Trang 3/3", "4. Sùng Thị Dợ, thôn Pắc Mìa", "5. Lý Seo Chảng, thôn Khuổi Luông", "6. Mua Văn Sính, thôn Bản Đăm",
     "Nơi nhận: Như Điều 3; Lưu: VT."],
]


@pytest.fixture(scope="module")
def decision(stack: Stack, people: dict[str, Person]) -> str:
    """The three-page decision, read (its document id)."""
    with stack.client() as api:
        body = api.post("/api/v1/batches", data={"agency_code": AGENCY, "procedure_code": "1.003005"},
                        files=[("files", (FILENAME, image_pdf_bytes(DECISION), "application/pdf"))]).json()
        deadline = time.monotonic() + 180
        while (batch := api.get(f"/api/v1/batches/{body['batch_id']}").json())["status"] != "done":
            assert time.monotonic() < deadline, "the decision was not read within 180 s"
            time.sleep(0.5)
    assert batch["documents"][0]["pages_total"] == 3, batch
    return str(batch["documents"][0]["id"])


def screen_images(page: Page) -> list[int]:
    """Page numbers of the full-size page images the browser asks for, in order."""
    asked: list[int] = []

    def seen(request: Request) -> None:
        if found := re.search(r"/pages/(\d+)/image\?size=screen", request.url):
            asked.append(int(found.group(1)))

    page.on("request", seen)
    return asked


def search(page: Page, words: str) -> None:
    page.get_by_label("Từ khóa").fill(words)
    page.get_by_role("button", name="Tìm", exact=True).click()


def expect_page_shown(page: Page, number: int, marked: list[str]) -> None:
    """Page ``number`` is the one on screen: its thumbnail current, its image loaded, the
    address saying so, and ``marked`` boxed on the image and marked in the text."""
    expect(page).to_have_url(re.compile(rf"[?&]trang={number}(&|$)"))
    expect(page.locator("#page-info")).to_contain_text(f"Trang {number}")
    current = page.locator("#thumbs button[aria-current=page]")
    expect(current).to_have_count(1)
    expect(current).to_contain_text(f"Trang {number}")
    image = page.locator(".page-image")
    expect(image).to_have_attribute("src", re.compile(rf"/pages/{number}/image\?size=screen$"))
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    expect(page.locator("#hit-count")).to_have_text(f"{len(marked)} chỗ khớp trên trang này")
    expect(page.locator(".boxes .box-hit")).to_have_count(len(marked))
    expect(page.locator("#ocr-text mark")).to_have_text(marked)


def test_a_hit_on_page_three_opens_page_three_first(page: Page, people: dict[str, Person], decision: str) -> None:
    sign_in(page, people["officer"])
    search(page, "ly seo chang")
    hits = page.locator("#results li")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text(f"{FILENAME} · trang 3")
    asked = screen_images(page)
    hits.first.locator("h2 a").click()
    expect(page.locator("#thumbs img")).to_have_count(3)
    expect_page_shown(page, 3, ["Lý", "Seo", "Chảng"])
    assert asked == [3], asked  # page 1 was never shown on the way

    page.reload()  # the address holds the page and the words
    expect_page_shown(page, 3, ["Lý", "Seo", "Chảng"])
    page.locator("#thumbs button").filter(has_text="Trang 1").click()
    expect(page).to_have_url(re.compile(r"[?&]trang=1(&|$)"))
    expect(page.locator("#page-info")).to_contain_text("Trang 1")
    expect(page.locator("#hit-count")).to_have_text("0 chỗ khớp trên trang này")
    expect(page.locator(".boxes .box-hit")).to_have_count(0)
    expect(page.locator("#ocr-text mark")).to_have_count(0)
    expect(page.locator("#ocr-text")).to_contain_text("QUYẾT ĐỊNH")


def test_a_hit_on_page_two_of_the_same_file_opens_page_two(page: Page, people: dict[str, Person],
                                                          decision: str) -> None:
    sign_in(page, people["officer"])
    search(page, "giang thi my")
    hit = page.locator("#results li", has_text=FILENAME)
    expect(hit).to_have_count(1)
    expect(hit).to_contain_text("trang 2")
    asked = screen_images(page)
    hit.locator("h2 a").click()
    expect_page_shown(page, 2, ["Giàng", "Thị", "Mỷ"])
    assert asked == [2], asked
