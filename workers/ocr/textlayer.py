"""Is a PDF text layer real Vietnamese text, or should the page be OCR'd instead?

Old PDFs made with TCVN3 (ABC) or VNI fonts carry text that extracts as Latin-1 garble
(``Hä vµ tªn``, ``Hoï vaø teân``); scanners add empty or junk layers. A layer is used only
when it has enough letters, nearly all of them belong to the Vietnamese alphabet, AND its
accented words are well-formed Vietnamese syllables (onset + vowel nucleus + coda, one
tone). The second test catches garble made only of letters that exist in Vietnamese
(TCVN3 ``héi`` for ``hội``, VNI ``hoøa`` → ``ø`` aside, ``Nguyeãn``). A pure function of the text.
"""

from __future__ import annotations

import re
import unicodedata

from sohoa.domain.vntext import nfc

# Lower-case letters of the Vietnamese alphabet with every tone, plus plain ASCII letters
# (foreign words, codes, abbreviations appear in real documents).
_VN_BASE = "aăâbcdđeêghiklmnoôơpqrstuưvxy" + "fjwz"
_TONES = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
_VIETNAMESE_LETTERS = frozenset(
    unicodedata.normalize("NFC", base + tone) for base in _VN_BASE for tone in _TONES
)
MIN_LETTERS = 20
MAX_FOREIGN_SHARE = 0.03
MIN_SYLLABLE_SHARE = 0.85  # of the words carrying a Vietnamese diacritic

_NUCLEI = [
    "a",
    "ă",
    "â",
    "e",
    "ê",
    "i",
    "o",
    "ô",
    "ơ",
    "u",
    "ư",
    "y",
    "ai",
    "ao",
    "au",
    "ay",
    "âu",
    "ây",
    "eo",
    "êu",
    "ia",
    "iu",
    "oa",
    "oă",
    "oe",
    "oi",
    "ôi",
    "ơi",
    "oo",
    "ua",
    "uâ",
    "uê",
    "ui",
    "uô",
    "uơ",
    "uy",
    "ưa",
    "ưi",
    "ưu",
    "ươ",
    "iê",
    "yê",
    "iêu",
    "yêu",
    "oai",
    "oay",
    "oao",
    "oeo",
    "uây",
    "uôi",
    "ươi",
    "ươu",
    "uya",
    "uyê",
    "uyu",
]
_SYLLABLE = re.compile(
    r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
    r"(" + "|".join(sorted(_NUCLEI, key=len, reverse=True)) + r")(ch|ng|nh|[cmnpt])?"
)
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_ABBREVIATION = re.compile(r"[BCDĐGHKLMNPQRSTVXFJWZ]+")  # QĐ, HĐND, NĐ: no vowel, no syllable
_WORD = re.compile(r"[^\W\d_]+")


def is_real_text(text: str) -> bool:
    """True when the layer reads as Unicode Vietnamese (or plain ASCII) text."""
    text = nfc(text)
    if "\ufffd" in text:
        return False
    letters = [ch.lower() for ch in text if ch.isalpha()]
    if len(letters) < MIN_LETTERS:
        return False
    foreign = sum(1 for ch in letters if ch not in _VIETNAMESE_LETTERS)
    if foreign / len(letters) > MAX_FOREIGN_SHARE:
        return False
    controls = sum(1 for ch in text if unicodedata.category(ch) in {"Cc", "Co", "Cn"} and ch not in "\n\r\t\f")
    return controls == 0 and syllable_share(text) >= MIN_SYLLABLE_SHARE


def syllable_share(text: str) -> float:
    """Share of the accented words (any non-ASCII letter) that are valid syllables; 1.0 if none."""
    words = [w.lower() for w in _WORD.findall(nfc(text)) if not w.isascii() and not _ABBREVIATION.fullmatch(w)]
    if not words:
        return 1.0
    return sum(1 for w in words if is_syllable(w)) / len(words)


def is_syllable(word: str) -> bool:
    """Is the lower-case ``word`` a well-formed Vietnamese syllable (at most one tone)?"""
    parts = unicodedata.normalize("NFD", word)
    if sum(1 for ch in parts if ch in _TONE_MARKS) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(ch for ch in parts if ch not in _TONE_MARKS))
    return _SYLLABLE.fullmatch(bare) is not None
