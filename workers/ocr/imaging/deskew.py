"""Skew detection by projection profile on a downscaled page.

Text lines of a straight page make the row profile of ink pixels spiky (dark lines, white
gaps); turning the ink by the right angle maximises that spikiness. Only ink coordinates
are rotated (a few tens of thousands of points on a ~1000 px preview), never the image, so
detection costs milliseconds. The answer is sanity-checked: an angle at the edge of the
search range, or a profile barely better than the unrotated one, is no answer at all.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

cv2.setNumThreads(1)  # one worker per core already: OpenCV's own threads would only contend

MAX_ANGLE = 6.0  # searched range: ±5° pages must not sit on its edge; beyond it is not skew
PREVIEW_WIDTH = 1000
MIN_INK_POINTS = 500  # too little ink to judge (blank page, a few words)
MIN_GAIN = 1.15  # the best angle must sharpen the profile this much over 0°
MIN_CORRECTION = (
    1.0  # below 1° deskewing changed nothing measurable on the samples (CER 5.82% vs 5.86%), so it is not paid for
)
SIDEWAYS_RATIO = 3.0
MIN_LINES, UPSIDE_DOWN = 8, 0.4  # upright samples 0.5-3.7, turned generated pages <= 0.33


def detect_skew(gray: Image.Image) -> float | None:
    """Degrees the page content is turned counter-clockwise (PIL's sense), or None.

    None means "no trustworthy angle": too little ink, a flat profile, or a best angle
    at the edge of ±``MAX_ANGLE`` (something other than skew, e.g. a photo or a table).
    """
    points = ink_points(gray)
    return None if points is None else skew_of(points)


def is_sideways(points: np.ndarray | None) -> bool:
    """Do the text lines run top to bottom (page turned 90° or 270°)?

    Columns of a sideways page make the spiky profile that rows make on an upright one;
    comparing the two (each at its best angle within ±``MAX_ANGLE``) tells them apart by a
    factor of ~100 on the benchmark, far from the ``SIDEWAYS_RATIO`` threshold.
    """
    if points is None:
        return False
    rows = _best_sharpness(points)
    columns = _best_sharpness(points[::-1].copy())
    return columns > SIDEWAYS_RATIO * rows


def _best_sharpness(points: np.ndarray) -> float:
    return max(_sharpness(points, a) for a in np.arange(-MAX_ANGLE, MAX_ANGLE + 1e-9, 1.0))


def skew_of(points: np.ndarray) -> float | None:
    """The skew angle from ink points (see ``detect_skew``)."""
    coarse = np.arange(-MAX_ANGLE, MAX_ANGLE + 1e-9, 0.5)
    scores = np.array([_sharpness(points, a) for a in coarse])
    best = float(coarse[int(scores.argmax())])
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.1)
    fine_scores = np.array([_sharpness(points, a) for a in fine])
    angle = float(fine[int(fine_scores.argmax())])
    if abs(angle) >= MAX_ANGLE - 0.05:
        return None
    if abs(angle) >= MIN_CORRECTION and fine_scores.max() < _sharpness(points, 0.0) * MIN_GAIN:
        return None
    return round(angle, 2)


def ink_points(gray: Image.Image) -> np.ndarray | None:
    """(x, y) of dark pixels on a preview about ``PREVIEW_WIDTH`` wide, centred."""
    scale = min(1.0, PREVIEW_WIDTH / gray.width)
    preview = (
        gray
        if scale == 1.0
        else gray.resize((max(1, round(gray.width * scale)), max(1, round(gray.height * scale))), Image.Resampling.BOX)
    )
    a = np.asarray(preview, dtype=np.uint8)
    threshold = min(128, int(a.mean()) - 40)
    ys, xs = np.nonzero(a < threshold)
    if len(xs) < MIN_INK_POINTS:
        return None
    return np.stack([xs - a.shape[1] / 2, ys - a.shape[0] / 2]).astype(np.float32)


def _sharpness(points: np.ndarray, angle: float) -> float:
    """Sum of squared row-to-row changes of the ink profile after turning by ``angle``.

    Bins are clipped at the 90th percentile so a solid dark band (a photocopier's edge, a
    black border) counts like one more line of text instead of dominating the score.
    """
    t = np.deg2rad(angle)
    y = points[1] * np.cos(t) + points[0] * np.sin(t)
    hist = np.bincount((y - y.min()).astype(np.int64)).astype(np.float64)
    nonzero = hist[hist > 0]
    if len(nonzero):
        hist = np.minimum(hist, _percentile(nonzero, 0.9))
    return float(np.sum(np.diff(hist) ** 2))


def _percentile(values: np.ndarray, q: float) -> float:
    """``np.percentile(values, 100 * q)`` (linear method) by partial sort: the same value,
    without numpy's per-call overhead, which was most of ``_sharpness``'s time (it runs
    ~60 times a page)."""
    k = q * (len(values) - 1)
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    part = np.partition(values, (lo, hi))
    return float(part[lo] + (part[hi] - part[lo]) * (k - lo))


def row_profile(points: np.ndarray, angle: float) -> np.ndarray:
    """Ink per row after turning the ink points by ``angle`` (top of the page first)."""
    t = np.deg2rad(angle)
    y = points[1] * np.cos(t) + points[0] * np.sin(t)
    return np.bincount((y - y.min()).astype(np.int64)).astype(np.float64)


def looks_upside_down(points: np.ndarray | None, angle: float = 0.0) -> bool:
    """Is the page upside down? Vietnamese puts its marks above the letters (and Latin
    ascenders outnumber descenders), so each text line carries more ink above its x-height
    core than below it: 0.5-3.7x on upright sample pages, <= 0.33 on turned ones (bench/ocr). Only clear
    evidence counts: at least ``MIN_LINES`` separate lines and a ratio below ``UPSIDE_DOWN``;
    anything else (noise, borders joining the lines) says no and the pass decides.
    """
    ratio = mark_ratio(points, angle)
    return ratio is not None and ratio < UPSIDE_DOWN


def sideways_turn(points: np.ndarray | None) -> int | None:
    """For a sideways page: clockwise degrees (90/270) to read it, from the same marks test
    on the columns, taken at the columns' own skew (as the upside-down test takes the rows'):
    a skewed sideways page smears its lines at 0° and the test loses its evidence (the
    samples' doc0011, 0.9° off: ratio 0.88 at 0°, 0.35 at its angle), which cost an OSD run
    (~0.4 s of CPU); None without clear evidence (then OSD decides)."""
    if points is None:
        return None
    columns = points[::-1].copy()  # x as rows: line tops point to small x if 90
    ratio = mark_ratio(columns, skew_of(columns) or 0.0)
    if ratio is None or UPSIDE_DOWN <= ratio <= 1 / UPSIDE_DOWN:
        return None
    return 90 if ratio > 1 else 270


def mark_ratio(points: np.ndarray | None, angle: float = 0.0) -> float | None:
    """Ink above / below the x-height cores of the lines; None with too few lines."""
    if points is None:
        return None
    profile = row_profile(points, angle)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], (profile > 0).astype(np.int8), [0]))))
    above = below = 0.0
    lines = 0
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        line = profile[start:end]
        if end - start < 4:
            continue
        core = np.flatnonzero(line >= 0.5 * line.max())
        above += float(line[: core[0]].sum())
        below += float(line[core[-1] + 1 :].sum())
        lines += 1
    return above / max(below, 1.0) if lines >= MIN_LINES else None


def straighten(image: Image.Image, angle: float) -> Image.Image:
    """Turn the page back by ``angle`` degrees (white fill, same size: margins absorb it).

    Bilinear, as Pillow's ``rotate`` would do it, by OpenCV's ``warpAffine``: 16 ms instead
    of 63 ms of CPU on a 200 dpi A4 page, the same pixels within one grey level on average
    (``bench/ocr/README.md``, "Deskew by OpenCV"). Grey or RGB pages (the display's colour scan).
    """
    if image.mode not in {"L", "RGB"}:
        image = image.convert("RGB")
    pixels = np.asarray(image)
    height, width = pixels.shape[:2]
    matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), -angle, 1.0)  # pixel centres
    white = 255 if image.mode == "L" else (255, 255, 255)
    turned = cv2.warpAffine(pixels, matrix, (width, height), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=white)
    return Image.fromarray(turned, mode=image.mode)
