"""Boundary detection: each signal alone, their combinations, continuation pages, separators."""

from __future__ import annotations

import pytest

from sohoa.domain.parts import (
    THRESHOLD,
    DetectedPart,
    PageInput,
    PartPeople,
    boundary_score,
    detect_parts,
    link_components,
    read_signals,
)

HEADING = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
BODY = "Điều 2. Giao Văn phòng thực hiện các nội dung tại Điều 1.\nNơi nhận: như trên;\n"


def decision(number: str = "12/QĐ-UBND") -> str:
    return ("ỦY BAN NHÂN DÂN\nXÃ TRÀ ĐỐC\n" + HEADING + f"Số: {number}\nTrà Đốc, ngày 05 tháng 3 năm 2024\n"
            "QUYẾT ĐỊNH\nVề việc hỗ trợ kinh phí\n" + BODY)


def spans(pages: list[PageInput]) -> list[tuple[int, int]]:
    return [(p.first, p.last) for p in detect_parts(pages)]


@pytest.mark.parametrize(
    "heading",
    [
        HEADING,
        "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\n",  # old tone placement
        "CONG HOA XA HOI CHU NGHIA VIET NAM\n",  # marks lost
        "CỘNG HÒA XÃ HỘI CHỦ NGHÌA VIỆT NAM\n",  # a tone-mark slip
        "CỘNGHÒA XÃHỘI CHỦNGHĨA VIỆTNAM\n",  # spaces lost
        "Độc lập – Tự do – Hạnh phúc\n",  # the motto line alone, en dashes
        "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n",  # two columns read as one line
    ],
)
def test_the_national_heading_alone_starts_a_part(heading: str) -> None:
    sig = read_signals(heading + "Kính gửi: Ủy ban nhân dân xã\n")
    assert sig.heading
    score, reasons = boundary_score(sig, DetectedPart(1, 1, [], 1.0), None)
    assert score >= THRESHOLD and "national_heading" in reasons
    assert spans([PageInput(decision()), PageInput(heading + "Kính gửi: Ủy ban nhân dân xã\n")]) == [(1, 1), (2, 2)]


def test_a_heading_in_the_body_of_a_page_is_not_at_its_top() -> None:
    page = "\n".join(f"dòng nội dung số {i} của văn bản" for i in range(20)) + "\n" + HEADING
    assert not read_signals(page).heading
    assert spans([PageInput(decision()), PageInput(page)]) == [(1, 2)]


@pytest.mark.parametrize(
    ("title", "doc_type", "kind"),
    [
        ("TỜ KHAI ĐĂNG KÝ KHAI SINH", "to_khai", "component"),
        ("ĐƠN ĐỀ NGHỊ", "don_de_nghi", "component"),
        ("GIẤY XÁC NHẬN\nTÌNH TRẠNG HÔN NHÂN", "xac_nhan_tinh_trang_hon_nhan", "result"),
        ("TRÍCH LỤC KHAI TỬ", "trich_luc_khai_tu", "result"),
        ("GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", "gcn_hkd", "result"),
        ("CĂN CƯỚC CÔNG DÂN", "giay_to_tuy_than", "component"),
    ],
)
def test_a_title_names_the_parts_type_and_kind(title: str, doc_type: str, kind: str) -> None:
    parts = detect_parts([PageInput(decision()), PageInput(HEADING + title + "\nHọ và tên: Lê Văn An\n")])
    assert [(p.first, p.doc_type, p.kind) for p in parts] == [(1, "quyet_dinh", "result"), (2, doc_type, kind)]
    assert "title" in parts[1].reasons


def test_a_title_alone_is_not_enough_but_title_and_issuer_are() -> None:
    # "QUYẾT ĐỊNH:" (the enacting word) at the top of a decision's second page is no new document
    assert spans([PageInput(decision()), PageInput("QUYẾT ĐỊNH:\n" + BODY)]) == [(1, 2)]
    second = "ỦY BAN NHÂN DÂN XÃ YÊN PHÚ\nGIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN\nHọ và tên: Lê Thị Lan\n"
    parts = detect_parts([PageInput(decision()), PageInput(second)])
    assert [(p.first, p.last) for p in parts] == [(1, 1), (2, 2)]
    assert parts[1].reasons == ["title", "issuing_body"]


def test_issuing_body_number_and_date_without_heading_start_a_part() -> None:
    page = "UBND HUYỆN BẮC MÊ\nSố: 77/GPXD\nBắc Mê, ngày 02/04/2023\nCấp cho ông Lê Văn Tư\n"
    sig = read_signals(page)
    assert (sig.issuer, sig.number, sig.dated, sig.heading) == (True, "77/GPXD", True, False)
    assert spans([PageInput(decision()), PageInput(page)]) == [(1, 1), (2, 2)]


def test_the_same_number_again_is_the_same_document() -> None:
    again = "Số: 12/QĐ-UBND\nTrà Đốc, ngày 05 tháng 3 năm 2024\nĐiều 3. Chánh Văn phòng\n"
    other = "Số: 13/QĐ-UBND\nTrà Đốc, ngày 05 tháng 3 năm 2024\nĐiều 1. ...\n"
    assert read_signals(again).number == "12/QĐ-UBND"
    assert spans([PageInput(decision()), PageInput(again)]) == [(1, 2)]
    # a new number with its date is still weak on its own: 0.25 < threshold
    assert spans([PageInput(decision()), PageInput(other)]) == [(1, 2)]


def test_a_register_book_number_is_not_a_document_number() -> None:
    assert read_signals("Quyển số: 01/2023\nHọ và tên: An\n").number is None


@pytest.mark.parametrize(
    ("line", "page_of"),
    [("Trang 2/3", (2, 3)), ("trang 2 / 3", (2, 3)), ("- 2/3 -", (2, 3)), ("Tr. 3/3", (3, 3)),
     ("Trang 1/2", (1, 2)), ("05/03/2024", None), ("Số: 12/2024", None), ("4/3", None)],
)
def test_page_numbering(line: str, page_of: tuple[int, int] | None) -> None:
    assert read_signals(f"nội dung\n{line}\n").page_of == page_of


def test_numbered_continuation_pages_stay_with_their_document_even_with_a_heading_like_line() -> None:
    # page 2 of 2 repeats the heading (some forms do) but says it is page 2: continuation
    page2 = HEADING + "Trang 2/2\nII. THÔNG TIN NGƯỜI YÊU CẦU\n"
    assert spans([PageInput(decision() + "Trang 1/2\n"), PageInput(page2)]) == [(1, 2)]


def test_page_one_of_n_starts_a_part_with_a_weak_header() -> None:
    page = "Trang 1/2\nPHIẾU YÊU CẦU CẤP BẢN SAO TRÍCH LỤC HỘ TỊCH\nHọ tên: Lê Văn An\n"
    parts = detect_parts([PageInput(decision()), PageInput(page)])
    assert [(p.first, p.doc_type) for p in parts] == [(1, "quyet_dinh"), (2, "don_de_nghi")]
    assert set(parts[1].reasons) == {"title", "page_numbering"}


def test_a_page_after_page_one_of_two_is_expected_to_continue() -> None:
    weak = "UBND XÃ TRÀ ĐỐC\nCHỦ TỊCH\nNguyễn Văn Bình\nSố: 99/TB\n"  # issuer + a number: 0.35
    assert spans([PageInput(decision() + "Trang 1/2\n"), PageInput(weak)]) == [(1, 2)]


def test_continuation_pages_without_any_signal_extend_the_part() -> None:
    pages = [PageInput(decision()), PageInput(BODY), PageInput(""), PageInput(decision("13/QĐ-UBND")),
             PageInput(BODY)]
    parts = detect_parts(pages)
    assert [(p.first, p.last) for p in parts] == [(1, 3), (4, 5)]
    assert parts[0].reasons[0] == "first_page" and parts[0].confidence == 1.0
    assert 0.5 <= parts[1].confidence <= 0.99


def test_separator_sheets_start_a_part_and_belong_to_none() -> None:
    sep = PageInput("", separator=True)
    parts = detect_parts([sep, PageInput(BODY), sep, PageInput(BODY), PageInput(BODY), sep, sep])
    assert [(p.first, p.last) for p in parts] == [(2, 2), (4, 5)]
    assert parts[0].reasons[0] == "first_page"  # nothing came before it
    assert parts[1].reasons[0] == "separator_sheet" and parts[1].confidence == 0.99


def test_a_one_document_file_is_one_part_and_a_blank_file_too() -> None:
    assert spans([PageInput(decision()), PageInput(BODY), PageInput(BODY)]) == [(1, 3)]
    assert spans([PageInput("")]) == [(1, 1)]


def test_top_of_page_lines_from_the_word_boxes_win_over_the_reading_order() -> None:
    # Tesseract read a two-column header late; the word boxes say it is printed at the top
    text = "Họ và tên: Lê Văn An\n" * 12 + HEADING + "ĐƠN ĐỀ NGHỊ\n"
    assert spans([PageInput(decision()), PageInput(text)]) == [(1, 2)]
    assert spans([PageInput(decision()), PageInput(text, top_text=HEADING + "ĐƠN ĐỀ NGHỊ")]) == [(1, 1), (2, 2)]


def test_components_go_to_the_result_sharing_an_id_else_a_name_else_the_one_before() -> None:
    parts = [
        PartPeople("result", frozenset({"001085000111"}), frozenset({"le van an"})),
        PartPeople("component", frozenset({"049200322596"}), frozenset()),  # ID of the second result
        PartPeople("result", frozenset({"049200322596"}), frozenset({"do quang khanh"})),
        PartPeople("component", frozenset(), frozenset({"le van an"})),  # name of the first
        PartPeople("component", frozenset(), frozenset()),  # nothing shared: the result before
    ]
    assert link_components(parts) == {1: 2, 3: 0, 4: 2}
    assert link_components([PartPeople("component"), PartPeople("result")]) == {0: 1}
    assert link_components([PartPeople("component")]) == {}


def test_an_old_id_card_copy_is_a_component() -> None:
    card = HEADING + "GIẤY CHỨNG MINH NHÂN DÂN\nSỐ 088911254\nHọ tên: LÊ VĂN AN\n"
    parts = detect_parts([PageInput(decision()), PageInput(card)])
    assert [(p.first, p.doc_type, p.kind) for p in parts][1] == (2, "giay_to_tuy_than", "component")
