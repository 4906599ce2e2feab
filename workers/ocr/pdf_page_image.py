"""Is a PDF page nothing but one scanned image? Then take the image out, do not render.

The usual scanned page is exactly one image drawn upright over the whole page. For such a
page ``pdfimages`` hands over the scanned pixels themselves, decoded (colour conversion
as poppler renders it), where ``pdftoppm`` renders the page at the native dpi, resampling
the image; the ``pdfimages -list`` call that finds the render's dpi is not needed either.
Measured on the 13 such pages of the sample scans (100–300 dpi A4, JPEG inside):
``PdfSource.rasterize`` 1.22 s → 0.60 s in all (0.027–0.144 s → 0.014–0.069 s a page),
with ``prepare_page`` after it 1.68 s → 1.16 s. CER on them is the same within noise
(66 generated pages wrapped in PDFs: 58 → 56 character errors).

The rule is strict, because a page that is more than its image must be rendered to look
as it prints. A page qualifies only when all of these hold, else it is rendered as before:

- no /Rotate (or a multiple of 360), user unit 1, no annotation but links without an
  appearance stream;
- the content stream holds only ``q``, ``Q``, ``cm``, ``gs`` (with a graphics state that
  cannot change how an opaque image looks) and exactly one ``Do``, naming an image
  XObject: no text (``BT``), no paths, no inline image, no form XObject;
- the ``cm`` in force at the ``Do`` maps the unit square onto the crop box upright:
  [a 0 0 d e f] with a, d the box's width and height within 1 % and (e, f) its lower-left
  corner within 1 pt;
- the image is opaque and plain: no /ImageMask, /SMask, /Mask, /Decode, /SMaskInData or
  optional content; 8 bits of grey or RGB (/DeviceGray, /DeviceRGB, /CalGray, /CalRGB,
  /ICCBased with /N 1 or 3) or 1 bit of /DeviceGray or /CalGray;
- its pixels across and down give the same resolution within 1 %.

The caller still checks the resolution is plausible and the pixel limit before extracting.

A plain JPEG image (the scanners' usual, and Pillow's) is taken out as the JPEG file it is
(``plain_jpeg_bytes``): nothing is decoded or written but its bytes, Tesseract reads it as it
reads a JPEG upload, and its page PDF embeds those bytes again instead of re-encoding the
pixels (Tesseract's, or ``display.show_scan`` when the page was prepared). Measured with
``bench/ocr/profile.py`` (README: "OCR speed"). The bytes come from the stream pypdf has
already parsed, not from a ``pdfimages -j`` run (the same bytes; the program cost 13–27 ms
of CPU a page to start and parse the file again).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pypdf import PageObject
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject

ALLOWED_OPERATORS = {b"q", b"Q", b"cm", b"gs", b"Do"}
MAX_CONTENT_BYTES = 4096  # a one-image page's stream is under 100 bytes; anything long draws more
SCALE_TOLERANCE, OFFSET_TOLERANCE_PT, SKEW_TOLERANCE_PT = 0.01, 1.0, 0.01
PPI_TOLERANCE = 0.01
GREY_SPACES, RGB_SPACES = {"/DeviceGray", "/CalGray"}, {"/DeviceRGB", "/CalRGB"}
# graphics-state entries that change nothing on an opaque image drawn over white paper
HARMLESS_STATE = {"/Type", "/SA", "/OP", "/op", "/OPM", "/RI", "/FL", "/SM", "/LW", "/LC",
                  "/LJ", "/ML", "/D", "/HT", "/AIS", "/TK", "/BG", "/BG2", "/UCR", "/UCR2"}

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class WholePageImage:
    name: str  # the XObject's resource name
    width: int  # pixels, as stored
    height: int
    ppi: float  # pixels per inch across the page (down agrees within 1 %)
    mode: str  # Pillow mode of what pdfimages writes: "L", "RGB" or "1"
    jpeg: bool = False  # stored as a plain JPEG (/DCTDecode alone, no parameters): taken out as is


def whole_page_image(page: PageObject) -> WholePageImage | str:
    """The page's only image when the page is just that image, upright over the whole crop
    box; otherwise the reason it is not (the page must be rendered)."""
    try:
        return _whole_page_image(page)
    except Exception as e:  # noqa: BLE001 - a page we cannot read this way is rendered instead
        return f"unreadable page structure: {type(e).__name__}"


def _whole_page_image(page: PageObject) -> WholePageImage | str:
    if page.rotation % 360:
        return f"page /Rotate {page.rotation}"
    if float(page.user_unit or 1) != 1.0:
        return f"user unit {page.user_unit}"
    annots = _get(page, "/Annots")
    if annots is not None and any(_drawn_annotation(a.get_object()) for a in annots):
        return "annotations"
    resources = _get(page, "/Resources", DictionaryObject())
    drawn = _single_draw(page, resources)
    if isinstance(drawn, str):
        return drawn
    name, ctm = drawn
    image = _get(_get(resources, "/XObject", DictionaryObject()), name)
    if not isinstance(image, StreamObject):
        return f"XObject {name} missing"
    if _get(image, "/Subtype") != "/Image":
        return f"XObject {name} is a {_get(image, '/Subtype')}, not an image"
    reason = _covers_crop_box(page, ctm)
    if reason:
        return reason
    mode = _plain_image_mode(image)
    if mode not in {"L", "RGB", "1"}:
        return mode
    width, height = int(_get(image, "/Width")), int(_get(image, "/Height"))
    box = page.cropbox
    ppi_x = width / (abs(float(box.width)) / 72)
    ppi_y = height / (abs(float(box.height)) / 72)
    if abs(ppi_x - ppi_y) > PPI_TOLERANCE * max(ppi_x, ppi_y):
        return f"resolution differs across ({ppi_x:.1f}) and down ({ppi_y:.1f})"
    return WholePageImage(str(name), width, height, ppi_x, mode, jpeg=_plain_jpeg(image))


def plain_jpeg_bytes(page: PageObject, scan: WholePageImage) -> bytes:
    """The JPEG file a plain JPEG page image is (``scan.jpeg``): its stream's bytes as stored
    (/DCTDecode alone, no parameters: pypdf's data is those bytes, nothing decoded)."""
    assert scan.jpeg
    resources = _get(page, "/Resources", DictionaryObject())
    image = _get(_get(resources, "/XObject", DictionaryObject()), scan.name)
    data = image.get_data()
    if not data.startswith(b"\xff\xd8"):
        raise ValueError(f"XObject {scan.name} is not a JPEG file")
    return bytes(data)


def _single_draw(page: PageObject, resources: DictionaryObject) -> tuple[str, Matrix] | str:
    """(name, CTM) of the one ``Do`` of a stream of only q/Q/cm/gs/Do, else the reason."""
    contents = _get(page, "/Contents")
    streams = list(contents) if isinstance(contents, ArrayObject) else [contents] if contents else []
    if sum(int(_get(s.get_object(), "/Length", 0)) for s in streams) > MAX_CONTENT_BYTES:
        return "content stream too long for one image"
    stream = page.get_contents()
    if stream is None or len(stream.get_data()) > MAX_CONTENT_BYTES:
        return "no content stream" if stream is None else "content stream too long for one image"
    ctm, saved, drawn = IDENTITY, [], None
    for operands, operator in stream.operations:
        if operator not in ALLOWED_OPERATORS:
            return f"draws more than an image (operator {operator.decode('latin-1')})"
        if operator == b"q":
            saved.append(ctm)
        elif operator == b"Q":
            if not saved:
                return "unbalanced Q"
            ctm = saved.pop()
        elif operator == b"cm":
            if len(operands) != 6:
                return "malformed cm"
            a, b, c, d, e, f = (float(v) for v in operands)
            ctm = _multiply((a, b, c, d, e, f), ctm)
        elif operator == b"gs":
            reason = _harmful_state(resources, operands)
            if reason:
                return reason
        else:  # Do
            if drawn is not None:
                return "more than one Do"
            if len(operands) != 1 or not isinstance(operands[0], NameObject):
                return "malformed Do"
            drawn = (str(operands[0]), ctm)
    return drawn or "no image drawn"


def _drawn_annotation(annotation: DictionaryObject) -> bool:
    """Anything but a link without an appearance of its own may be drawn over the scan."""
    return _get(annotation, "/Subtype") != "/Link" or "/AP" in annotation


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """m × n for PDF's row-vector matrices: ``cm`` with m on a CTM n gives m × n."""
    a, b, c, d, e, f = m
    na, nb, nc, nd, ne, nf = n
    return (a * na + b * nc, a * nb + b * nd, c * na + d * nc, c * nb + d * nd,
            e * na + f * nc + ne, e * nb + f * nd + nf)


def _covers_crop_box(page: PageObject, ctm: Matrix) -> str | None:
    a, b, c, d, e, f = ctm
    box = page.cropbox
    left, bottom = min(float(box.left), float(box.right)), min(float(box.bottom), float(box.top))
    width, height = abs(float(box.width)), abs(float(box.height))
    upright = a > 0 and d > 0 and abs(b) <= SKEW_TOLERANCE_PT and abs(c) <= SKEW_TOLERANCE_PT
    if not (upright and math.isclose(a, width, rel_tol=SCALE_TOLERANCE)
            and math.isclose(d, height, rel_tol=SCALE_TOLERANCE)
            and abs(e - left) <= OFFSET_TOLERANCE_PT and abs(f - bottom) <= OFFSET_TOLERANCE_PT):
        return (f"image drawn at [{a:g} {b:g} {c:g} {d:g} {e:g} {f:g}], not upright over the "
                f"{width:g}x{height:g} crop box")
    return None


def _plain_image_mode(image: StreamObject) -> str:
    """Pillow mode of an opaque grey/RGB/bilevel image as ``pdfimages`` decodes it, else the
    reason it does not qualify."""
    if _get(image, "/ImageMask", False) != False:  # noqa: E712 - a pypdf BooleanObject is always truthy
        return "image is an /ImageMask"
    for key in ("/SMask", "/Mask", "/Decode", "/OC"):
        if key in image:
            return f"image has {key}"
    if int(_get(image, "/SMaskInData", 0)):
        return "image has /SMaskInData"
    family = _colour_family(_get(image, "/ColorSpace"))
    bits = _get(image, "/BitsPerComponent")
    bits = int(bits) if bits is not None else None
    if bits == 8 and family in GREY_SPACES:
        return "L"
    if bits == 8 and family in RGB_SPACES | {"/ICCBased"}:  # poppler turns ICC grey into RGB too
        return "RGB"
    if bits == 1 and family in GREY_SPACES:
        return "1"
    return f"image is {bits}-bit {family or 'in an unknown colour space'}"


def _plain_jpeg(image: StreamObject) -> bool:
    """Is the stream a JPEG file as it stands? Only /DCTDecode, without /DecodeParms (whose
    /ColorTransform would override the file's own colour transform)."""
    filters = _get(image, "/Filter")
    names = [str(f) for f in filters] if isinstance(filters, ArrayObject) else [str(filters)]
    return names == ["/DCTDecode"] and "/DecodeParms" not in image


def _colour_family(space: object) -> str | None:
    """The family of a grey or RGB colour space (/ICCBased only with 1 or 3 components)."""
    if isinstance(space, NameObject):
        family, params = str(space), None
    elif isinstance(space, ArrayObject) and space and isinstance(space[0], NameObject):
        family, params = str(space[0]), space[1].get_object() if len(space) > 1 else None
    else:
        return None
    if family == "/ICCBased":
        n = int(_get(params, "/N", 0)) if isinstance(params, StreamObject) else 0
        return family if n in (1, 3) else f"/ICCBased with /N {n}"
    return family


def _harmful_state(resources: DictionaryObject, operands: list) -> str | None:
    state = _get(_get(resources, "/ExtGState", DictionaryObject()), operands[0]) if operands else None
    if not isinstance(state, DictionaryObject):
        return "gs with a missing graphics state"
    for key, entry in state.items():
        value = entry.get_object()
        if key in HARMLESS_STATE:
            continue
        if key in ("/CA", "/ca") and float(value) == 1.0:
            continue
        if key == "/BM" and str(value) in ("/Normal", "/Compatible"):
            continue
        if key == "/SMask" and str(value) == "/None":
            continue
        return f"graphics state sets {key}"
    return None


def _get(dictionary: DictionaryObject, key: object, default: object = None) -> Any:
    """``dictionary[key]`` resolved (pypdf's ``get`` leaves indirect references as they are)."""
    value = dictionary.get(key)
    return default if value is None else value.get_object()
