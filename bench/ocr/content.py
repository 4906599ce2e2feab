"""Random but realistic text of commune/district documents (DOMAIN.md shapes), seeded.

A page is a list of ``Line(text, style)``; the style says how it is drawn (bold header,
title, body). The text is the ground truth, one printed line per line.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Thanh", "Xuân", "Kim", "Bảo"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hằng",
    "Hương",
    "Lan",
    "Long",
    "Mai",
    "Nam",
    "Phương",
    "Quý",
    "Sơn",
    "Thảo",
    "Tuấn",
    "Yến",
    "Hoà",
    "Khoẻ",
    "Thuý",
    "Việt",
    "Nhung",
    "Trường",
    "Ánh",
    "Đạt",
    "Hiếu",
    "Lộc",
    "Oanh",
    "Tùng",
    "Vĩnh",
    "Hải",
    "Nguyệt",
    "Tâm",
]
PLACES = [
    ("Bắc Mê", ["Lạc Nông", "Yên Phú", "Minh Sơn", "Đường Âm"], "Hà Giang"),
    ("Bắc Trà My", ["Trà Đốc", "Trà Giang", "Trà Sơn", "Trà Kót"], "Quảng Nam"),
    ("Mường Khương", ["Bản Lầu", "Lùng Vai", "Tả Ngài Chồ"], "Lào Cai"),
    ("Đồng Hỷ", ["Hóa Thượng", "Khe Mo", "Văn Hán"], "Thái Nguyên"),
]
ETHNIC = ["Kinh", "Tày", "Nùng", "Mông", "Dao", "Cơ Tu"]
TRADES = ["Bán lẻ tạp hóa", "Dịch vụ photocopy", "Sửa chữa xe máy", "Quán ăn uống", "May mặc"]


@dataclass(frozen=True)
class Line:
    text: str
    style: str = "body"  # header | title | body | sign


def _name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _date(rng: random.Random, year: tuple[int, int] = (2015, 2025)) -> tuple[int, int, int]:
    return rng.randint(1, 28), rng.randint(1, 12), rng.randint(*year)


def _cccd(rng: random.Random, year: int, female: bool) -> str:
    century = (0 if year < 2000 else 2) + (1 if female else 0)
    return f"{rng.randint(1, 96):03d}{century}{year % 100:02d}{rng.randint(0, 999999):06d}"


def _header(rng: random.Random, district: str, commune: str, province: str) -> list[Line]:
    d, m, y = _date(rng)
    return [
        Line(f"UBND HUYỆN {district.upper()}", "header"),
        Line(f"UỶ BAN NHÂN DÂN XÃ {commune.upper()}", "header"),
        Line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "header"),
        Line("Độc lập - Tự do - Hạnh phúc", "header"),
        Line(f"Số: {rng.randint(1, 999)}/QĐ-UBND", "body"),
        Line(f"{commune}, ngày {d:02d} tháng {m:02d} năm {y}", "body"),
    ]


def _person(rng: random.Random, district: str, commune: str, province: str) -> list[Line]:
    female = rng.random() < 0.5
    name = _name(rng)
    d, m, y = _date(rng, (1950, 2004))
    return [
        Line(f"Họ, chữ đệm, tên: {name.upper()}"),
        Line(f"Giới tính: {'Nữ' if female else 'Nam'}    Dân tộc: {rng.choice(ETHNIC)}"),
        Line(f"Ngày, tháng, năm sinh: {d:02d}/{m:02d}/{y}"),
        Line(f"Số định danh cá nhân: {_cccd(rng, y, female)}"),
        Line(f"Nơi cư trú: thôn {rng.randint(1, 12)}, xã {commune}, huyện {district},"),
        Line(f"tỉnh {province}"),
    ]


def marital(rng: random.Random) -> list[Line]:
    district, communes, province = rng.choice(PLACES)
    commune = rng.choice(communes)
    d, m, y = _date(rng)
    return [
        *_header(rng, district, commune, province),
        Line("GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "title"),
        Line(f"Xét đề nghị của ông/bà {_name(rng)} về việc cấp giấy"),
        Line("xác nhận tình trạng hôn nhân cho người có tên dưới đây,"),
        Line(f"ỦY BAN NHÂN DÂN XÃ {commune.upper()} XÁC NHẬN:", "header"),
        *_person(rng, district, commune, province),
        Line("Tình trạng hôn nhân: Hiện tại chưa đăng ký kết hôn với ai."),
        Line("Giấy này có giá trị sử dụng trong thời hạn 6 tháng kể từ ngày cấp,"),
        Line(f"đến ngày {d:02d} tháng {m:02d} năm {y + 1}, để làm thủ tục kết hôn."),
        Line("TM. ỦY BAN NHÂN DÂN", "sign"),
        Line("CHỦ TỊCH", "sign"),
        Line(_name(rng), "sign"),
    ]


def business(rng: random.Random) -> list[Line]:
    district, communes, province = rng.choice(PLACES)
    commune = rng.choice(communes)
    reg = f"{rng.randint(10, 99)}G{rng.randint(0, 9999999):07d}"
    return [
        *_header(rng, district, commune, province),
        Line("GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", "title"),
        Line(f"Số: {reg}"),
        Line(f"1. Tên hộ kinh doanh: Cơ sở {rng.choice(TRADES).lower()} {rng.choice(GIVEN)}"),
        Line(f"2. Địa điểm kinh doanh: thôn {rng.randint(1, 12)}, xã {commune}"),
        Line(f"3. Ngành, nghề kinh doanh: {rng.choice(TRADES)}"),
        Line(f"4. Vốn kinh doanh: {rng.randint(20, 900)}.000.000 đồng"),
        Line("5. Đại diện hộ kinh doanh:"),
        *_person(rng, district, commune, province),
        Line("TRƯỞNG PHÒNG TÀI CHÍNH - KẾ HOẠCH", "sign"),
        Line(_name(rng), "sign"),
    ]


def decision(rng: random.Random) -> list[Line]:
    district, communes, province = rng.choice(PLACES)
    commune = rng.choice(communes)
    name = _name(rng)
    return [
        *_header(rng, district, commune, province),
        Line("QUYẾT ĐỊNH", "title"),
        Line("Về việc hỗ trợ kinh phí sửa chữa nhà ở cho hộ nghèo"),
        Line(f"CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ {commune.upper()}", "header"),
        Line("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;"),
        Line("Căn cứ Nghị định số 45/2020/NĐ-CP ngày 08 tháng 4 năm 2020;"),
        Line("QUYẾT ĐỊNH:", "header"),
        Line(f"Điều 1. Hỗ trợ ông/bà {name}, thôn {rng.randint(1, 12)},"),
        Line(f"số tiền {rng.randint(5, 60)}.000.000 đồng để sửa chữa nhà ở."),
        Line("Điều 2. Quyết định này có hiệu lực kể từ ngày ký."),
        Line("Điều 3. Văn phòng HĐND và UBND xã, các cá nhân có tên tại"),
        Line("Điều 1 chịu trách nhiệm thi hành Quyết định này."),
        Line("CHỦ TỊCH", "sign"),
        Line(_name(rng), "sign"),
    ]


TEMPLATES = (marital, business, decision)


def make_page(rng: random.Random) -> list[Line]:
    return rng.choice(TEMPLATES)(rng)


def truth_text(lines: list[Line]) -> str:
    return "\n".join(line.text for line in lines)
