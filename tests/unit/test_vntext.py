from __future__ import annotations

import unicodedata

import pytest

from sohoa.domain.vntext import canonical_tones, fold, folded, nfc, normalize


@pytest.mark.parametrize(
    ("old", "new"),
    [("hoà", "hòa"), ("khoẻ", "khỏe"), ("thuý", "thúy"), ("Thuỷ", "Thủy"), ("HOÀ", "HÒA")],
)
def test_old_and_new_tone_placement_compare_equal(old: str, new: str) -> None:
    assert canonical_tones(old) == canonical_tones(new)


@pytest.mark.parametrize("word", ["hoàn", "thuyền", "người", "giữa", "quả", "già", "khuỷu", "quyết", "của"])
def test_correctly_placed_marks_are_left_alone(word: str) -> None:
    assert canonical_tones(word) == word


def test_decomposed_input_is_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hoà")
    assert normalize(decomposed) == "nguyễn thị hòa"
    assert nfc(decomposed) == unicodedata.normalize("NFC", decomposed)


def test_fold_maps_d_bar_and_keeps_length() -> None:
    text = "ĐẶNG ĐỨC HÒA, Ðồng"
    assert fold(text) == "DANG DUC HOA, Dong"
    assert len(fold(text)) == len(nfc(text))
    assert folded("Đỗ Thị Thu Tuấn") == "do thi thu tuan"
