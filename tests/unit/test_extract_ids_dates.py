"""Identifiers, dates and their OCR noise, on small generated page texts in varied wording."""

from __future__ import annotations

import unicodedata

import pytest

from sohoa.domain.extract import _model as m
from sohoa.domain.extract import check_cccd, extract_fields, pick, summarize

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"


def page(header: str = "ỦY BAN NHÂN DÂN\nXÃ TRÀ ĐỐC\n", number: str = "Số: 12/QĐ-UBND\n",
         date_line: str = "Trà Đốc, ngày 05 tháng 3 năm 2023\n", title: str = "QUYẾT ĐỊNH\n", body: str = "") -> str:
    return header + number + MOTTO + date_line + title + body


def one(text: str, key: str):
    return pick(extract_fields([text]), key)


def assert_spans(pages: list[str]) -> None:
    for f in extract_fields(pages):
        assert unicodedata.normalize("NFC", pages[f.page - 1])[f.span[0]:f.span[1]].replace("Ð", "Đ") == f.raw


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Số: 123/QĐ-UBND", "123/QĐ-UBND"),
        ("Số 45/2020/NĐ-CP", "45/2020/NĐ-CP"),
        ("Số:17/2024", "17/2024"),
        ("Số: 686/STTT-CNTT&BCVT", "686/STTT-CNTT&BCVT"),
        ("  Số : 123 / QĐ - UBND", "123/QĐ-UBND"),
        ("Số: 123/Q\u00d0-UBND", "123/QĐ-UBND"),  # Icelandic eth from OCR
        ("Số: 012/GPXD", "12/GPXD"),
        ("Số: 17/2024 Quyển số: 03/2024", "17/2024"),
    ],
)
def test_document_number_forms(line: str, expected: str) -> None:
    f = one(page(number=line + "\n"), "doc_no")
    assert f is not None and f.value == expected and f.confidence >= 0.9 and not f.problems


def test_repaired_document_number_is_low_confidence_with_problem() -> None:
    f = one(page(number="Số: 1O8/QĐ-UBND\n"), "doc_no")
    assert f.value == "108/QĐ-UBND"
    assert f.confidence <= m.LOW_CONFIDENCE and m.OCR_REPAIRED in f.problems


def test_numbers_cited_in_the_body_are_not_the_document_number() -> None:
    text = page(number="", body="Căn cứ Quyết định số 485/QĐ-UBND của Ủy ban nhân dân tỉnh;\nSố lượng: 02 bản\n")
    assert one(text, "doc_no") is None


@pytest.mark.parametrize(
    ("date_line", "iso"),
    [
        ("Trà Đốc, ngày 5 tháng 3 năm 2023", "2023-03-05"),
        ("Hà Nội, ngày  05  tháng  03  năm  2023", "2023-03-05"),
        ("Bắc Trà My, ngày 27 tháng 06 năm 2023", "2023-06-27"),
        ("Bắc Mê, 05/03/2023", "2023-03-05"),
        ("Bắc Mê, 05.03.2023", "2023-03-05"),
        ("Bắc Mê, 5-3-2023", "2023-03-05"),
        ("Tà Bhing, ngày 11, tháng 02, năm 2024", "2024-02-11"),
    ],
)
def test_issue_date_forms(date_line: str, iso: str) -> None:
    f = one(page(date_line=date_line + "\n"), "issued")
    assert f.value == iso and f.valid and f.confidence >= 0.85


def test_numeric_dates_are_never_month_first() -> None:
    fields = extract_fields([page(date_line="Bắc Mê, 03/25/2023\n")])
    issued = [f for f in fields if f.name == "issued"]
    assert issued and not issued[0].valid and m.INVALID_DATE in issued[0].problems
    assert summarize(fields)["issued"] is None


def test_impossible_calendar_date_is_rejected_not_coerced() -> None:
    fields = extract_fields([page(date_line="Bắc Mê, ngày 31 tháng 02 năm 2023\n")])
    assert summarize(fields)["issued"] is None
    assert any(f.name == "issued" and not f.valid for f in fields)


def test_date_with_ocr_letters_is_read_but_low_confidence() -> None:
    f = one(page(date_line="Bắc Mê, ngày 1O tháng O5 năm 2O24\n"), "issued")
    assert f.value == "2024-05-10" and f.confidence <= m.LOW_CONFIDENCE and m.OCR_REPAIRED in f.problems


def test_issue_date_is_not_a_date_cited_in_the_body() -> None:
    text = page(date_line="", body="Căn cứ Luật ngày 19 tháng 6 năm 2015;\n"
                "Bắc Mê, ngày 02 tháng 01 năm 2024\nCHỦ TỊCH\n")
    f = one(text, "issued")
    assert f.value == "2024-01-02" and f.confidence < 0.9


def person(extra: str) -> str:
    return page(body="Họ và tên: NGUYỄN THỊ LAN\n" + extra)


@pytest.mark.parametrize(
    "line",
    [
        "Số định danh cá nhân: 002171179082",
        "Số CCCD: 002171179082",
        "Căn cước công dân số 002171179082, cấp ngày 09 tháng 05 năm 2023",
        "Số định danh cá\nnhân 002171179082, cư trú tại thôn 3",
        "CCCD số: 002 171 179 082",
        "Mã định danh: 002.171.179.082",
    ],
)
def test_personal_id_label_forms(line: str) -> None:
    f = one(person("Sinh ngày: 10/02/1971 Giới tính: Nữ\n" + line + "\n"), "cccd")
    assert f.value == "002171179082" and f.valid and f.confidence >= 0.9 and f.problems == []


@pytest.mark.parametrize(
    ("printed", "digits"),
    [("O02171179O82", "002171179082"), ("O01171179082", "001171179082"), ("0021711790B2", "002171179082"),
     ("0O2 l71 179 082", "002171179082")],
)
def test_personal_id_with_ocr_letters_is_a_low_confidence_candidate(printed: str, digits: str) -> None:
    f = one(person(f"Số định danh cá nhân: {printed}\n"), "cccd")
    assert f.value == digits
    assert f.confidence <= m.LOW_CONFIDENCE and m.OCR_REPAIRED in f.problems


def test_personal_id_contradicting_printed_birth_year_is_kept_but_invalid() -> None:
    f = one(person("Ngày, tháng, năm sinh: 10/02/1972\nSố định danh cá nhân: 002171179082\n"), "cccd")
    assert f.value == "002171179082" and not f.valid
    assert m.CCCD_BIRTH_YEAR in f.problems and f.confidence <= m.LOW_CONFIDENCE


def test_personal_id_contradicting_printed_sex_is_flagged() -> None:
    f = one(person("Giới tính: Nam\nSố định danh cá nhân: 002171179082\n"), "cccd")
    assert not f.valid and m.CCCD_SEX in f.problems


@pytest.mark.parametrize(
    ("digits", "problem"),
    [("099171179082", m.CCCD_PROVINCE), ("000171179082", m.CCCD_PROVINCE), ("002771179082", m.CCCD_CENTURY)],
)
def test_personal_id_structure(digits: str, problem: str) -> None:
    check = check_cccd(digits)
    assert not check.valid and problem in check.problems


def test_personal_id_century_and_sex_digits() -> None:
    assert check_cccd("049200322596", birth_year=2000, sex="male").valid
    assert check_cccd("001305000001", birth_year=2005, sex="female").valid
    assert not check_cccd("001305000001", birth_year=1905).valid


def test_unknown_province_inside_range_is_flagged_not_rejected() -> None:
    check = check_cccd("003171179082")
    assert check.valid and m.CCCD_PROVINCE_UNKNOWN in check.problems


def test_legacy_nine_digit_id_is_kept_separately() -> None:
    fields = extract_fields([person("Số CMND: 212 345 678 do Công an tỉnh cấp\n")])
    cmnd = pick(fields, "cmnd")
    assert cmnd is not None and cmnd.value == "212345678"
    assert pick(fields, "cccd") is None


@pytest.mark.parametrize(
    "line",
    ["Chứng minh nhân dân số 212345678", "Số chứng minh nhân dân: 212345678", "CMND số: 212 345 678",
     "Giấy CMND số 212345678, cấp ngày 05 tháng 3 năm 2010", "Số Chứng minh nhân dân:212345678",
     "Số CMND:  212345678"],
)
def test_legacy_id_label_forms(line: str) -> None:
    fields = extract_fields([person(line + "\n")])
    cmnd = pick(fields, "cmnd")
    assert cmnd is not None and cmnd.value == "212345678" and pick(fields, "cccd") is None


def test_money_amounts_are_not_ids() -> None:
    fields = extract_fields([person("Vốn kinh doanh: 273.000.000 đồng\nSố tiền 1.200.000.000.000 đồng\n")])
    assert pick(fields, "cmnd") is None and pick(fields, "cccd") is None


def test_unlabelled_twelve_digits_are_a_weaker_candidate() -> None:
    f = one(page(body="Điều 1. Cấp hỗ trợ cho bà Lê Thị Hoa (049186035963) tại thôn 2.\n"), "cccd")
    assert f.value == "049186035963" and m.UNLABELED in f.problems and 0.5 < f.confidence < 0.9


@pytest.mark.parametrize(
    ("line", "value", "valid"),
    [("Mã số thuế: 0101234567", "0101234567", True),
     ("Mã số doanh nghiệp: 0101234567-001", "0101234567-001", True),
     ("MST: 01O1234567", "0101234567", True),
     ("Mã số thuế:0101234567", "0101234567", True),
     ("Mã số DN: 0101234567", "0101234567", True),
     ("Mã số chi nhánh: 0101234567 - 012", "0101234567-012", True),
     ("Mã số thuế chi nhánh: 0101234567- 012", "0101234567-012", True),
     ("Mã số thuế doanh nghiệp: 0101234567", "0101234567", True),
     ("Mã số doanh nghiệp/Mã số thuế: 0101234567", "0101234567", True),
     ("Mã số doanh nghiệp: 0 1 0 1 2 3 4 5 6 7", "0101234567", True),  # digits from a form's boxes
     ("Mã số thuế: 0101 234 567", "0101234567", True),
     # a 12-digit personal ID used as tax code is kept whole and flagged, never cut to 10 digits
     ("Mã số thuế: 002171179082", "002171179082", False)],
)
def test_tax_codes(line: str, value: str, valid: bool) -> None:
    f = one(page(body=line + "\n"), "tax_code")
    assert f.value == value and f.valid is valid
    assert (f.confidence <= m.LOW_CONFIDENCE) == ("O" in line or not valid)


def test_spans_point_at_the_raw_text() -> None:
    assert_spans([person("Sinh ngày: 10/02/1971 Giới tính: Nữ\nSố định danh cá nhân: 002171179082\n"),
                  page(number="Số: 3O8/QÐ-UBND\n")])
