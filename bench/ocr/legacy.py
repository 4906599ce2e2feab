"""Legacy Vietnamese 8-bit encodings (TCVN3/ABC and VNI Windows) as they appear in old PDFs.

Old documents typed with .VnTime (TCVN3) or VNI-Times fonts render correctly on screen, but
their text layer holds the font's code points, which extract as garble such as ``Céng hßa``
(TCVN3) or ``Coäng hoøa`` (VNI). The benchmark and tests use these encoders to make such
text layers; the pipeline must detect them and OCR the page instead.
"""

from __future__ import annotations

import unicodedata

# TCVN3 lower-case table; the upper-case .VnTimeH fonts reuse the same codes, except for the
# seven letters that have their own slots.
_TCVN3_LOWER = dict(
    zip(
        "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ",
        "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\xadõøö÷ùúýûüþ",
        strict=True,
    )
)
_TCVN3_UPPER_OWN = dict(zip("ĂÂĐÊÔƠƯ", "¡¢§£¤¥¦", strict=True))

# VNI Windows: a base letter followed by a mark byte.
_VNI_TONE_LOWER = {"\u0300": "ø", "\u0301": "ù", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_TONE_UPPER = {"\u0300": "Ø", "\u0301": "Ù", "\u0309": "Û", "\u0303": "Õ", "\u0323": "Ï"}
# On â/ê/ô the hat and tone combine into one byte; on ă likewise.
_VNI_HAT_TONE = {"": "â", "\u0300": "à", "\u0301": "á", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
_VNI_BREVE_TONE = {"": "ê", "\u0300": "è", "\u0301": "é", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
_VNI_I_TONE = {"\u0300": "ì", "\u0301": "í", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}
_TONES = set(_VNI_TONE_LOWER)


def to_tcvn3(text: str) -> str:
    """Encode Unicode Vietnamese as a TCVN3 font's text layer would extract."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _TCVN3_UPPER_OWN:
            out.append(_TCVN3_UPPER_OWN[ch])
        elif ch.lower() in _TCVN3_LOWER:
            out.append(_TCVN3_LOWER[ch.lower()])
        else:
            out.append(ch)
    return "".join(out)


def to_vni(text: str) -> str:
    """Encode Unicode Vietnamese as a VNI font's text layer would extract."""
    return "".join(_vni_char(ch) for ch in unicodedata.normalize("NFC", text))


def _vni_char(ch: str) -> str:
    if ch in "đĐ":
        return "ñ" if ch == "đ" else "Ñ"
    parts = unicodedata.normalize("NFD", ch)
    base, marks = parts[0], parts[1:]
    if not marks:
        return ch
    upper = base.isupper()
    tone = next((m for m in marks if m in _TONES), "")
    shape = [m for m in marks if m not in _TONES]
    case = str.upper if upper else str.lower
    if base.lower() == "i" and tone and not shape:
        return case(_VNI_I_TONE[tone])
    if shape == ["\u0302"]:  # â ê ô
        return base + case(_VNI_HAT_TONE[tone])
    if shape == ["\u0306"]:  # ă
        return base + case(_VNI_BREVE_TONE[tone])
    if shape == ["\u031b"]:  # ơ ư
        horn = {"o": "ô", "u": "ö"}[base.lower()]
        return case(horn) + (_tone_byte(tone, upper) if tone else "")
    return base + _tone_byte(tone, upper)


def _tone_byte(tone: str, upper: bool) -> str:
    return (_VNI_TONE_UPPER if upper else _VNI_TONE_LOWER).get(tone, "")
