"""Page images for screens: one page of an original, upright as the OCR read it, at a width.

The pixels come from the page sources the OCR uses (``sources.open_source``: a PDF page's
own scan or a render, a TIFF frame, a JPEG/PNG), with the same pixel guard, then go through
the same turn and straightening as the searchable PDF's image (``imaging.display.upright``).
So the page's word boxes, which are in the pixel space of the page the OCR read
(``PageGeometry.width`` × ``height``, upright), lie over their words after one uniform scale:
``x * image_width / width``, ``y * image_height / height`` (``scale_box``).

Every render runs in a child process of a forkserver, at most ``concurrency`` at once per
``PageRenderer``, and is killed (with any poppler it started) after ``timeout`` seconds: a
slow or stuck render never holds an API thread for good, and the memory a large page needs
is given back when the child exits.
"""

from __future__ import annotations

import io
import math
import multiprocessing
import os
import signal
import tempfile
import threading
import warnings
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from PIL import Image

from sohoa.core.config import Settings
from sohoa.core.errors import SohoaError
from sohoa.core.vocab import ImageFormat, ImageSize
from workers.ocr.imaging.display import displayable, upright
from workers.ocr.sources import open_source

RENDER_VERSION = 1  # part of every cached image's name: bump when the pixels change
WIDTHS = {ImageSize.THUMB: 200, ImageSize.SCREEN: 1200}
MIN_WIDTH, MAX_WIDTH, WIDTH_STEP = 100, 2400, 100
MEDIA_TYPES = {ImageFormat.WEBP: "image/webp", ImageFormat.JPEG: "image/jpeg", ImageFormat.PNG: "image/png"}
EXTENSIONS = {ImageFormat.WEBP: "webp", ImageFormat.JPEG: "jpg", ImageFormat.PNG: "png"}
WEBP_QUALITY = 70
JPEG_QUALITY = 75


class PageNotRenderable(SohoaError):
    """The page's pixels cannot be read (damaged data, over the pixel limit, a failed render)."""

    code, status = "page_unrenderable", 422


class RenderTimeout(SohoaError):
    code, status = "render_timeout", 503


class RenderBusy(SohoaError):
    code, status = "render_busy", 503


@dataclass(frozen=True)
class PageGeometry:
    """A page as the OCR read it (from its database row); sizes None when it was not OCR'd."""

    number: int
    width: int | None = None  # pixels, upright: the word boxes' space
    height: int | None = None
    rotation: int = 0  # clockwise degrees turned to read it
    skew: float | None = None  # degrees straightened

    @property
    def known(self) -> bool:
        return bool(self.width and self.height)


@dataclass(frozen=True)
class RenderRequest:
    path: Path
    mime_type: str
    geometry: PageGeometry
    width: int  # from ``output_width``
    format: ImageFormat
    settings: Settings


@dataclass(frozen=True)
class RenderedImage:
    data: bytes
    width: int
    height: int
    media_type: str


def output_width(requested: int | None, size: ImageSize | None, geometry: PageGeometry) -> int:
    """The width an image is rendered at: a named size, or ``requested`` rounded up to a
    multiple of ``WIDTH_STEP`` within [``MIN_WIDTH``, ``MAX_WIDTH``] (so a page has a few
    cached sizes, not one per pixel), never wider than the page the OCR read."""
    if requested is None:
        width = WIDTHS[size or ImageSize.SCREEN]
    else:
        width = min(MAX_WIDTH, max(MIN_WIDTH, math.ceil(requested / WIDTH_STEP) * WIDTH_STEP))
    if geometry.width:
        width = min(width, geometry.width)
    return max(1, width)


def output_size(geometry: PageGeometry, width: int, max_pixels: int) -> tuple[int, int] | None:
    """(width, height) of the image of an OCR'd page at ``width`` (None for a page without
    OCR geometry: its aspect is known only once rendered), within ``max_pixels``."""
    if not geometry.known:
        return None
    assert geometry.width and geometry.height
    if width * geometry.height / geometry.width > max_pixels / width:
        width = max(1, math.floor(math.sqrt(max_pixels * geometry.width / geometry.height)))
    return width, max(1, round(geometry.height * width / geometry.width))


def scale_box(box: dict[str, Any], geometry: PageGeometry, size: tuple[int, int]) -> dict[str, Any]:
    """A word of the page's OCR (``left``/``top``/``width``/``height`` in the page's pixel
    space) in the pixel space of its image of ``size``."""
    assert geometry.width and geometry.height
    sx, sy = size[0] / geometry.width, size[1] / geometry.height
    left, top = round(box["left"] * sx), round(box["top"] * sy)
    right, bottom = round((box["left"] + box["width"]) * sx), round((box["top"] + box["height"]) * sy)
    return {**box, "left": left, "top": top, "width": max(0, right - left), "height": max(0, bottom - top)}


def render_page(request: RenderRequest) -> RenderedImage:
    """Render in this process (``PageRenderer`` runs this in a child). Raises
    ``SohoaError`` subclasses of the sources (``corrupt_file``, ``image_too_large``…)."""
    geometry, settings = request.geometry, request.settings
    size = output_size(geometry, request.width, settings.max_pixels_per_page)
    fit_side = max(size) if size else 2 * request.width  # unknown aspect: room for a tall page
    source = open_source(request.path, request.mime_type, settings)
    try:
        with tempfile.TemporaryDirectory(prefix="sohoa-img-") as tmp:
            raster = source.rasterize(geometry.number, Path(tmp), fit_side=fit_side)
            image = _scaled_upright(raster.path, geometry, size or _aspect_size(raster.width, raster.height,
                                                                               geometry.rotation, request.width))
    finally:
        source.close()
    return RenderedImage(_encode(image, request.format), image.width, image.height,
                         MEDIA_TYPES[request.format])


def _aspect_size(width: int, height: int, rotation: int, target: int) -> tuple[int, int]:
    """Output size of a page known only by its raster: its upright aspect, no upscaling."""
    upright_w, upright_h = (height, width) if rotation in (90, 270) else (width, height)
    out_w = min(target, upright_w)
    return out_w, max(1, round(upright_h * out_w / upright_w))


def _scaled_upright(path: Path, geometry: PageGeometry, size: tuple[int, int]) -> Image.Image:
    """Decode, scale to ``size`` (as it will be upright), turn and straighten. Scaling comes
    first so turning and straightening work on the small image."""
    sideways = geometry.rotation in (90, 270)
    before = (size[1], size[0]) if sideways else size
    with warnings.catch_warnings():  # the source checked the page against our own pixel limit
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with Image.open(path) as raw:
                if raw.format == "JPEG":
                    raw.draft("RGB" if raw.mode == "RGB" else "L", before)  # decode at 1/2, 1/4, 1/8
                scaled = displayable(raw).resize(before, Image.Resampling.LANCZOS, reducing_gap=3.0)
        except (OSError, SyntaxError, ValueError) as e:
            raise PageNotRenderable(f"cannot decode the page image: {e}") from e
        finally:
            Image.MAX_IMAGE_PIXELS = saved
    return upright(scaled, geometry.rotation, geometry.skew)


def _encode(image: Image.Image, fmt: ImageFormat) -> bytes:
    buf = io.BytesIO()
    if fmt == ImageFormat.WEBP:
        image.save(buf, "WEBP", quality=WEBP_QUALITY, method=4)
    elif fmt == ImageFormat.JPEG:
        image.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    else:
        image.save(buf, "PNG", optimize=True)
    return buf.getvalue()


class PageRenderer:
    """Renders page images in killable child processes, a bounded number at once.

    One per API process (built in its lifespan). ``render`` waits at most ``timeout`` for a
    free slot (503 ``render_busy``), then at most ``timeout`` for the child (503
    ``render_timeout``; the child and its process group are killed).
    """

    def __init__(self, *, concurrency: int, timeout: float) -> None:
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(concurrency)
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload([__name__])  # children start with Pillow, pypdf loaded

    @classmethod
    def from_settings(cls, settings: Settings) -> PageRenderer:
        return cls(concurrency=settings.page_image_concurrency, timeout=settings.page_image_timeout_seconds)

    def render(self, request: RenderRequest) -> RenderedImage:
        if not self._slots.acquire(timeout=self.timeout):
            raise RenderBusy("the server is busy rendering other pages; try again in a moment",
                             detail={"retry_after": math.ceil(self.timeout)})
        try:
            return self._in_child(request)
        finally:
            self._slots.release()

    def _in_child(self, request: RenderRequest) -> RenderedImage:
        # the child's own programs (poppler) get no more time than the child itself
        limit = max(1, math.ceil(self.timeout))
        request = RenderRequest(request.path, request.mime_type, request.geometry, request.width, request.format,
                                request.settings.model_copy(update={"page_timeout_seconds": limit}))
        receive, send = self._context.Pipe(duplex=False)
        child = self._context.Process(target=_child_main, args=(send, request), daemon=True)
        child.start()
        send.close()
        try:
            if not receive.poll(self.timeout):
                _kill(child)
                raise RenderTimeout(f"rendering page {request.geometry.number} took longer than "
                                    f"{self.timeout:g} s", detail={"timeout": self.timeout})
            outcome = receive.recv()
        except EOFError as e:  # the child died without answering (killed, out of memory)
            raise PageNotRenderable(f"the page renderer stopped (exit code {child.exitcode})",
                                    detail={"reason": "renderer_died"}) from e
        finally:
            receive.close()
            child.join(2)  # it exits right after answering
            _kill(child)
        if outcome[0] == "ok":
            rendered: RenderedImage = outcome[1]
            return rendered
        _, code, message = outcome
        raise PageNotRenderable(f"page {request.geometry.number} cannot be shown: {message}",
                                detail={"reason": code})


def _child_main(send: Connection, request: RenderRequest) -> None:
    """In the child: its own process group (killed as one with what it runs), one answer."""
    os.setpgid(0, 0)
    try:
        send.send(("ok", render_page(request)))
    except SohoaError as e:
        send.send(("error", e.code, e.message))
    except Exception as e:  # noqa: BLE001 - any failure of a page's pixels is that page's answer
        send.send(("error", "page_unrenderable", f"{type(e).__name__}: {e}"))
    finally:
        send.close()


def _kill(child: multiprocessing.process.BaseProcess) -> None:
    if child.pid is None or child.exitcode is not None:
        return
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        child.kill()
    child.join(5)
