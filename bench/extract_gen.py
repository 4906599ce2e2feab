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

from sohoa.domain.extract.ids import PROVINCE_CODES

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương",
            "Lý", "Alăng", "Bríu", "Hà", "Lò", "Thào", "Giàng"]
MIDDLES = ["Văn", "Thị", "Minh", "Quang", "Thanh", "Ngọc", "Đức", "Thu", "Xuân", "Công", "Kim", ""]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Hòa", "Hùng", "Hương", "Khánh", "Lan", "Lộc", "Mai", "Nga", "Nhiên",
         "Phúc", "Sơn", "Tâm", "Thủy", "Trí", "Tuấn", "Việt", "Yến", "Pố", "Sáu", "Nam", "Sinh"]
COMMUNES = ["Trà Đốc", "Yên Phú", "Cà Dy", "Tà Bhing", "Minh Ngọc", "Tam Hiệp", "Lạc Nông", "Đắk Pring",
            "Phước Sơn", "Hương Sơn"]
DISTRICTS = ["Bắc Mê", "Bắc Trà My", "Nam Giang", "Núi Thành", "Phước Sơn", "Mù Cang Chải"]
PROVINCES = ["Quảng Nam", "Hà Giang", "Tuyên Quang", "Quảng Ngãi", "Thành phố Đà Nẵng", "Lào Cai", "Yên Bái"]
# Since 1 July 2025: no districts; communes, wards and special zones under 34 provinces.
NEW_UNITS = [("XÃ", "Trà Đốc"), ("XÃ", "Nam Trà My"), ("PHƯỜNG", "Hội An Đông"), ("XÃ", "Bắc Mê"),
             ("PHƯỜNG", "Hà Giang 1"), ("ĐẶC KHU", "Lý Sơn"), ("XÃ", "Thạnh Mỹ")]
NEW_PROVINCES = ["Quảng Ngãi", "Tuyên Quang", "Thành phố Đà Nẵng", "Lào Cai", "Thành phố Huế"]
DISTRICT_OFFICES = ["PHÒNG TÀI CHÍNH - KẾ HOẠCH", "PHÒNG KINH TẾ", "PHÒNG KINH TẾ VÀ HẠ TẦNG", "PHÒNG TƯ PHÁP",
                    "PHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG", "PHÒNG LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI"]
PROVINCE_OFFICES = ["SỞ TƯ PHÁP", "SỞ TÀI CHÍNH", "SỞ XÂY DỰNG", "SỞ NỘI VỤ", "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG"]
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
        self.cccd = (
            f"{rng.choice(sorted(PROVINCE_CODES))}{century}{self.birth.year % 100:02d}{rng.randint(0, 999999):06d}"
        )
        # a legacy 9-digit ID card instead, for some adults (papers issued before the switch)
        self.cmnd = (
            f"{rng.randint(1, 38):02d}{rng.randint(0, 9999999):07d}"
            if self.birth.year < 1990 and rng.random() < 0.3
            else None
        )

    def ids(self) -> dict:
        """Ground truth: the ID this person's papers print (one of the two)."""
        return {"cccd": None, "cmnd": self.cmnd} if self.cmnd else {"cccd": self.cccd, "cmnd": None}


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
        return text[:i] + _LOOK[text[i]] + text[i + 1 :]

    def show(self, name: str) -> str:
        return name.upper() if self.rng.random() < 0.5 else name

    def id_line(self, p: Person) -> str:
        if p.cmnd:
            lab = self.pick(
                "Số CMND: ",
                "Chứng minh nhân dân số ",
                "CMND số: ",
                "Số chứng minh nhân dân: ",
                "Số CMND:  ",
                "Giấy CMND số ",
                "Số Chứng minh nhân dân:",
            )
            shown = p.cmnd if self.rng.random() < 0.8 else f"{p.cmnd[:3]} {p.cmnd[3:6]} {p.cmnd[6:]}"
            return lab + self.noise(shown)
        cccd = p.cccd
        lab = self.pick(
            "Số định danh cá nhân: ",
            "Số CCCD: ",
            "Căn cước công dân số ",
            "Mã định danh: ",
            "CCCD số: ",
            "Số định danh cá nhân:  ",
        )
        shown = cccd if self.rng.random() < 0.85 else f"{cccd[:3]} {cccd[3:6]} {cccd[6:9]} {cccd[9:]}"
        return lab + self.noise(shown)

    def inline_id(self, p: Person) -> str:
        """An ID inside a sentence: ``số định danh cá nhân 0491...`` or ``số CMND 2123...``."""
        if p.cmnd:
            return (
                f"{self.pick('số CMND', 'số chứng minh nhân dân', 'CMND số', 'chứng minh nhân dân số')} "
                f"{self.noise(p.cmnd)}"
            )
        return (
            f"{self.pick('số định danh cá nhân', 'số CCCD', 'số định danh cá' + chr(10) + 'nhân')} {self.noise(p.cccd)}"
        )

    def body(self, scope: str, place: str = "", province: str = "") -> tuple[list[str], str]:
        """Printed header lines of an issuing body and what a clerk types for it.

        ``scope``: commune | district | district_office | province_office | new_commune |
        new_commune_office | business (the provincial business registration office).
        """
        ub = self.pick("ỦY BAN NHÂN DÂN", "ỦY BAN NHÂN DÂN", "UỶ BAN NHÂN DÂN", "UBND")
        full = "ỦY BAN NHÂN DÂN"
        level, name = {
            "commune": ("XÃ", place),
            "district": ("HUYỆN", place),
            "district_office": ("HUYỆN", place),
            "province_office": ("TỈNH", province),
            "business": ("TỈNH", province),
        }.get(scope, ("", ""))
        if scope.startswith("new_commune"):
            level, name = self.rng.choice(NEW_UNITS)
        unit = f"{level} {name.upper()}"
        if name.startswith("Thành phố"):
            unit = name.upper()
        office = {
            "district_office": DISTRICT_OFFICES,
            "province_office": PROVINCE_OFFICES,
            "new_commune_office": ["PHÒNG KINH TẾ", "PHÒNG VĂN HÓA - XÃ HỘI"],
        }.get(scope)
        if scope == "business":
            dept = self.pick("SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "SỞ TÀI CHÍNH")
            lines = [f"{dept} {unit}"] if self.rng.random() < 0.6 else [dept, unit]
            lines.append("PHÒNG ĐĂNG KÝ KINH DOANH")
            return self._spaced(lines), f"{dept} {unit} / PHÒNG ĐĂNG KÝ KINH DOANH"
        if ub == "UBND" or (office and self.rng.random() < 0.5):
            lines = [f"{ub} {unit}"]
        else:
            lines = [ub, unit]
        truth = f"{full} {unit}"
        if office:
            off = self.rng.choice(office)
            lines.append(off)
            truth += f" / {off}"
        return self._spaced(lines), truth

    def _spaced(self, lines: list[str]) -> list[str]:
        """Scan noise in header lines: doubled spaces, dashes without spaces or as en dashes."""
        out = []
        for line in lines:
            noisy = line.replace(" ", "  ", 1) if self.rng.random() < 0.15 else line
            if " - " in noisy and self.rng.random() < 0.3:
                noisy = noisy.replace(" - ", self.pick("-", " – ", " -"))
            out.append(noisy)
        return out

    def name_label(self, role: str = "") -> str:
        base = self.pick("Họ và tên", "Họ, chữ đệm, tên", "Họ tên", "Họ, chữ đệm và tên", "Họ và tẽn")
        return f"{base} {role}".rstrip() + ":" + self.pick(" ", "  ")

    def header(self, body: list[str], place: str, number: str | None, issued: date | None) -> str:
        """Header block: issuing body lines, number, motto, place-and-date line, in varied layouts."""
        num = f"Số: {number}" if number else ""
        date_line = f"{place}, {self.formal(issued)}" if issued else ""
        rule = [self.pick("-------", "———", "_____", "--------------")] if self.rng.random() < 0.2 else []
        layout = self.rng.random()
        if layout < 0.45:
            parts = [*body, *rule, num, MOTTO, MOTTO2, date_line]
        elif layout < 0.8:
            parts = [*body, *rule, MOTTO, MOTTO2, num, date_line]
        else:  # OCR read the two header columns as one
            first, *rest = body
            second = rest[0] if rest else ""
            parts = [f"{first} {MOTTO}", f"{second} {MOTTO2}".strip(), *rest[1:], f"{num} {date_line}".strip()]
        return "\n".join(p for p in parts if p) + "\n"

    def doc_no(self, symbol: str) -> str:
        n = self.rng.randint(1, 2999)
        if self.rng.random() < 0.3:
            symbol = symbol.replace("Đ", "\u00d0")  # Icelandic eth, as OCR emits it
        return f"{n}/{symbol}"


COMPONENT_KINDS = frozenset({"don_de_nghi", "to_khai"})


def _truth(kind: str, **kw) -> dict:
    """Expected values; ``doc_class`` is stated here, not taken from the extractor's own table."""
    base = {
        "kind": kind,
        "doc_class": "component" if kind in COMPONENT_KINDS else "result",
        "name": None,
        "cccd": None,
        "cmnd": None,
        "doc_no": None,
        "issued": None,
        "valid_until": None,
        "business_no": None,
        "child_name": None,
        "child_cccd": None,
        "validity": None,
        "issuer": None,
        "enterprise_code": None,
    }
    base.update(kw)
    return base
