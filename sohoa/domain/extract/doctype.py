"""Document type from the title line, and whether it is a result or a dossier component.

The title is the capitalised line under the national motto (``QUYẾT ĐỊNH``, ``TRÍCH LỤC KHAI
SINH``). It is matched folded (no diacritics) so a tone-mark OCR slip does not change the type;
the most specific pattern wins (``giấy chứng nhận đăng ký hộ kinh doanh`` before ``giấy
chứng nhận``).
"""

from __future__ import annotations

import re

RESULT, COMPONENT = "result", "component"

# (code, class, folded pattern). Order matters: specific before generic.
DOC_TYPES: tuple[tuple[str, str, str], ...] = (
    ("gcn_hkd", RESULT, r"giay chung nhan dang ky ho kinh doanh"),
    (
        "gcn_dkdn",
        RESULT,
        r"giay chung nhan dang ky (?:doanh nghiep|kinh doanh"
        r"|hoat dong (?:chi nhanh|van phong dai dien|dia diem kinh doanh))",
    ),
    ("gcn_qsdd", RESULT, r"giay chung nhan quyen su dung dat"),
    ("gcn_ket_hon", RESULT, r"giay chung nhan ket hon"),
    ("trich_luc_khai_sinh", RESULT, r"trich luc (?:dang ky )?khai sinh"),
    ("trich_luc_khai_tu", RESULT, r"trich luc (?:dang ky )?khai tu"),
    ("trich_luc_ket_hon", RESULT, r"trich luc (?:dang ky )?ket hon"),
    ("giay_khai_sinh", RESULT, r"giay khai sinh"),
    ("giay_chung_tu", RESULT, r"giay chung tu"),
    ("xac_nhan_tinh_trang_hon_nhan", RESULT, r"(?:giay )?xac nhan tinh trang hon nhan"),
    ("giay_phep_xay_dung", RESULT, r"giay phep xay dung"),
    ("giay_phep", RESULT, r"giay phep"),
    ("quyet_dinh", RESULT, r"quyet dinh"),
    ("giay_chung_nhan", RESULT, r"giay chung nhan"),
    ("giay_xac_nhan", RESULT, r"giay xac nhan"),
    ("thong_bao", RESULT, r"thong bao"),
    ("to_khai", COMPONENT, r"to khai"),
    ("don_de_nghi", COMPONENT, r"don (?:de nghi|xin|dang ky|yeu cau)"),
    ("don_de_nghi", COMPONENT, r"don"),
    ("don_de_nghi", COMPONENT, r"giay de nghi|phieu (?:de nghi|yeu cau)"),  # request forms are applications
    ("giay_uy_quyen", COMPONENT, r"giay uy quyen|hop dong uy quyen"),
    # a copy of an ID card filed with the dossier (the card carries the national heading too)
    ("giay_to_tuy_than", COMPONENT, r"(?:the )?can cuoc(?: cong dan)?|(?:giay )?chung minh nhan dan"),
    ("bien_ban", COMPONENT, r"bien ban"),
)
_COMPILED = tuple((code, cls, re.compile(rf"^\W*(?:{pat})\b")) for code, cls, pat in DOC_TYPES)


def classify_title(folded_line: str) -> tuple[str, str] | None:
    """(code, class) for a folded, lower-cased title line, or None when it is no known title."""
    text = re.sub(r"\s+", " ", folded_line).strip()
    for code, cls, pat in _COMPILED:
        if pat.match(text):
            return code, cls
    return None


def more_specific(code: str, than: str) -> bool:
    """True when ``code`` comes before ``than`` in DOC_TYPES (specific patterns come first)."""
    order = [c for c, _, _ in DOC_TYPES]
    return code != than and order.index(code) < order.index(than)


def doc_class(code: str) -> str:
    for c, cls, _ in DOC_TYPES:
        if c == code:
            return cls
    return RESULT


def looks_like_title(line: str) -> bool:
    """Mostly capital letters and not too long: the shape of a title line."""
    letters = [ch for ch in line if ch.isalpha()]
    if len(letters) < 3 or len(line) > 90:
        return False
    upper = sum(ch.isupper() for ch in letters)
    return upper >= 0.8 * len(letters)
