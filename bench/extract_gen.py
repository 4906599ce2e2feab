"""Generated administrative documents in varied wording, with the fields a clerk expects.

Independent of the sample scans' wording on purpose: other label forms, header layouts (one
column, merged OCR columns, number line before or after the motto), upper or title case
names, leading zeros or not, numeric date styles, extra spaces and line breaks, ``Ð`` for
``Đ``, tone-mark slips in labels, two documents in one file. ``noisy=True`` also puts OCR
look-alikes (O/0, l/1, S/5, B/8) inside IDs and dates: the value must still be read, at low
confidence.
"""

from __future__ import annotations

import random
from datetime import date

from sohoa.extract.ids import PROVINCE_CODES

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương",
            "Lý", "Alăng", "Bríu", "Hà", "Lò", "Thào", "Giàng"]
MIDDLES = ["Văn", "Thị", "Minh", "Quang", "Thanh", "Ngọc", "Đức", "Thu", "Xuân", "Công", "Kim", ""]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Hòa", "Hùng", "Hương", "Khánh", "Lan", "Lộc", "Mai", "Nga", "Nhiên",
         "Phúc", "Sơn", "Tâm", "Thủy", "Trí", "Tuấn", "Việt", "Yến", "Pố", "Sáu", "Nam", "Sinh"]
COMMUNES = ["Trà Đốc", "Yên Phú", "Cà Dy", "Tà Bhing", "Minh Ngọc", "Tam Hiệp", "Lạc Nông", "Đắk Pring",
            "Phước Sơn", "Hương Sơn"]
DISTRICTS = ["Bắc Mê", "Bắc Trà My", "Nam Giang", "Núi Thành", "Phước Sơn", "Mù Cang Chải"]
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO2 = "Độc lập - Tự do - Hạnh phúc"
_LOOK = {"0": "O", "1": "l", "5": "S", "8": "B"}


class Person:
    def __init__(self, rng: random.Random, born_after: int = 1940, born_before: int = 2005) -> None:
        self.sex = rng.choice(["male", "female"])
        mid = "Thị" if self.sex == "female" and rng.random() < 0.6 else rng.choice(MIDDLES)
        self.name = " ".join(w for w in (rng.choice(SURNAMES), mid, rng.choice(GIVEN)) if w)
        if self.name.count(" ") < 1:
            self.name += " " + rng.choice(GIVEN)
        self.birth = date(rng.randint(born_after, born_before), rng.randint(1, 12), rng.randint(1, 28))
        century = (self.birth.year // 100 - 19) * 2 + (1 if self.sex == "female" else 0)
        self.cccd = f"{rng.choice(sorted(PROVINCE_CODES))}{century}{self.birth.year % 100:02d}{rng.randint(0, 999999):06d}"


class Gen:
    def __init__(self, seed: int, noisy: bool = False) -> None:
        self.rng = random.Random(seed)
        self.noisy = noisy

    def pick(self, *options):
        return self.rng.choice(options)

    def formal(self, d: date) -> str:
        day, month = (f"{d.day:02d}", f"{d.month:02d}") if self.rng.random() < 0.6 else (str(d.day), str(d.month))
        sp = self.pick(" ", " ", "  ")
        return self.noise(f"ngày{sp}{day}{sp}tháng{sp}{month}{sp}năm{sp}{d.year}")

    def numeric(self, d: date) -> str:
        sep = self.pick("/", "/", "-", ".")
        day = f"{d.day:02d}" if self.rng.random() < 0.8 else str(d.day)
        return self.noise(f"{day}{sep}{d.month:02d}{sep}{d.year}")

    def any_date(self, d: date) -> str:
        return self.formal(d) if self.rng.random() < 0.5 else self.numeric(d)

    def noise(self, text: str) -> str:
        """Swap one digit for its look-alike (noisy mode only)."""
        if not self.noisy or self.rng.random() < 0.5:
            return text
        idx = [i for i, ch in enumerate(text) if ch in _LOOK]
        if not idx:
            return text
        i = self.rng.choice(idx)
        return text[:i] + _LOOK[text[i]] + text[i + 1:]

    def show(self, name: str) -> str:
        return name.upper() if self.rng.random() < 0.5 else name

    def id_line(self, cccd: str) -> str:
        lab = self.pick("Số định danh cá nhân: ", "Số CCCD: ", "Căn cước công dân số ", "Mã định danh: ",
                        "CCCD số: ", "Số định danh cá nhân:  ")
        shown = cccd if self.rng.random() < 0.85 else f"{cccd[:3]} {cccd[3:6]} {cccd[6:9]} {cccd[9:]}"
        return lab + self.noise(shown)

    def name_label(self, role: str = "") -> str:
        base = self.pick("Họ và tên", "Họ, chữ đệm, tên", "Họ tên", "Họ, chữ đệm và tên", "Họ và tẽn")
        return f"{base} {role}".rstrip() + ":" + self.pick(" ", "  ")

    def header(self, level: str, place: str, number: str | None, issued: date, office: str | None = None) -> str:
        body = self.pick("ỦY BAN NHÂN DÂN\n{L} {P}", "UBND {L} {P}", "UỶ BAN NHÂN DÂN\n{L} {P}").format(
            L=level, P=place.upper())
        if office:
            body = body.replace("\n", " ") + "\n" + office
        num = f"Số: {number}" if number else ""
        date_line = f"{place}, {self.formal(issued)}"
        layout = self.rng.random()
        if layout < 0.45:
            parts = [body, num, MOTTO, MOTTO2, date_line]
        elif layout < 0.8:
            parts = [body, MOTTO, MOTTO2, num, date_line]
        else:  # OCR read the two header columns as one
            first, *rest = body.split("\n")
            second = rest[0] if rest else ""
            parts = [f"{first} {MOTTO}", f"{second} {MOTTO2}".strip(), f"{num} {date_line}".strip()]
        return "\n".join(p for p in parts if p) + "\n"

    def doc_no(self, symbol: str) -> str:
        n = self.rng.randint(1, 2999)
        if self.rng.random() < 0.3:
            symbol = symbol.replace("Đ", "\u00d0")  # Icelandic eth, as OCR emits it
        return f"{n}/{symbol}"


def _truth(kind: str, **kw) -> dict:
    base = {"kind": kind, "name": None, "cccd": None, "doc_no": None, "issued": None, "valid_until": None,
            "business_no": None, "child_name": None, "child_cccd": None, "validity": None}
    base.update(kw)
    return base
