"""How generated pages are degraded the way real scans are: skew, seal and signature, photocopy."""

from __future__ import annotations

import math
import random

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFilter


def skew(image: Image.Image, angle: float) -> Image.Image:
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def stamp(image: Image.Image, rng: random.Random, dpi: int) -> Image.Image:
    """A red round seal and a blue signature drawn over the signature block (multiply blend)."""
    rgb = image.convert("RGB")
    ink = Image.new("RGB", rgb.size, (255, 255, 255))
    draw = ImageDraw.Draw(ink)
    w, h = rgb.size
    px = dpi / 25.4
    cx, cy = w * rng.uniform(0.62, 0.72), h * rng.uniform(0.50, 0.58)
    for radius, width in ((20 * px, int(1.2 * px)), (15 * px, int(0.5 * px))):
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=(205, 35, 45), width=width)
    star = [(cx + 5 * px * math.cos(a), cy - 5 * px * math.sin(a))
            for a in (math.pi / 2 + k * 4 * math.pi / 5 for k in range(5))]
    draw.polygon(star, fill=(205, 35, 45))
    for k in range(24):  # the seal's lettering, as small arcs of ink around the ring
        a = 2 * math.pi * k / 24
        x, y = cx + 17.5 * px * math.cos(a), cy + 17.5 * px * math.sin(a)
        draw.rectangle((x - 0.7 * px, y - 0.7 * px, x + 0.7 * px, y + 0.7 * px), fill=(205, 35, 45))
    sx, sy = w * 0.58, h * rng.uniform(0.45, 0.6)
    points = [(sx + t * 4, sy + 18 * px * 0.1 * math.sin(t / 9.0) * (1 + t / 200)) for t in range(160)]
    draw.line(points, fill=(30, 50, 170), width=int(0.6 * px), joint="curve")
    return Image.fromarray(np.minimum(np.asarray(rgb), np.asarray(ink)))


def photocopy(image: Image.Image, rng: random.Random) -> Image.Image:
    """Contrast loss, toner noise, speckles, a dark edge and a slight blur."""
    nprng = np.random.default_rng(rng.randint(0, 2**31))
    a: npt.NDArray[np.floating] = np.asarray(image.filter(ImageFilter.GaussianBlur(0.8)), dtype=np.float32)
    a = 60 + a * (205 - 60) / 255
    a += nprng.normal(0, 14, a.shape)
    speck = nprng.random(a.shape) < 0.002
    a[speck] = 40
    a[:, : a.shape[1] // 40] *= 0.45
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
