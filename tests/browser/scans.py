"""Small generated scans for the browser tests: real pages Tesseract reads, made as large as
a test needs (a private PNG chunk of noise, which every reader skips), so an upload lasts
long enough on a throttled line to be cut or reloaded in the middle."""

from __future__ import annotations

import io
import os
import struct
import zlib

from tests.integration.workers_support import page_image

CCCD = "001085012345"  # Hà Nội, male, born 1985
OWNER = "NGUYỄN VĂN BÌNH"
HEADING = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
CERTIFICATE = [
    "UBND HUYỆN BẮC MÊ", "PHÒNG TÀI CHÍNH - KẾ HOẠCH", *HEADING,
    "Bắc Mê, ngày 12 tháng 03 năm 2025",
    "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH",
    "Số: 40G8001234",
    f"Họ và tên đại diện hộ kinh doanh: {OWNER}",
    "Giới tính: Nam Sinh ngày: 02/03/1985",
    f"Số định danh cá nhân: {CCCD}",
]
PERMIT = [
    "UBND HUYỆN BẮC TRÀ MY", "Số: 389/GPXD", *HEADING,
    "Bắc Trà My, ngày 12 tháng 03 năm 2023",
    "GIẤY PHÉP XÂY DỰNG",
    f"Cấp cho: Ông {OWNER}",
    f"Số định danh cá nhân: {CCCD}",
    "Giấy phép có hiệu lực trong thời hạn",  # lines kept short: a page is 1500 px wide
    "12 tháng kể từ ngày cấp.",
]
XSS_NAME = "<img src=x onerror=alert(1)>.png"


def scan_png(lines: list[str], *, size: int = 0) -> bytes:
    """A 300 dpi page holding ``lines``, padded to about ``size`` bytes with random bytes in
    a private ancillary chunk (so two calls never give the same bytes: no duplicates)."""
    buf = io.BytesIO()
    page_image(lines).save(buf, "PNG", dpi=(300, 300))
    data = buf.getvalue()
    padding = os.urandom(max(16, size - len(data)))
    chunk = b"prVt" + padding
    extra = struct.pack(">I", len(padding)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return data[:33] + extra + data[33:]  # after the 8-byte signature and the IHDR chunk
