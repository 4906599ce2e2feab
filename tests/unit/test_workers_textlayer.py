"""Which PDF text layers are trusted instead of OCR, and how Tesseract's TSV is read."""

from __future__ import annotations

import pytest

from workers.ocr.tesseract import OcrResult, parse_tsv
from workers.ocr.textlayer import is_real_text, is_syllable

REAL = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nHọ và tên: Nguyễn Thị Hồng Nhung"


@pytest.mark.parametrize("text", [
    REAL,
    "Ho va ten: Nguyen Thi Hong Nhung, so CCCD 001234567890",  # ASCII-only typing
    "Ho\u0323 va\u0300 te\u0302n: Nguye\u0302\u0303n Thi\u0323 Ho\u0302\u0300ng Nhung",  # NFD
])
def test_unicode_vietnamese_layers_are_used(text: str) -> None:
    assert is_real_text(text)


@pytest.mark.parametrize("text", [
    "",
    "   \n\f  ",
    "Trang 1",  # too little to trust: a scanner's stamp, not the page
    "Hä vµ tªn: NguyÔn ThÞ Hång Nhung\nCéng hoµ x· héi chñ nghÜa ViÖt Nam",  # TCVN3 (ABC)
    "Hoï vaø teân: Nguyeãn Thò Hoàng Nhung\nCoäng hoøa xaõ hoäi chuû nghóa Vieät Nam",  # VNI
    "Họ và tên: Nguyễn Thị Hồng Nhung \ufffd\ufffd\ufffd Cộng hòa xã hội",  # undecodable glyphs
    "\x01\x02\x03 Họ và tên: Nguyễn Thị Hồng Nhung Cộng hòa xã hội",
])
def test_garbled_or_empty_layers_are_ocred(text: str) -> None:
    assert not is_real_text(text)


TSV = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    "1\t1\t0\t0\t0\t0\t0\t0\t1500\t300\t-1\t\n"
    "4\t1\t1\t1\t1\t0\t60\t40\t700\t50\t-1\t\n"
    "5\t1\t1\t1\t1\t1\t60\t40\t90\t50\t96.5\tHo\u0323\n"
    "5\t1\t1\t1\t1\t2\t160\t40\t60\t50\t91\tvà\n"
    "5\t1\t1\t1\t1\t3\t230\t40\t60\t50\t0\t \n"
    "5\t1\t1\t1\t1\t4\t300\t40\t60\t50\t40.5\t\"tên\n"
)


def test_tsv_words_keep_boxes_confidences_and_nfc_text() -> None:
    words = parse_tsv(TSV)
    assert [w.text for w in words] == ["Họ", "và", "\"tên"]
    assert words[0].text == "\u1ecd".join(["H", ""]) and (words[0].left, words[0].width) == (60, 90)
    assert OcrResult(text="", words=words).mean_confidence == round((96.5 + 91 + 40.5) / 3, 2)


def test_page_without_words_has_no_confidence() -> None:
    assert OcrResult(text="", words=[]).mean_confidence is None


# Legacy-font garble made only of letters that also exist in Vietnamese: the alphabet test
# alone lets it through, the syllable test does not.
@pytest.mark.parametrize("text", [
    "Céng hßa x· héi chñ nghÜa ViÖt Nam",
    "Ngêi lµm ®¬n: NguyÔn V¨n §øc, th«n 5, x· Lïng Vai",
])
def test_tcvn3_layers_made_of_latin1_letters_are_ocred(text: str) -> None:
    assert not is_real_text(text * 3)


def test_generated_legacy_layers_are_ocred_and_unicode_ones_used() -> None:
    import random

    from bench.ocr.content import make_page, truth_text
    from bench.ocr.legacy import to_tcvn3, to_vni

    rng = random.Random(5)
    for _ in range(20):
        text = truth_text(make_page(rng))
        assert is_real_text(text), text
        assert not is_real_text(to_tcvn3(text))
        assert not is_real_text(to_vni(text))


@pytest.mark.parametrize("word", ["nguyễn", "khuỷu", "nghiêng", "quyết", "người", "giữa", "hoà", "uỷ", "đ" "ường"])
def test_real_syllables_are_recognised(word: str) -> None:
    assert is_syllable(word)


@pytest.mark.parametrize("word", ["héi", "nguyôn", "vaø", "hoäi", "ngưuyễn", "hoàá"])
def test_malformed_syllables_are_not(word: str) -> None:
    assert not is_syllable(word)
