"""Imaging stages on small generated pages: skew, sideways detection, seal suppression."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from workers.ocr.imaging.colour import is_bilevel, to_gray, upscale_factor
from workers.ocr.imaging.deskew import MIN_CORRECTION, detect_skew, ink_points, is_sideways, straighten
from workers.ocr.imaging.orientation import parse_osd

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
LINES = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Họ và tên: Nguyễn Thị Hồng Nhung",
    "Nơi cư trú: thôn 5, xã Lùng Vai, huyện Mường Khương",
    "Số định danh cá nhân: 001190012345",
    "Ngày cấp: 12 tháng 03 năm 2021",
    "Giấy này có giá trị trong thời hạn 6 tháng",
    "TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH",
]


def text_page(width: int = 1400, size: int = 36) -> Image.Image:
    font = ImageFont.truetype(FONT, size)
    image = Image.new("L", (width, 120 + len(LINES) * size * 2), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(LINES):
        draw.text((60, 60 + i * size * 2), line, font=font, fill=0)
    return image


@pytest.mark.parametrize("angle", [-4.6, -2.5, -1.2, 1.7, 3.4, 4.8])
def test_skew_within_five_degrees_is_measured_within_a_quarter_degree(angle: float) -> None:
    skewed = text_page().rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    found = detect_skew(skewed)
    assert found is not None and abs(found - angle) <= 0.25


def test_straightened_page_measures_straight() -> None:
    skewed = text_page().rotate(3.0, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    angle = detect_skew(skewed)
    assert angle is not None
    assert abs(detect_skew(straighten(skewed, angle)) or 0.0) <= 0.2


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_straighten_turns_like_pillows_bilinear_rotate_with_white_corners(mode: str) -> None:
    page = text_page().convert(mode)
    ours = np.asarray(straighten(page, 2.7), dtype=np.int16)
    pillow = np.asarray(page.rotate(-2.7, resample=Image.Resampling.BILINEAR, fillcolor=(255,) * len(mode)),
                        dtype=np.int16)
    assert ours.shape == pillow.shape  # same size: the margins absorb the turn
    assert np.abs(ours - pillow).mean() < 1.0  # the same pixels, within a grey level on average
    assert (ours[:3, :3] == 255).all() and (ours[-3:, -3:] == 255).all()  # white brought in


def test_angle_sanity_check_rejects_what_is_not_skew() -> None:
    assert detect_skew(Image.new("L", (800, 1000), 255)) is None  # blank: no ink to judge
    speckle = np.where(np.random.default_rng(1).random((600, 600)) < 0.1, 0, 255).astype(np.uint8)
    noise = Image.fromarray(speckle)
    found = detect_skew(noise)  # ink without lines: no angle sharpens the profile
    assert found is None or abs(found) < MIN_CORRECTION  # nothing worth correcting
    steep = text_page().rotate(12, expand=True, fillcolor=255)
    found = detect_skew(steep)
    assert found is None or abs(found - 12) > 1  # never "corrects" beyond the ±5° range


def test_straight_page_needs_no_correction() -> None:
    assert abs(detect_skew(text_page()) or 0.0) < 0.3


def test_sideways_pages_are_told_from_upright_and_upside_down() -> None:
    page = text_page()
    assert not is_sideways(ink_points(page))
    assert not is_sideways(ink_points(page.rotate(180)))
    assert is_sideways(ink_points(page.transpose(Image.Transpose.ROTATE_90)))
    assert is_sideways(ink_points(page.transpose(Image.Transpose.ROTATE_270)))


def stamped_page() -> Image.Image:
    """Black text with a red seal ring and a blue signature stroke drawn over it (multiply)."""
    page = text_page().convert("RGB")
    ink = Image.new("RGB", page.size, (255, 255, 255))
    draw = ImageDraw.Draw(ink)
    draw.ellipse((300, 40, 700, 440), outline=(205, 35, 45), width=14)
    draw.line([(200, 300), (900, 360)], fill=(30, 50, 170), width=8)
    return Image.fromarray(np.minimum(np.asarray(page), np.asarray(ink)))


def test_red_seal_and_blue_signature_are_suppressed_black_text_kept() -> None:
    page = stamped_page()
    gray = np.asarray(to_gray(page))
    rgb = np.asarray(page).astype(int)
    seal = (rgb[..., 0] > 150) & (rgb[..., 1] < 80)
    signature = (rgb[..., 2] > 130) & (rgb[..., 0] < 80)
    text = rgb.max(axis=2) < 40
    assert seal.sum() > 1000 and signature.sum() > 1000 and text.sum() > 1000
    assert gray[seal].mean() > 245 and gray[signature].mean() > 235  # paper white, or nearly
    assert gray[text].mean() < 40  # text stays black, also under the seal
    plain = np.asarray(page.convert("L"))
    assert plain[seal].mean() < 120  # what Tesseract's own grey would have kept as ink


def test_grey_page_in_rgb_is_read_as_plain_grey() -> None:
    page = text_page()
    assert np.array_equal(np.asarray(to_gray(page.convert("RGB"))), np.asarray(page))


@pytest.mark.parametrize(("report", "degrees"), [
    ("Page number: 0\nOrientation in degrees: 270\nRotate: 90\nOrientation confidence: 7.3\n", 90),
    ("Rotate: 270\nOrientation confidence: 12.0\n", 270),
    ("Rotate: 90\nOrientation confidence: 0.4\n", 0),  # not sure: leave the page as it is
    ("Too few characters. Skipping this page\n", 0),
])
def test_osd_report_is_read_with_its_confidence(report: str, degrees: int) -> None:
    assert parse_osd(report) == degrees


def test_upside_down_page_is_told_from_upright_by_its_marks() -> None:
    from workers.ocr.imaging.deskew import looks_upside_down

    page = text_page()
    assert not looks_upside_down(ink_points(page))
    assert looks_upside_down(ink_points(page.rotate(180)))
    assert not looks_upside_down(ink_points(Image.new("L", (800, 600), 255)))  # no evidence: no


def test_skew_profile_percentile_equals_numpys() -> None:
    from workers.ocr.imaging.deskew import _percentile

    rng = np.random.default_rng(7)
    for size in (1, 2, 3, 10, 101, 4000):
        values = rng.integers(1, 300, size).astype(np.float64)
        assert _percentile(values, 0.9) == pytest.approx(float(np.percentile(values, 90)), abs=1e-9)


def test_skewed_sideways_page_is_turned_by_its_marks_at_its_own_angle() -> None:
    """1.5° off and sideways: at 0° the smeared lines leave the marks test unsure (OSD would
    run, ~0.4 s); at the columns' own skew it is clear."""
    from workers.ocr.imaging.deskew import UPSIDE_DOWN, mark_ratio, sideways_turn

    skewed = text_page().rotate(1.5, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    points = ink_points(skewed.transpose(Image.Transpose.ROTATE_90))
    assert points is not None
    ratio_at_zero = mark_ratio(points[::-1].copy())
    assert ratio_at_zero is not None and UPSIDE_DOWN <= ratio_at_zero <= 1 / UPSIDE_DOWN
    assert sideways_turn(points) == 90


def jpeg_round_trip(image: Image.Image, quality: int = 88) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("L")


def test_only_low_dpi_pages_with_grey_edges_are_enlarged() -> None:
    grey = text_page(width=467, size=12)  # anti-aliased, as a grey scanner or a render gives it
    fax = grey.point(lambda v: 0 if v < 128 else 255)
    assert not is_bilevel(grey) and upscale_factor(100, grey) == 1.5
    assert is_bilevel(fax) and upscale_factor(100, fax) == 1.0
    assert is_bilevel(jpeg_round_trip(fax))  # a fax put into a PDF as JPEG stays a fax
    assert upscale_factor(150, grey) == 1.0  # 150 dpi and up: never
