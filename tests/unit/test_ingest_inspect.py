"""Type sniffing, limits and spooling of incoming files (no services)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import TiffImagePlugin

from ingest import inspect_file, sanitize_filename, sniff, spool_stream
from sohoa.core.errors import SohoaError
from tests import filegen


def write(tmp_path: Path, data: bytes, name: str = "f") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("data", "mime", "pages"), [
    (filegen.pdf(2), "application/pdf", 2),
    (filegen.tiff(3), "image/tiff", 3),
    (filegen.jpeg(), "image/jpeg", 1),
    (filegen.png(), "image/png", 1),
])
def test_supported_files_are_typed_from_content_with_page_count(tmp_path, data, mime, pages):
    info = inspect_file(write(tmp_path, data, "misleading.txt"), max_pages=10, max_pixels=10**8)
    assert (info.mime_type, info.pages) == (mime, pages)


def test_pdf_header_after_leading_junk_is_still_a_pdf():
    assert sniff(b"\r\n  %PDF-1.4\n") == "application/pdf"


@pytest.mark.parametrize(("data", "code"), [
    (b"PK\x03\x04 a zip named scan.pdf", "unsupported_type"),
    (b"GIF89a......", "unsupported_type"),
    (b"plain text", "unsupported_type"),
    (filegen.encrypted_pdf(), "encrypted_pdf"),
    (filegen.truncated(filegen.pdf(2)), "corrupt_file"),
    (b"%PDF-1.4\nnot really a pdf\n%%EOF\n", "corrupt_file"),
    (filegen.truncated(filegen.jpeg()), "corrupt_file"),
    (filegen.truncated(filegen.png()), "corrupt_file"),
    (filegen.truncated(filegen.tiff(3)), "corrupt_file"),
])
def test_unfit_files_are_rejected_with_a_stable_code(tmp_path, data, code):
    with pytest.raises(SohoaError) as info:
        inspect_file(write(tmp_path, data), max_pages=10, max_pixels=10**8)
    assert info.value.code == code


@pytest.mark.parametrize(("data", "page"), [
    (filegen.tiff(3, compression=None)[:-100], 3),  # cut in the last page's data, every directory whole
    (filegen.tiff_first_page_data_last(3)[:-100], 1),  # only the FIRST page's data is cut (last page intact)
])
def test_a_tiff_cut_inside_any_pages_data_is_rejected(tmp_path, data, page):
    with pytest.raises(SohoaError) as info:
        inspect_file(write(tmp_path, data), max_pages=10, max_pixels=10**8)
    assert (info.value.code, info.value.detail["page"]) == ("corrupt_file", page)


def test_a_tiff_page_without_strip_byte_counts_is_decoded_to_judge_it(tmp_path):
    data = filegen.tiff_first_page_data_last(3, byte_counts=False)
    assert inspect_file(write(tmp_path, data), max_pages=10, max_pixels=10**8).pages == 3
    with pytest.raises(SohoaError) as info:
        inspect_file(write(tmp_path, data[:-100]), max_pages=10, max_pixels=10**8)
    assert info.value.code == "corrupt_file"


@pytest.mark.parametrize("data", [filegen.tiff(3), filegen.tiff(3, compression=None),
                                  filegen.tiff_first_page_data_last(3)])
def test_tiffs_are_checked_from_their_layout_without_decoding_pixels(tmp_path, monkeypatch, data):
    """Decoding a big scan took ~0.1 s while the batch's first OCR job waited; strips past the
    end of the file show truncation without it."""
    def no_decoding(self):
        raise AssertionError("TIFF pixels decoded at upload")

    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "load", no_decoding)
    assert inspect_file(write(tmp_path, data), max_pages=10, max_pixels=10**8).pages == 3


@pytest.mark.parametrize("data", [
    filegen.jpeg()[:-2],  # a JPEG missing only its end-of-image marker (decoded at 1/8 scale, still caught)
    filegen.png()[:-12],  # a PNG missing only IEND: truncated, even though its pixels would decode
    filegen.png_with_flipped_byte(filegen.png()),  # its IDAT checksum no longer matches
])
def test_images_cut_or_altered_anywhere_are_rejected(tmp_path, data):
    with pytest.raises(SohoaError) as info:
        inspect_file(write(tmp_path, data), max_pages=10, max_pixels=10**8)
    assert info.value.code == "corrupt_file"


@pytest.mark.parametrize(("data", "pages"), [
    (filegen.with_junk_page_data(filegen.tiff(3), 1), 3),
    (filegen.with_junk_page_data(filegen.tiff(3), 3), 3),
    (filegen.png_with_junk_data(filegen.png()), 1),
])
def test_damaged_pixel_data_in_a_complete_file_is_left_to_the_workers(tmp_path, data, pages):
    """Nothing missing, every checksum right, the pixels just do not decompress: accepted here,
    the page fails in the worker (tests/integration/test_ingest_damaged_pixels.py)."""
    assert inspect_file(write(tmp_path, data), max_pages=10, max_pixels=10**8).pages == pages


def test_owner_password_only_pdf_is_readable_so_accepted(tmp_path):
    info = inspect_file(write(tmp_path, filegen.encrypted_pdf(user_password="")), max_pages=10, max_pixels=10**8)
    assert info.pages == 1


@pytest.mark.parametrize("bits", [256, 128])
def test_aes_pdf_with_only_an_owner_password_is_accepted(tmp_path, bits):
    """AES-256 needs pypdf's crypto extra: without it every such PDF was ``corrupt_file``."""
    data = filegen.qpdf_encrypted(filegen.pdf(2), bits=bits)
    assert inspect_file(write(tmp_path, data), max_pages=10, max_pixels=10**8).pages == 2


@pytest.mark.parametrize("bits", [256, 128])
def test_aes_pdf_with_a_user_password_is_encrypted_not_corrupt(tmp_path, bits):
    data = filegen.qpdf_encrypted(filegen.pdf(1), user_password="open-me", bits=bits)
    with pytest.raises(SohoaError) as info:
        inspect_file(write(tmp_path, data), max_pages=10, max_pixels=10**8)
    assert (info.value.code, info.value.status) == ("encrypted_pdf", 422)


@pytest.mark.parametrize("data", [filegen.pdf(3), filegen.tiff(3)])
def test_page_limit(tmp_path, data):
    with pytest.raises(SohoaError) as info:
        inspect_file(write(tmp_path, data), max_pages=2, max_pixels=10**8)
    assert (info.value.code, info.value.status, info.value.detail["pages"]) == ("too_many_pages", 413, 3)


def test_pixel_limit_guards_against_decompression_bombs(tmp_path):
    with pytest.raises(SohoaError) as info:
        inspect_file(write(tmp_path, filegen.png()), max_pages=10, max_pixels=1000)
    assert info.value.code == "image_too_large"


def test_spool_hashes_while_writing(tmp_path):
    data = filegen.tiff(2) * 3
    upload = spool_stream(io.BytesIO(data), tmp_dir=tmp_path, max_bytes=10**6, filename="a.tif")
    assert upload.error is None and upload.path is not None
    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert upload.path.read_bytes() == data and upload.size_bytes == len(data)


def test_spool_drops_oversized_files_and_keeps_nothing(tmp_path):
    upload = spool_stream(io.BytesIO(b"x" * 5000), tmp_dir=tmp_path, max_bytes=4096, filename="big.pdf")
    assert upload.error is not None and upload.error.code == "file_too_large" and upload.error.status == 413
    assert upload.path is None and upload.size_bytes == 5000
    assert list(tmp_path.iterdir()) == []


def test_spool_rejects_empty_files(tmp_path):
    upload = spool_stream(io.BytesIO(b""), tmp_dir=tmp_path, max_bytes=4096, filename="empty.pdf")
    assert upload.error is not None and upload.error.code == "empty_file"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("raw", "shown"), [
    ("C:\\Users\\clerk\\Hồ sơ.pdf", "Hồ sơ.pdf"),
    ("../../etc/passwd", "passwd"),
    ("a\x00b\nc.pdf", "abc.pdf"),
    ("..", "unnamed"),
    ("", "unnamed"),
    ("Nguye\u0302\u0303n.pdf", "Nguyễn.pdf"),
    ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ("hoso\u202efdp.exe", "hosofdp.exe"),  # RTL override: would read "hosoexe.pdf" (issue 14, finding 11)
    ("Hồ\u200b sơ\u2066\u2069\ufeff\u200d.pdf", "Hồ sơ.pdf"),  # zero-width, isolates, BOM, joiner
    ("a\u2028b\u00ad\ue000  \t c.pdf", "ab c.pdf"),  # line separator, soft hyphen, private use, spaces
])
def test_client_file_names_become_display_names_only(raw, shown):
    assert sanitize_filename(raw) == shown
