"""Tra cứu's day filters as an officer uses them, on four records of one person: a building
permit issued 12/03/2023 for 12 months (expired 12/03/2024), household-business certificates
issued 05/07/2024 and 12/03/2025 (neither expires), and one issued 20/11/2024 that an officer
marked revoked (thu hồi).

"Còn hiệu lực vào ngày" keeps the records valid that day: today the permit and the revoked
certificate are gone; on a day of 2023 only the permit was valid (the certificates were not
issued yet); on 01/08/2024 and 01/12/2024 only the first certificate (a revoked record is valid
on no day: the record keeps no date of revocation). "Cấp từ ngày … đến ngày" keeps the issue
dates inside the range, both ends included, valid or not. The address holds the filters: a
reload shows the same filters and results. A range whose start is after its end gets the
Vietnamese message."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from sohoa.core.clock import today_vn
from tests.browser.conftest import AGENCY, Person, sign_in
from tests.browser.scans import CCCD, CERTIFICATE, OWNER, PERMIT, scan_png
from tests.browser.stack import Stack

NAME, ID = "TRIỆU THỊ NGUYỆT", "002192004321"  # Hà Giang, female, born 1992
ISSUED = {"permit": "12/03/2023", "first": "05/07/2024", "revoked": "20/11/2024", "second": "12/03/2025"}


def lines_of(template: list[str], issued: str | None = None) -> list[str]:
    out = [line.replace(OWNER, NAME).replace(CCCD, ID) for line in template]
    if issued:  # the place-and-date line: "ngày 05 tháng 07 năm 2024"
        day, month, year = issued.split("/")
        out = [re.sub(r"ngày \d\d tháng \d\d năm \d{4}", f"ngày {day} tháng {month} năm {year}", line) for line in out]
    return out


@pytest.fixture(scope="module")
def records(stack: Stack, people: dict[str, Person]) -> dict[str, dict]:
    """The four scans, read, the "revoked" one revoked; their records by name."""
    scans = {"permit": lines_of(PERMIT), **{name: lines_of(CERTIFICATE, ISSUED[name])
                                            for name in ("first", "revoked", "second")}}
    files = [("files", (f"{name}.png", scan_png(lines), "image/png")) for name, lines in scans.items()]
    with stack.client() as api:
        batch = api.post("/api/v1/batches", data={"agency_code": AGENCY, "procedure_code": "1.001612"},
                         files=files).json()["batch_id"]
        deadline = time.monotonic() + 180
        while api.get(f"/api/v1/batches/{batch}").json()["status"] != "done":
            assert time.monotonic() < deadline, "the four scans were not read within 180 s"
            time.sleep(0.5)
        found = api.get("/api/v1/records", params={"owner_id": ID, "include_invalid": "true"}).json()["records"]
    by_day = {r["issue_date"]: r for r in found}
    # what the filters below rely on: the dates were read as printed, the permit ran 12 months
    assert sorted(by_day) == sorted(_iso(day) for day in ISSUED.values()), found
    assert by_day[_iso(ISSUED["permit"])]["valid_until"] == "2024-03-12", found
    assert all(by_day[_iso(ISSUED[name])]["permanent"] for name in ("first", "revoked", "second")), found
    with stack.client() as api:  # as an officer does when the issuing body withdraws it
        revoked = api.patch(f"/api/v1/records/{by_day[_iso(ISSUED['revoked'])]['id']}",
                            json={"legal_status": "revoked", "note": "Thu hồi theo quyết định 12/QĐ-UBND"})
    assert revoked.status_code == 200 and revoked.json()["legal_status"] == "revoked", revoked.text
    return {name: by_day[_iso(day)] for name, day in ISSUED.items()}


def _iso(day: str) -> str:
    d, m, y = day.split("/")
    return f"{y}-{m}-{d}"


def issue_dates(page: Page) -> list[str]:
    """The issue dates of the hits shown, in order."""
    texts = page.locator("#results li").all_inner_texts()
    return [m.group(1) for text in texts if (m := re.search(r"Ngày cấp: (\d\d/\d\d/\d{4})", text))]


def apply(page: Page, **days: str) -> None:
    """Set the day filters (ISO days; "" clears one) and apply them."""
    for label, value in days.items():
        page.get_by_label(LABELS[label], exact=True).fill(value)
    page.get_by_role("button", name="Áp dụng bộ lọc").click()


LABELS = {"valid_on": "Còn hiệu lực vào ngày", "issued_from": "Cấp từ ngày", "issued_to": "Cấp đến ngày"}


def expect_dates(page: Page, dates: list[str]) -> None:
    info = page.locator("#search-info")
    expect(info).to_have_text(f"Tìm thấy {len(dates)} trang phù hợp." if dates else re.compile("^Không tìm thấy"))
    expect(page.locator("#results li")).to_have_count(len(dates))
    assert sorted(issue_dates(page)) == sorted(dates), issue_dates(page)


def test_valid_on_a_day_keeps_the_records_valid_that_day(page: Page, people: dict[str, Person],
                                                         records: dict[str, dict]) -> None:
    sign_in(page, people["officer"])
    page.get_by_label("Từ khóa").fill("trieu thi nguyet")
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect_dates(page, list(ISSUED.values()))
    page.get_by_text("Lọc kết quả").click()

    apply(page, valid_on=today_vn().isoformat())  # the permit expired on 12/03/2024, one was revoked
    expect_dates(page, [ISSUED["first"], ISSUED["second"]])
    assert "Giấy phép xây dựng" not in page.locator("#results").inner_text()
    apply(page, valid_on="2023-06-01")  # only the permit was valid then
    expect_dates(page, [ISSUED["permit"]])
    expect(page.locator("#results li")).to_contain_text("Giấy phép xây dựng")
    apply(page, valid_on="2024-08-01")  # the permit had expired, the later certificates not issued
    expect_dates(page, [ISSUED["first"]])
    apply(page, valid_on="2024-12-01")  # the revoked certificate is not valid then either
    expect_dates(page, [ISSUED["first"]])
    apply(page, valid_on="2024-03-12")  # the permit's last day, the first certificate not issued yet
    expect_dates(page, [ISSUED["permit"]])
    apply(page, valid_on="2023-03-11")  # the day before the permit was issued: nothing valid
    expect_dates(page, [])

    page.reload()  # the address holds the day
    expect(page).to_have_url(re.compile(r"valid_on=2023-03-11"))
    expect(page.get_by_label(LABELS["valid_on"], exact=True)).to_have_value("2023-03-11")
    expect_dates(page, [])


def test_an_issue_date_range_keeps_the_issue_dates_inside_it(page: Page, people: dict[str, Person],
                                                             records: dict[str, dict]) -> None:
    sign_in(page, people["officer"], then="/tra-cuu?q=trieu+thi+nguyet")
    expect_dates(page, list(ISSUED.values()))
    page.get_by_text("Lọc kết quả").click()

    apply(page, issued_from="2024-01-01", issued_to="2024-12-31")  # valid or not: issued in 2024
    expect_dates(page, [ISSUED["first"], ISSUED["revoked"]])
    apply(page, issued_from="2023-03-12", issued_to="2024-07-05")  # both ends included
    expect_dates(page, [ISSUED["permit"], ISSUED["first"]])
    apply(page, issued_from="2024-07-06", issued_to="")  # from a day on, no end
    expect_dates(page, [ISSUED["revoked"], ISSUED["second"]])
    apply(page, issued_from="", issued_to="2024-07-04")  # up to a day
    expect_dates(page, [ISSUED["permit"]])
    apply(page, issued_from="2024-01-01", issued_to="", valid_on=today_vn().isoformat())  # with a valid day
    expect_dates(page, [ISSUED["first"], ISSUED["second"]])

    page.reload()  # the address holds every filter: same boxes, same results
    expect(page).to_have_url(re.compile(r"issued_from=2024-01-01"))
    expect(page.locator("details.filters")).to_have_attribute("open", "")
    expect(page.get_by_label(LABELS["issued_from"], exact=True)).to_have_value("2024-01-01")
    expect(page.get_by_label(LABELS["issued_to"], exact=True)).to_have_value("")
    expect(page.get_by_label(LABELS["valid_on"], exact=True)).to_have_value(today_vn().isoformat())
    expect_dates(page, [ISSUED["first"], ISSUED["second"]])

    apply(page, issued_from="2025-01-01", issued_to="2024-01-01", valid_on="")  # start after end
    expect(page.locator("#search-info")).to_have_text("Ngày bắt đầu phải trước ngày kết thúc.")
    expect(page.locator("#results li")).to_have_count(0)
