"""Small generated files for ingest/API tests: real PDFs, TIFFs, JPEGs and PNGs, in memory."""

from __future__ import annotations

import io
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

from PIL import Image, ImageDraw, TiffImagePlugin
from pypdf import PdfReader, PdfWriter


def image(text: str = "Nguyễn Văn An", size: tuple[int, int] = (320, 120)) -> Image.Image:
    img = Image.new("L", size, 255)
    ImageDraw.Draw(img).text((10, 40), text, fill=0)
    return img


def png(text: str = "png") -> bytes:
    buf = io.BytesIO()
    image(text).save(buf, "PNG")
    return buf.getvalue()


def jpeg(text: str = "jpeg") -> bytes:
    buf = io.BytesIO()
    image(text).convert("RGB").save(buf, "JPEG", quality=80)
    return buf.getvalue()


def tiff(pages: int = 3, text: str = "tiff", compression: str | None = "tiff_deflate") -> bytes:
    """Pillow's layout: compressed pages are data then directory; uncompressed (None) ones
    directory then data, so cutting into the last page's data leaves every directory whole."""
    frames = [image(f"{text} {i + 1}") for i in range(pages)]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], compression=compression)
    return buf.getvalue()


def tiff_first_page_data_last(pages: int = 3, text: str = "tiff", *, byte_counts: bool = True) -> bytes:
    """An uncompressed grey TIFF laid out as some scanners write it: all page directories
    first, then the pixel data in reverse page order, so the FIRST page's data ends the file
    (cut the file short and only page 1 is damaged). ``byte_counts=False`` leaves out the
    StripByteCounts tag, as some old writers of uncompressed TIFFs did."""
    frames = [image(f"{text} {i + 1}", size=(120, 60)) for i in range(pages)]
    entries = 9 if byte_counts else 8
    ifd_size = 2 + 12 * entries + 4
    offsets, pos = {}, 8 + pages * ifd_size
    for index in reversed(range(pages)):
        offsets[index] = pos
        pos += frames[index].width * frames[index].height
    out = bytearray(b"II*\x00" + struct.pack("<I", 8))
    for index, frame in enumerate(frames):
        width, height = frame.size
        short = [(256, width), (257, height), (258, 8), (259, 1), (262, 1)]  # 8-bit, no compression, grey
        out += struct.pack("<H", entries)
        for tag, value in short:
            out += struct.pack("<HHIHH", tag, 3, 1, value, 0)
        out += struct.pack("<HHII", 273, 4, 1, offsets[index])  # StripOffsets
        out += struct.pack("<HHIHH", 277, 3, 1, 1, 0)  # SamplesPerPixel
        out += struct.pack("<HHIHH", 278, 3, 1, height, 0)  # RowsPerStrip: one strip
        if byte_counts:
            out += struct.pack("<HHII", 279, 4, 1, width * height)  # StripByteCounts
        out += struct.pack("<I", 8 + (index + 1) * ifd_size if index + 1 < pages else 0)
    for index in reversed(range(pages)):
        out += frames[index].tobytes()
    return bytes(out)


def with_junk_page_data(data: bytes, page: int) -> bytes:
    """A TIFF whose page ``page`` (1-based) has its strip bytes replaced by junk of the same
    length: nothing is missing, the data just does not decompress."""
    with Image.open(io.BytesIO(data)) as tif:
        assert isinstance(tif, TiffImagePlugin.TiffImageFile)
        tif.seek(page - 1)
        start, count = tif.tag_v2[273][0], tif.tag_v2[279][0]
    return data[:start] + _junk(count) + data[start + count:]


def png_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, offset of the chunk, data length) of every chunk of a PNG."""
    chunks, pos = [], 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunks.append((kind, pos, length))
        pos += 12 + length
    return chunks


def png_with_flipped_byte(data: bytes) -> bytes:
    """A PNG with one byte of its first IDAT altered: the chunk's checksum no longer matches."""
    _kind, pos, length = next(c for c in png_chunks(data) if c[0] == b"IDAT")
    at = pos + 8 + length // 2
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


def png_with_junk_data(data: bytes) -> bytes:
    """A PNG whose first IDAT holds junk under a CORRECT checksum: every chunk is intact, the
    compressed pixel stream is not (what a faulty writer, not a cut upload, produces)."""
    _kind, pos, length = next(c for c in png_chunks(data) if c[0] == b"IDAT")
    junk = _junk(length)
    return (data[:pos + 8] + junk + struct.pack(">I", zlib.crc32(b"IDAT" + junk))
            + data[pos + 12 + length:])


def _junk(length: int) -> bytes:
    return bytes((i * 13 + 5) & 0xFF for i in range(length))


def pdf(pages: int = 2, text: str = "pdf") -> bytes:
    frames = [image(f"{text} {i + 1}").convert("RGB") for i in range(pages)]
    buf = io.BytesIO()
    frames[0].save(buf, "PDF", save_all=True, append_images=frames[1:], resolution=100)
    return buf.getvalue()


def encrypted_pdf(user_password: str = "secret") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf(1, "secret"))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def qpdf_encrypted(data: bytes, *, user_password: str = "", bits: int = 256) -> bytes:
    """``data`` (a PDF) encrypted by qpdf: AES-256 (R6) by default, AES-128 with ``bits=128``;
    an empty user password makes it owner-password-only (anyone can open it, as most
    scanners' "protected" PDFs)."""
    with tempfile.TemporaryDirectory() as tmp:
        plain, locked = Path(tmp, "plain.pdf"), Path(tmp, "locked.pdf")
        plain.write_bytes(data)
        aes = ["--use-aes=y"] if bits == 128 else []
        subprocess.run(["qpdf", "--encrypt", user_password, "owner-secret", str(bits), *aes, "--",
                        str(plain), str(locked)], check=True, capture_output=True)
        return locked.read_bytes()


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]
