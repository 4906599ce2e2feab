"""Vietnamese dates: ``ngày 05 tháng 3 năm 2023`` and day-first numeric forms, never month-first.

Invalid calendar dates (31/02) are reported, not coerced; OCR look-alikes inside the digits
(``1O/O5/2O24``) are read but flagged so the caller can lower its confidence.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_D = "[0-9oil|sbOISB]"
# Works on folded lower-case text (``ngay``, ``thang``, ``nam``) with the same offsets.
FORMAL = re.compile(
    rf"ngay\s*({_D}{{1,2}})\s*(?:,\s*)?thang\s*({_D}{{1,2}})\s*(?:,\s*)?nam\s*({_D}{{4}})", re.IGNORECASE
)
NUMERIC = re.compile(rf"(?<![0-9/.\-])({_D}{{1,2}})\s?([/.\-])\s?({_D}{{1,2}})\s?\2\s?({_D}{{4}})(?![0-9/])")

_MAP = str.maketrans({"O": "0", "o": "0", "I": "1", "i": "1", "l": "1", "|": "1", "S": "5", "s": "5",
                      "B": "8", "b": "8"})


@dataclass(frozen=True)
class FoundDate:
    """A date read from text: ``value`` is None when the calendar rejects it."""

    value: date | None
    start: int
    end: int
    repaired: bool
    text: str  # the digits as read, day/month/year

    @property
    def iso(self) -> str:
        return self.value.isoformat() if self.value else self.text


def _make(day: str, month: str, year: str, start: int, end: int, slack: int) -> FoundDate | None:
    """``slack``: how many look-alike letters the context allows (the formal words are strong)."""
    raw = f"{day}{month}{year}"
    if sum(ch.isdigit() for ch in raw) < max(3, len(raw) - slack):
        return None  # mostly letters: a word, not a misread date
    fixed = raw.translate(_MAP)
    d, m, y = day.translate(_MAP), month.translate(_MAP), year.translate(_MAP)
    text = f"{int(d):02d}/{int(m):02d}/{y}"
    try:
        value: date | None = date(int(y), int(m), int(d))
    except ValueError:
        value = None
    if value is not None and not 1900 <= value.year <= 2200:
        value = None
    return FoundDate(value, start, end, fixed != raw, text)


def find_dates(folded: str, start: int = 0, end: int | None = None) -> list[FoundDate]:
    """All formal and numeric dates in ``folded[start:end]``, in order of position."""
    end = len(folded) if end is None else end
    made = (_make(m.group(1), m.group(2), m.group(3), m.start(), m.end(), 3)
            for m in FORMAL.finditer(folded, start, end))
    found = [f for f in made if f is not None]
    taken = [(f.start, f.end) for f in found]
    for m in NUMERIC.finditer(folded, start, end):
        if any(s <= m.start() < e for s, e in taken):
            continue
        one = _make(m.group(1), m.group(3), m.group(4), m.start(), m.end(), 2)
        if one is not None:
            found.append(one)
    return sorted(found, key=lambda f: f.start)


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def add_period(day: date, amount: int, unit: str) -> date:
    """``unit`` is ``day``, ``month`` or ``year`` (years are 12 months: 29 Feb → 28 Feb)."""
    if unit == "day":
        return day + timedelta(days=amount)
    if unit == "year":
        return add_months(day, 12 * amount)
    return add_months(day, amount)
