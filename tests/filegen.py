"""Small generated files for ingest/API tests: real PDFs, TIFFs, JPEGs and PNGs, in memory."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw
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


def tiff(pages: int = 3, text: str = "tiff") -> bytes:
    frames = [image(f"{text} {i + 1}") for i in range(pages)]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    return buf.getvalue()


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


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]
