"""The document's searchable PDF: every page in order, merged once all pages are tried.

    OCR'd page      ─► Tesseract's page PDF from the same pass (invisible text over the image it
                       read, or over the scan itself when the page was prepared: ``display``)
    text-layer page ─► the original PDF page, copied as is (it is already searchable)
    failed page     ─► the original PDF page, or the image frame without text (blank if unreadable)

Page PDFs are stored per page in the archive as the pages finish (``page-NNNN.pdf``), so a
resumed job merges without OCR'ing again. The merge is qpdf's (streams page by page, keeps
only a bounded number of files open), then pikepdf adds the PDF/A-2b identification (XMP
``pdfaid``) and an sRGB output intent. The claim is made only when every font is embedded
(Tesseract's GlyphLessFont is; a born-digital original's may not be). No validator (veraPDF)
runs here: the output is "PDF/A-2b intended, not validated". The original file is only read.
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image

log = logging.getLogger(__name__)

SEARCHABLE_PDF_NAME = "searchable.pdf"
SRGB_PROFILES = (
    Path("/usr/share/color/icc/sRGB.icc"),  # Debian icc-profiles-free
    Path("/usr/share/color/icc/ghostscript/srgb.icc"),  # Debian libgs-common
)
QPDF_TIMEOUT_PER_PAGE = 5.0


class SearchablePdfError(Exception):
    """The merge failed (qpdf error); the document's text stays searchable without it."""


def page_pdf_name(number: int) -> str:
    return f"page-{number:04d}.pdf"


@dataclass(frozen=True)
class PagePart:
    """Where page ``number`` of the merged PDF comes from: a page PDF, or the original."""

    number: int
    page_pdf: Path | None  # Tesseract's page PDF; None: take the page from the original


def build_searchable_pdf(parts: list[PagePart], original: Path, mime: str, out: Path, *,
                         workdir: Path, title: str, max_pixels: int) -> bool:
    """Write the merged PDF to ``out``; True when it is marked PDF/A-2b."""
    sources = [_source(part, original, mime, workdir, max_pixels) for part in parts]
    if len(sources) == 1 and sources[0][0] != original:
        # one page that is a file of its own (Tesseract's page PDF, an image frame): nothing
        # to merge, pikepdf writes it out (qpdf's run cost ~10 ms of a one-page document)
        return finish_pdfa(sources[0][0], out, title=title)
    merged = workdir / "merged.pdf"
    qpdf_merge(sources, merged)
    return finish_pdfa(merged, out, title=title)


def _source(part: PagePart, original: Path, mime: str, workdir: Path, max_pixels: int) -> tuple[Path, int]:
    """(file, page number) for qpdf: the page PDF, the original PDF page, or the frame as a PDF."""
    if part.page_pdf is not None:
        return part.page_pdf, 1
    if mime == "application/pdf":
        return original, part.number
    return image_page_pdf(original, part.number, workdir / f"frame-{part.number:04d}.pdf", max_pixels=max_pixels), 1


def resize_page_pdf(page_pdf: Path, *, laid_out_at: float, dpi: int) -> None:
    """Size Tesseract's one-page PDF for the scan's real ``dpi``, in place: its renderer laid
    the page out at the resolution Tesseract was told (``laid_out_at``, see
    ``tesseract.ocr_image``), so the page box and everything drawn in it are scaled by one
    transformation (``cm``) around the page's content. Image, text and their places stay
    as Tesseract wrote them relative to each other."""
    scale = laid_out_at / dpi
    with pikepdf.open(page_pdf, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        for box in ("/MediaBox", "/CropBox"):
            if box in page.obj:
                x0, y0, x1, y1 = (float(v) for v in page.obj[box])
                page.obj[box] = pikepdf.Array([x0 * scale, y0 * scale, x1 * scale, y1 * scale])
        page.contents_add(f"q {scale:.6f} 0 0 {scale:.6f} 0 0 cm\n".encode(), prepend=True)
        page.contents_add(b"\nQ", prepend=False)
        pdf.save(page_pdf)


def image_page_pdf(image_path: Path, number: int, out: Path, *, max_pixels: int) -> Path:
    """Frame ``number`` of an image as a PDF page without text; a blank page of the same
    size when the frame is too large or cannot be decoded (the page failed for that reason)."""
    size, dpi = (595.0, 842.0), 300.0
    try:
        with Image.open(image_path) as image:
            image.seek(number - 1)
            dpi = float((image.info.get("dpi") or (300,))[0] or 300)
            dpi = dpi if 50 <= dpi <= 1200 else 300.0
            size = (image.width * 72 / dpi, image.height * 72 / dpi)
            if image.width * image.height <= max_pixels:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                    frame = image.convert("RGB" if image.mode not in {"1", "L"} else image.mode)
                frame.save(out, "PDF", resolution=dpi)
                return out
    except (OSError, EOFError, ValueError, Image.DecompressionBombError) as e:
        log.warning("frame %d of %s not renderable, blank page instead: %r", number, image_path, e)
    blank = pikepdf.new()
    blank.add_blank_page(page_size=size)
    blank.save(out)
    return out


def qpdf_merge(sources: list[tuple[Path, int]], out: Path) -> None:
    """Concatenate single pages with the qpdf CLI (streams; a bounded number of open files)."""
    args = ["qpdf", "--empty", "--warning-exit-0", "--pages"]
    for path, number in sources:
        args += [str(path), str(number)]
    args += ["--", str(out)]
    timeout = 30 + QPDF_TIMEOUT_PER_PAGE * len(sources)
    try:
        subprocess.run(args, check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except subprocess.CalledProcessError as e:
        raise SearchablePdfError(f"qpdf failed: {(e.stderr or b'').decode('utf-8', 'replace')[-500:]}") from e
    except (subprocess.TimeoutExpired, FileNotFoundError) as e:
        raise SearchablePdfError(f"qpdf failed: {e}") from e


def srgb_profile() -> Path | None:
    return next((p for p in SRGB_PROFILES if p.is_file()), None)


def finish_pdfa(merged: Path, out: Path, *, title: str) -> bool:
    """Title + PDF/A-2b identification and sRGB output intent when the content allows it."""
    profile = srgb_profile()
    with pikepdf.open(merged) as pdf:
        claim = profile is not None and fonts_embedded(pdf)
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:title"] = title
            meta["xmp:CreatorTool"] = "sohoa"
            if claim:
                meta["pdfaid:part"] = "2"
                meta["pdfaid:conformance"] = "B"
        if claim:
            assert profile is not None
            icc = pikepdf.Stream(pdf, profile.read_bytes())
            icc["/N"] = 3
            pdf.Root.OutputIntents = pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1,
                OutputConditionIdentifier="sRGB IEC61966-2.1", Info="sRGB IEC61966-2.1",
                DestOutputProfile=icc))])
        pdf.save(out, fix_metadata_version=True)
    return claim


def fonts_embedded(pdf: pikepdf.Pdf) -> bool:
    """Every font on every page (and in its form XObjects) carries its font program."""
    seen: set[tuple[int, int]] = set()
    return all(_resources_ok(page.obj.get("/Resources"), seen) for page in pdf.pages)


def _resources_ok(resources: pikepdf.Object | None, seen: set[tuple[int, int]]) -> bool:
    if not isinstance(resources, pikepdf.Dictionary):
        return True
    for font in (resources.get("/Font") or {}).values():
        if not _font_ok(font):
            return False
    for xobject in (resources.get("/XObject") or {}).values():
        if xobject.get("/Subtype") != pikepdf.Name.Form:
            continue
        if xobject.is_indirect:
            if xobject.objgen in seen:
                continue
            seen.add(xobject.objgen)
        if not _resources_ok(xobject.get("/Resources"), seen):
            return False
    return True


def _font_ok(font: pikepdf.Object) -> bool:
    if font.get("/Subtype") == pikepdf.Name.Type3:
        return True  # glyphs are content streams in the file
    if font.get("/Subtype") == pikepdf.Name.Type0:
        descendants = font.get("/DescendantFonts")
        if not descendants:
            return False
        font = descendants[0]
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
