"""Text plumbing for the extractors: lines with offsets, a folded twin, OCR digit repair.

Labels are matched on a folded, lower-cased copy of the page (``Họ và tẽn`` from a tone-mark
OCR slip still matches ``ho va ten``); values are read from the original at the same offsets,
which works because ``vntext.fold`` keeps one character per NFC character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sohoa.domain.vntext import fold, nfc

# Characters OCR puts in place of digits, and the digit each stands for.
_CONFUSABLE = {"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "|": "1", "i": "1",
               "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9"}
# Only these are repaired (DOMAIN.md lists them); the rest above are too ambiguous.
_REPAIRABLE = {"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "S": "5", "B": "8"}
DIGITISH = "0-9OoIl|SB"


@dataclass(frozen=True)
class Line:
    """One printed line: its page (1-based), offsets in that page, original and folded text."""

    page: int
    start: int
    text: str
    folded: str
    index: int  # position in the whole file's line list

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def prepare_page(text: str) -> str:
    """NFC, ``Ð`` (U+00D0, Icelandic eth) → ``Đ`` (U+0110), tabs/NBSP → space; same length."""
    return nfc(text).replace("\u00d0", "\u0110").replace("\u00f0", "\u0111").translate(
        {0x09: 0x20, 0xA0: 0x20, 0x2007: 0x20, 0x202F: 0x20}
    )


def fold_lower(text: str) -> str:
    """Folded lower-case twin of ``text`` with identical length (offsets carry over)."""
    out = fold(text)
    low = out.lower()
    return low if len(low) == len(out) == len(text) else _safe_lower(text)


def _safe_lower(text: str) -> str:
    chars = []
    for ch in text:
        f = fold(ch)
        chars.append(f.lower() if len(f.lower()) == 1 else ch)
    return "".join(chars)


def split_lines(pages: list[str]) -> list[Line]:
    """Every line of every page, in reading order, with its page and offsets."""
    lines: list[Line] = []
    for page_no, raw in enumerate(pages, start=1):
        text = prepare_page(raw)
        pos = 0
        for part in text.split("\n"):
            lines.append(Line(page_no, pos, part, fold_lower(part), len(lines)))
            pos += len(part) + 1
    return lines


def repair_digits(token: str) -> tuple[str, bool]:
    """Map OCR look-alikes to digits inside a token that is mostly digits.

    Returns the repaired token and whether anything changed. A token is repaired only when
    digits are the majority, so words like ``SBO`` are never turned into numbers.
    """
    digits = sum(ch.isdigit() for ch in token)
    letters = sum(ch in _REPAIRABLE for ch in token)
    if digits == 0 or letters == 0 or digits < 2 * letters:
        return token, False
    fixed = "".join(_REPAIRABLE.get(ch, ch) for ch in token)
    return fixed, fixed != token




def title_case_name(raw: str) -> str:
    """``ĐỖ THỊ THU TUẤN`` / ``đỗ thị thu tuấn`` → ``Đỗ Thị Thu Tuấn`` (NFC); ``H'HEN`` → ``H'Hen``."""
    words = []
    for w in raw.split():
        parts = re.split(r"(['’-])", w)
        words.append("".join(p[:1].upper() + p[1:].lower() if p not in "'’-" else p for p in parts))
    return nfc(" ".join(words))
