"""Is a PDF text layer real Vietnamese text, or should the page be OCR'd instead?

Old PDFs made with TCVN3 (ABC) or VNI fonts carry text that extracts as Latin-1 garble
(``Hä vµ tªn``, ``Hoï vaø teân``); scanners add empty or junk layers. A layer is used only
when it has enough letters and nearly all of them belong to the Vietnamese alphabet.
The issue-4 work refines this check; keep it a pure function of the text.
"""

from __future__ import annotations

import unicodedata

from sohoa.vntext import nfc

# Lower-case letters of the Vietnamese alphabet with every tone, plus plain ASCII letters
# (foreign words, codes, abbreviations appear in real documents).
_VN_BASE = "aăâbcdđeêghiklmnoôơpqrstuưvxy" + "fjwz"
_TONES = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
_VIETNAMESE_LETTERS = frozenset(
    unicodedata.normalize("NFC", base + tone) for base in _VN_BASE for tone in _TONES
)
MIN_LETTERS = 20
MAX_FOREIGN_SHARE = 0.03


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
    controls = sum(1 for ch in text if unicodedata.category(ch) in {"Cc", "Co", "Cn"}
                   and ch not in "\n\r\t\f")
    return controls == 0
