"""Content-Disposition of downloads: the client's Vietnamese name, safely."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from api.downloads import ascii_fallback, clean_filename, content_disposition, etag_matches


def test_a_vietnamese_name_has_a_utf8_filename_star_and_an_ascii_fallback() -> None:
    header = content_disposition("Giấy khai sinh Đặng Thị Ánh.pdf", fallback="x")
    assert header.startswith('attachment; filename="Giay khai sinh Dang Thi Anh.pdf"; ')
    star = header.split("filename*=", 1)[1]
    assert star.startswith("UTF-8''") and " " not in star and '"' not in star
    assert unquote(star.removeprefix("UTF-8''")) == "Giấy khai sinh Đặng Thị Ánh.pdf"
    assert header.isascii()


@pytest.mark.parametrize(("raw", "clean"), [
    ("\u202egpj.exe", "gpj.exe"),  # right-to-left override: would show as "exe.jpg"
    ("hồ\u200b sơ\u2066.pdf", "hồ sơ.pdf"),  # zero-width space, bidi isolate
    ("tên\x00\x1f\x7f.pdf", "tên.pdf"),  # controls
    ("C:\\Users\\clerk\\scan 1.pdf", "scan 1.pdf"),  # only the last path part
    ("../../etc/passwd", "passwd"),
    ("Nguye\u0302\u0303n.pdf", "Nguyễn.pdf"),  # decomposed: NFC
    ("  a   b .pdf ", "a b .pdf"),
    ("\u200f\u202a", "fallback"),  # nothing left
])
def test_names_lose_what_could_deceive_or_break_the_header(raw: str, clean: str) -> None:
    assert clean_filename(raw, "fallback") == clean


def test_long_names_are_cut_keeping_the_extension() -> None:
    name = clean_filename("đ" * 400 + ".tiff", "x")
    assert len(name) <= 150 and name.endswith(".tiff")


def test_the_fallback_never_holds_a_quote_or_backslash() -> None:
    assert ascii_fallback('Hồ sơ "A"\\B.pdf') == "Ho so _A__B.pdf"


def test_etag_matching() -> None:
    assert etag_matches('"abc"', '"abc"') and etag_matches('W/"abc"', '"abc"')
    assert etag_matches('"x", "abc"', '"abc"') and etag_matches("*", '"abc"')
    assert not etag_matches('"abcd"', '"abc"') and not etag_matches(None, '"abc"')
