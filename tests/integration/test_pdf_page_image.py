"""A scanned PDF page that is just one upright image has the image extracted (pdfimages),
any other page is rendered (pdftoppm): real poppler on PDFs built here with pikepdf."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import StreamObject

from sohoa.core.config import Settings
from sohoa.core.errors import ImageTooLarge
from sohoa.core.vocab import TextSource
from tests.integration import workers_support as ws
from workers.ocr import poppler
from workers.ocr.pdf_page_image import WholePageImage, whole_page_image
from workers.ocr.pipeline import process_page
from workers.ocr.sources import PdfSource
from workers.ocr.tesseract import ocr_image

PPI = 150.6  # not a whole number: a render at round(PPI) = 151 dpi is 1506 px wide, the image 1500
COLOUR_SPACES = {"L": ("/DeviceGray", 8), "RGB": ("/DeviceRGB", 8), "1": ("/DeviceGray", 1)}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:  # no database or queue: only poppler and Tesseract
    return Settings(_env_file=None, var_dir=tmp_path / "var")


def scan(mode: str = "L") -> Image.Image:
    return ws.page_image(ws.LINES[0]).convert(mode)  # 1500x256 px


def points(pixels: int, ppi: float = PPI) -> float:
    return pixels * 72 / ppi


def image_stream(pdf: pikepdf.Pdf, image: Image.Image, **extra: object) -> pikepdf.Stream:
    """The image stored losslessly (Flate), so extraction must give back these very pixels."""
    space, bits = COLOUR_SPACES[image.mode]
    stream = pikepdf.Stream(pdf, zlib.compress(image.tobytes()))  # mode "1": 1 = white, as in PDF
    stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    stream.Width, stream.Height, stream.BitsPerComponent = image.width, image.height, bits
    stream.ColorSpace, stream.Filter = pikepdf.Name(space), pikepdf.Name.FlateDecode
    for key, value in extra.items():
        stream[f"/{key}"] = value
    return stream


def one_page_pdf(path: Path, images: list[Image.Image], content: str, *,
                 size: tuple[float, float] | None = None, image_extra: dict | None = None,
                 page_extra: dict | None = None, resources_extra: dict | None = None) -> Path:
    """A one-page PDF whose content stream is ``content``, drawing ``/Im0``, ``/Im1``…;
    the page is the first image's size at ``PPI`` unless ``size`` says otherwise."""
    pdf = pikepdf.new()
    xobjects = {f"/Im{i}": image_stream(pdf, im, **(image_extra or {} if i == 0 else {}))
                for i, im in enumerate(images)}
    width, height = size or (points(images[0].width), points(images[0].height))
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=[0, 0, width, height],
        Resources=pikepdf.Dictionary({"/XObject": pikepdf.Dictionary(xobjects), **(resources_extra or {})}),
        Contents=pdf.make_stream(content.encode()),
    )
    for key, value in (page_extra or {}).items():
        page[f"/{key}"] = value
    pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)
    return path


def full_page(image: Image.Image, name: str = "/Im0") -> str:
    return f"q {points(image.width):.4f} 0 0 {points(image.height):.4f} 0 0 cm {name} Do Q"


def rasterize(path: Path, settings: Settings, workdir: Path):
    workdir.mkdir(exist_ok=True)
    source = PdfSource(path, settings)
    try:
        return source.rasterize(1, workdir)
    finally:
        source.close()


def verdict(path: Path) -> WholePageImage | str:
    return whole_page_image(PdfReader(path).pages[0])


@pytest.mark.parametrize(("mode", "suffix"), [("L", ".tif"), ("RGB", ".ppm"), ("1", ".pbm")])
def test_one_image_page_is_extracted_with_the_scanned_pixels(mode: str, suffix: str, tmp_path: Path,
                                                             settings: Settings) -> None:
    image = scan(mode)
    pdf = one_page_pdf(tmp_path / "scan.pdf", [image], full_page(image))
    expected = WholePageImage(
        "/Im0", image.width, image.height, pytest.approx(PPI), mode  # type: ignore[arg-type]  # approx compares as a float
    )
    assert verdict(pdf) == expected
    raster = rasterize(pdf, settings, tmp_path / "work")
    assert raster.path.name == f"page-0001-000{suffix}"  # pdfimages' name, not pdftoppm's
    assert (raster.width, raster.height, raster.dpi) == (image.width, image.height, 151)
    with Image.open(raster.path) as written:
        # a 151 dpi render would be 1506 px wide and resampled; these are the stored pixels
        assert written.mode == mode and written.size == image.size
        assert np.array_equal(np.asarray(written), np.asarray(image))


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_scanner_style_jpeg_pdf_is_taken_out_as_the_jpeg_it_holds(mode: str, tmp_path: Path,
                                                                 settings: Settings) -> None:
    """What scanners (and Pillow) write: one DCT image per page, page = image at its dpi. Its
    bytes are the JPEG file Tesseract reads: nothing decoded, grey stays grey, colour colour."""
    pdf, image = tmp_path / "scan.pdf", scan(mode)
    image.save(pdf, "PDF", resolution=200)
    assert isinstance(found := verdict(pdf), WholePageImage) and found.jpeg
    raster = rasterize(pdf, settings, tmp_path / "work")
    assert raster.path.suffix == ".jpg"
    assert (raster.width, raster.height, raster.dpi) == (*image.size, 200)
    with pikepdf.open(pdf) as doc:
        stored = doc.pages[0].Resources.XObject["/image"].read_raw_bytes()
    assert raster.path.read_bytes() == stored
    with Image.open(raster.path) as written:
        assert written.mode == mode and written.size == image.size


def test_jpeg_with_decode_parameters_is_decoded_not_taken_out_raw(tmp_path: Path, settings: Settings) -> None:
    """/DecodeParms (e.g. /ColorTransform) changes how the stream decodes: poppler decodes it."""
    pdf, image = tmp_path / "scan.pdf", scan("L")
    image.save(pdf, "PDF", resolution=200)
    with pikepdf.open(pdf, allow_overwriting_input=True) as doc:
        doc.pages[0].Resources.XObject["/image"].DecodeParms = pikepdf.Dictionary(ColorTransform=0)
        doc.save(pdf)
    assert isinstance(found := verdict(pdf), WholePageImage) and not found.jpeg
    raster = rasterize(pdf, settings, tmp_path / "work")
    assert raster.path.name == "page-0001-000.tif"


def test_nested_cm_harmless_gs_and_offset_crop_box_still_qualify(tmp_path: Path) -> None:
    image = scan()
    w, h = points(image.width), points(image.height)
    state = pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, CA=1, ca=1, BM=pikepdf.Name.Normal)
    pdf = one_page_pdf(
        tmp_path / "scan.pdf", [image],
        f"/GS0 gs q 1 0 0 1 10 20 cm q {w / 2:.4f} 0 0 {h:.4f} 0 0 cm 2 0 0 1 0 0 cm /Im0 Do Q Q",
        size=(w + 30, h + 40), page_extra={"CropBox": [10, 20, 10 + w, 20 + h]},
        resources_extra={"/ExtGState": pikepdf.Dictionary(GS0=state)})
    assert isinstance(verdict(pdf), WholePageImage)


def text_resources() -> dict:
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                              BaseFont=pikepdf.Name.Helvetica)
    return {"/Font": pikepdf.Dictionary(F1=font)}


FALLBACKS: dict[str, tuple[Callable[[Image.Image], str], dict[str, Any], str]] = {
    # name: (content, one_page_pdf keyword arguments, expected reason fragment)
    "two images": (lambda im: full_page(im) + " q 50 0 0 50 10 10 cm /Im1 Do Q",
                   {"second": True}, "more than one Do"),
    "image and text": (lambda im: full_page(im) + " BT /F1 12 Tf 72 72 Td (Nguyen Van An) Tj ET",
                       {"resources_extra": text_resources()}, "operator BT"),
    "inline image": (lambda im: full_page(im) + " q 10 0 0 10 0 0 cm BI /W 1 /H 1 /BPC 8 /CS /G ID \xff EI Q",
                     {}, "INLINE IMAGE"),
    "path over the scan": (lambda im: full_page(im) + " 1 0 0 RG 10 10 100 100 re S", {}, "operator RG"),
    "rotated": (lambda im: f"q 0 {points(im.width):.4f} -{points(im.height):.4f} 0 {points(im.height):.4f} 0 cm"
                           " /Im0 Do Q", {"landscape": True}, "not upright"),
    "half the page": (lambda im: f"q {points(im.width) / 2:.4f} 0 0 {points(im.height) / 2:.4f} 0 0 cm /Im0 Do Q",
                      {}, "not upright"),
    "crop box inside the image": (full_page, {"page_extra": {"CropBox": [20, 0, 300, 100]}}, "not upright"),
    "page /Rotate 90": (full_page, {"page_extra": {"Rotate": 90}}, "/Rotate 90"),
    "soft mask": (full_page, {"smask": True}, "/SMask"),
    "decode array": (full_page, {"image_extra": {"Decode": pikepdf.Array([1, 0])}}, "/Decode"),
    "half transparent": (lambda im: "/GS0 gs " + full_page(im),
                         {"resources_extra": {"/ExtGState": pikepdf.Dictionary(
                             GS0=pikepdf.Dictionary(ca=0.5))}}, "sets /ca"),
    "annotation": (full_page, {"annotation": True}, "annotations"),
    "fax 200x100": (lambda im: f"q {points(im.width, 200):.4f} 0 0 {points(im.height, 100):.4f} 0 0 cm /Im0 Do Q",
                    {"fax": True}, "resolution differs"),
}


@pytest.mark.parametrize("case", list(FALLBACKS))
def test_page_that_is_more_than_one_upright_image_is_rendered(case: str, tmp_path: Path,
                                                              settings: Settings) -> None:
    make_content, options, reason = FALLBACKS[case]
    image = scan()
    options = dict(options)
    images = [image, scan().resize((40, 40))] if options.pop("second", False) else [image]
    w, h = points(image.width), points(image.height)
    if options.pop("landscape", False):
        options["size"] = (h, w)
    if options.pop("fax", False):
        options["size"] = (points(image.width, 200), points(image.height, 100))
    smask = options.pop("smask", False)
    annotation = options.pop("annotation", False)
    pdf = one_page_pdf(tmp_path / "page.pdf", images, make_content(image), **options)
    if smask or annotation:
        with pikepdf.open(pdf, allow_overwriting_input=True) as doc:
            page = doc.pages[0]
            if smask:
                page.Resources.XObject.Im0.SMask = image_stream(doc, Image.new("L", image.size, 255))
            if annotation:
                page.Annots = doc.make_indirect(pikepdf.Array([pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Square, Rect=[10, 10, 60, 60],
                    C=[1, 0, 0])]))
            doc.save(pdf)
    found = verdict(pdf)
    assert isinstance(found, str) and reason in found
    raster = rasterize(pdf, settings, tmp_path / "work")
    assert raster.path.name in {"page-0001.pgm", "page-0001.ppm"}  # pdftoppm's output


def test_form_xobject_around_the_image_is_rendered(tmp_path: Path, settings: Settings) -> None:
    image = scan()
    w, h = points(image.width), points(image.height)
    pdf = pikepdf.new()
    form = pdf.make_stream(f"q {w:.4f} 0 0 {h:.4f} 0 0 cm /Im0 Do Q".encode())
    form.Type, form.Subtype, form.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, w, h]
    form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image_stream(pdf, image)))
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, w, h],
                              Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm0=form)),
                              Contents=pdf.make_stream(b"/Fm0 Do"))
    pdf.pages.append(pikepdf.Page(page))
    pdf.save(tmp_path / "form.pdf")
    found = verdict(tmp_path / "form.pdf")
    assert isinstance(found, str) and "/Form, not an image" in found
    assert rasterize(tmp_path / "form.pdf", settings, tmp_path / "work").path.name == "page-0001.pgm"


def test_implausible_resolution_is_rendered_at_the_default_dpi(tmp_path: Path, settings: Settings) -> None:
    image = scan().resize((300, 50))  # over a page made for 1500x250 px at 150.6 ppi: 30 ppi
    w, h = points(1500), points(250)
    pdf = one_page_pdf(tmp_path / "tiny.pdf", [image], f"q {w:.4f} 0 0 {h:.4f} 0 0 cm /Im0 Do Q",
                       size=(w, h))
    assert isinstance(verdict(pdf), WholePageImage)  # the page qualifies, its dpi does not
    raster = rasterize(pdf, settings, tmp_path / "work")
    assert raster.path.name == "page-0001.pgm" and raster.dpi == settings.ocr_default_dpi


def test_pixel_limit_is_checked_before_extracting(tmp_path: Path, settings: Settings) -> None:
    small = settings.model_copy(update={"max_pixels_per_page": 100_000})
    image = scan()
    pdf = one_page_pdf(tmp_path / "big.pdf", [image], full_page(image))
    with pytest.raises(ImageTooLarge):
        rasterize(pdf, small, tmp_path / "work")
    assert list((tmp_path / "work").iterdir()) == []  # nothing was extracted


@pytest.mark.parametrize("mode", ["L", "1"])
def test_extracted_grey_and_bilevel_pages_are_read(mode: str, tmp_path: Path, settings: Settings) -> None:
    image = ws.page_image(ws.LINES[1]).convert(mode)
    pdf = one_page_pdf(tmp_path / "scan.pdf", [image], full_page(image))
    source = PdfSource(pdf, settings)
    try:
        outcome = process_page(source, 1, settings=settings, engine=ocr_image)
    finally:
        source.close()
    if outcome.pdf_path is not None:
        outcome.pdf_path.unlink()
    assert outcome.source == TextSource.OCR and outcome.text is not None and "Thành phố Đà Nẵng" in outcome.text
    assert (outcome.width, outcome.height, outcome.dpi) == (image.width, image.height, 151)


def test_whole_page_image_never_raises_on_a_broken_page(tmp_path: Path) -> None:
    image = scan()
    pdf = one_page_pdf(tmp_path / "broken.pdf", [image], full_page(image).replace("/Im0 Do", "/Missing Do"))
    found = verdict(pdf)
    assert isinstance(found, str) and "missing" in found


def test_one_image_page_has_no_text_layer_without_asking_pdftotext(tmp_path: Path, settings: Settings,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    image = scan("L")
    scanned = one_page_pdf(tmp_path / "scan.pdf", [image], full_page(image))
    with_text = one_page_pdf(tmp_path / "text.pdf", [image], full_page(image) + " BT /F1 12 Tf (x) Tj ET")
    asked: list[Path] = []
    real = poppler.page_text

    def recording(path: Path, *a: Any, **k: Any) -> str:
        asked.append(path)
        return real(path, *a, **k)

    monkeypatch.setattr(poppler, "page_text", recording)
    for path in (scanned, with_text):
        source = PdfSource(path, settings)
        try:
            assert source.text_layer(1) is None  # neither carries real Vietnamese text
        finally:
            source.close()
    assert asked == [with_text]  # only the page that draws text was read for it


def test_pages_done_are_let_go_so_a_long_scan_does_not_grow_the_worker(tmp_path: Path, settings: Settings) -> None:
    """pypdf keeps every object it parses: without letting go, each page's image stream stayed
    in memory until the document's end (a 200-page, 223 MB scan grew the worker by ~165 MB)."""
    pdf = tmp_path / "long.pdf"
    scan("L").save(pdf, "PDF", resolution=200, save_all=True, append_images=[scan("L") for _ in range(3)])
    source = PdfSource(pdf, settings)
    try:
        for number in range(1, source.page_count + 1):
            (workdir := tmp_path / f"p{number}").mkdir()
            raster = source.rasterize(number, workdir)
            assert raster.path.suffix == ".jpg"  # each page still taken out as its JPEG
            held = [obj for obj in source._reader.resolved_objects.values()
                    if isinstance(obj, StreamObject) and obj.get("/Subtype") == "/Image"]
            assert len(held) <= 1  # this page's image at most, none of the pages before
    finally:
        source.close()
