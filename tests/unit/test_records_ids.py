"""ID normalization, type detection and masking used by lookups and list views."""

from __future__ import annotations

import pytest

from sohoa.core.errors import BadRequest
from sohoa.domain.records import id_type, mask_id, mask_in_text, normalize_id, parse_owner_id


@pytest.mark.parametrize(("raw", "normalized", "kind"), [
    ("001 085.000 111", "001085000111", "cccd"),
    ("  123.456.789 ", "123456789", "cmnd"),
    ("0101234567", "0101234567", "enterprise"),
    ("0101234567-001", "0101234567-001", "enterprise"),
    ("12345", "12345", None),
    ("00108500011A", "00108500011A", None),
])
def test_normalize_and_type(raw: str, normalized: str, kind: str | None) -> None:
    assert normalize_id(raw) == normalized
    assert id_type(normalized) == kind




def test_parse_owner_id_errors() -> None:
    for bad in ("00108500011", "abc", ""):
        with pytest.raises(BadRequest) as info:
            parse_owner_id(bad)
        assert info.value.code == "invalid_owner_id"


def test_masking_keeps_four_and_two() -> None:
    assert mask_id("002185000182") == "0021******82"
    assert mask_id("123456789") == "1234***89"
    assert mask_id("0101234567-001") == "0101********01"
    assert mask_id("12345") == "*****" and mask_id(None) is None
    assert mask_in_text("Số định danh cá nhân: 002 185 000 182, cấp ngày 01/02/2020") == \
        "Số định danh cá nhân: 0021******82, cấp ngày 01/02/2020"
