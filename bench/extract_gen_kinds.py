"""Per-type generators for ``bench.extract_gen`` (kept apart to keep modules small)."""

from __future__ import annotations

from datetime import date, timedelta

from bench.extract_gen import COMMUNES, DISTRICTS, MOTTO, MOTTO2, Gen, Person, _truth
from sohoa.extract.dates import add_months


def _issued(g: Gen) -> date:
    return date(2019, 1, 1) + timedelta(days=g.rng.randint(0, 6 * 365))


def qd(g: Gen) -> tuple[str, dict]:
    p, d = Person(g.rng), _issued(g)
    district = g.rng.choice(DISTRICTS)
    no = g.doc_no(g.pick("QĐ-UBND", "QĐ-UBND", "2023/QĐ-UBND".replace("2023", str(d.year))))
    honor = "ông" if p.sex == "male" else "bà"
    id_label = g.pick("số định danh cá nhân", "số CCCD", "số định danh cá\nnhân")
    clause = g.pick("Quyết định này có hiệu lực kể từ ngày ký.",
                    "Quyết định có hiệu lực thi hành kể từ ngày ký.",
                    "Quyết định này có hiệu lực\nkể từ ngày ký.")
    text = g.header("HUYỆN", district, no, d) + (
        "QUYẾT ĐỊNH\nVề việc hỗ trợ kinh phí\n"
        f"ỦY BAN NHÂN DÂN HUYỆN {district.upper()}\n"
        f"Căn cứ Luật Tổ chức chính quyền địa phương {g.formal(date(2015, 6, 19))};\n"
        f"Căn cứ Quyết định số {g.rng.randint(1, 999)}/QĐ-UBND của Ủy ban nhân dân tỉnh;\nQUYẾT ĐỊNH:\n"
        f"Điều 1. Hỗ trợ cho hộ {honor} {p.name}, {id_label} "
        f"{g.noise(p.cccd)}, cư trú tại thôn {g.rng.randint(1, 9)}, số tiền {g.rng.randint(5, 60)}.000.000 đồng.\n"
        f"Điều 2. {clause}\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n")
    return text, _truth("quyet_dinh", name=p.name, cccd=p.cccd, doc_no=no.replace("\u00d0", "Đ"),
                        issued=d.isoformat(), validity="permanent")


def hkd(g: Gen) -> tuple[str, dict]:
    p, d = Person(g.rng), _issued(g)
    district, commune = g.rng.choice(DISTRICTS), g.rng.choice(COMMUNES)
    no = f"{g.rng.randint(10, 99)}{g.pick('G8', 'A1', 'K3')}{g.rng.randint(0, 999999):06d}"
    office = g.pick("PHÒNG TÀI CHÍNH - KẾ HOẠCH", "PHÒNG KINH TẾ")
    head = g.header("HUYỆN", district, None, d, office=office)
    sex = "Nữ" if p.sex == "female" else "Nam"
    text = head + (
        f"GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH\n{g.pick('Số: ', 'Số:', 'Mã số hộ kinh doanh: ')}{no}\n"
        f"Đăng ký lần đầu: {g.formal(d)}\n1. Tên hộ kinh doanh: Cơ sở {g.rng.choice(COMMUNES)}\n"
        f"2. Địa điểm kinh doanh: thôn 2, xã {commune}, huyện {district}\n"
        f"4. Vốn kinh doanh: {g.rng.randint(50, 900)}.000.000 đồng\n"
        f"5. {g.pick('Họ và tên đại diện hộ kinh doanh', 'Họ, chữ đệm, tên chủ hộ', 'Họ tên người đại diện')}: "
        f"{g.show(p.name)}\nGiới tính: {sex}{g.pick(' ', '   ')}Sinh ngày: {g.numeric(p.birth)} Dân tộc: Kinh\n"
        f"{g.id_line(p.cccd)}\nNơi thường trú: thôn 2, xã {commune}\nTRƯỞNG PHÒNG\n")
    return text, _truth("gcn_hkd", name=p.name, cccd=p.cccd, doc_no=no, business_no=no, issued=d.isoformat(),
                        validity="permanent")


def ks(g: Gen) -> tuple[str, dict]:
    d = _issued(g)
    child = Person(g.rng, d.year, d.year)
    child.birth = min(child.birth, d)
    parent = Person(g.rng, 1960, 2000)
    commune = g.rng.choice(COMMUNES)
    no = f"{g.rng.randint(1, 400)}/{d.year}"
    role = "người mẹ" if parent.sex == "female" else "người cha"
    text = g.header("XÃ", commune, no, d) + (
        f"TRÍCH LỤC KHAI SINH\n(Bản sao)\nSố: {no}{g.pick(' ', '  ')}Quyển số: 01/{d.year}\n"
        f"{g.name_label()}{g.show(child.name)}\n"
        f"Ngày, tháng, năm sinh: {g.any_date(child.birth)}\n"
        f"Giới tính: {'Nữ' if child.sex == 'female' else 'Nam'} Dân tộc: Kinh Quốc tịch: Việt Nam\n"
        f"Nơi sinh: Trạm Y tế xã {commune}\n{g.id_line(child.cccd)}\n"
        f"{g.name_label(role)}{g.show(parent.name)}\n"
        f"Nơi đăng ký khai sinh: Ủy ban nhân dân xã {commune}\nNGƯỜI KÝ TRÍCH LỤC\n")
    return text, _truth("trich_luc_khai_sinh", name=parent.name, doc_no=no, issued=d.isoformat(),
                        child_name=child.name, child_cccd=child.cccd, validity="permanent")


def kt(g: Gen) -> tuple[str, dict]:
    d = _issued(g)
    dead, asker = Person(g.rng, 1930, 1970), Person(g.rng, 1960, 2000)
    commune = g.rng.choice(COMMUNES)
    no = f"{g.rng.randint(1, 200)}/{d.year}"
    text = g.header("XÃ", commune, no, d) + (
        f"TRÍCH LỤC KHAI TỬ\n{g.name_label()}{g.show(dead.name)}\nNgày, tháng, năm sinh: {g.numeric(dead.birth)}\n"
        f"{g.id_line(dead.cccd)}\nĐã chết vào lúc: 10 giờ, {g.formal(d - timedelta(days=3))}\n"
        f"{g.name_label('người đi đăng ký')}{asker.name}\n")
    return text, _truth("trich_luc_khai_tu", name=asker.name, doc_no=no, issued=d.isoformat(),
                        validity="permanent")


def hn(g: Gen) -> tuple[str, dict]:
    p, d = Person(g.rng, 1950, 2004), _issued(g)
    commune = g.rng.choice(COMMUNES)
    no = f"{g.rng.randint(1, 300)}/UBND-XNTTHN"
    printed = g.rng.random() < 0.7
    until = add_months(d, 6)
    honor = "ông" if p.sex == "male" else "bà"
    tail = f"Giấy này có giá trị sử dụng đến {g.formal(until)}.\n" if printed else \
        g.pick("Giấy này có giá trị sử dụng trong thời hạn 06 tháng kể từ ngày cấp.\n", "")
    text = g.header("XÃ", commune, no, d) + (
        f"GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN\nXét đề nghị của {honor} {p.name} về việc xác nhận tình trạng hôn nhân cho:\n"
        f"{g.name_label()}{g.show(p.name)}\nNgày, tháng, năm sinh: {g.numeric(p.birth)}\n"
        f"Giới tính: {'Nữ' if p.sex == 'female' else 'Nam'}\nGiấy tờ tùy thân: {g.id_line(p.cccd)}\n"
        f"Tình trạng hôn nhân: chưa đăng ký kết hôn với ai.\n{tail}TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n")
    return text, _truth("xac_nhan_tinh_trang_hon_nhan", name=p.name, cccd=p.cccd, doc_no=no, issued=d.isoformat(),
                        valid_until=until.isoformat(), validity="dated")


def gpxd(g: Gen) -> tuple[str, dict]:
    p, d = Person(g.rng), _issued(g)
    district = g.rng.choice(DISTRICTS)
    months = g.pick(12, 12, 6, 24)
    no = f"{g.rng.randint(1, 900)}/GPXD"
    honor = "Ông" if p.sex == "male" else "Bà"
    text = g.header("HUYỆN", district, no, d, office="PHÒNG KINH TẾ VÀ HẠ TẦNG") + (
        f"GIẤY PHÉP XÂY DỰNG\nCông trình nhà ở riêng lẻ\n1. Cấp cho: {honor} {p.name}, "
        f"số định danh cá nhân {g.noise(p.cccd)}\nĐịa chỉ: thôn 4, huyện {district}\n"
        f"Diện tích xây dựng tầng 1: {g.rng.randint(40, 200)} m2.\n"
        f"3. Giấy phép này có hiệu lực khởi công xây dựng trong thời hạn {months:02d} tháng kể từ ngày\ncấp.\n"
        "KT. TRƯỞNG PHÒNG\nPHÓ TRƯỞNG PHÒNG\n")
    return text, _truth("giay_phep_xay_dung", name=p.name, cccd=p.cccd, doc_no=no, issued=d.isoformat(),
                        valid_until=add_months(d, months).isoformat(), validity="dated")


def don(g: Gen) -> tuple[str, dict]:
    p, d = Person(g.rng, 1950, 2004), _issued(g)
    commune = g.rng.choice(COMMUNES)
    text = (f"{MOTTO}\n{MOTTO2}\n{commune}, {g.formal(d)}\n{g.pick('ĐƠN ĐỀ NGHỊ', 'ĐƠN XIN CẤP BẢN SAO', 'TỜ KHAI')}\n"
            f"Kính gửi: Ủy ban nhân dân xã {commune}\n{g.name_label('người yêu cầu')}{p.name}\n"
            f"Nơi cư trú: thôn 5, xã {commune}\nGiấy tờ tùy thân: {g.id_line(p.cccd)}, cấp {g.formal(d - timedelta(days=400))}\n"
            f"Ngày, tháng, năm sinh: {g.numeric(p.birth)}\nSố lượng bản sao: 02 bản.\nNGƯỜI YÊU CẦU\n{p.name}\n")
    kind = "to_khai" if "TỜ KHAI" in text else "don_de_nghi"
    return text, _truth(kind, name=p.name, cccd=p.cccd, issued=d.isoformat(), validity="unknown")


GENERATORS = {"qd": qd, "hkd": hkd, "ks": ks, "kt": kt, "hn": hn, "gpxd": gpxd, "don": don}


def generate(n: int, seed: int = 7, noisy: bool = False) -> list[tuple[list[str], dict]]:
    """``n`` files: mostly one document; every tenth adds a second document after the first."""
    g = Gen(seed, noisy)
    out = []
    for i in range(n):
        kind = list(GENERATORS)[i % len(GENERATORS)]
        text, truth = GENERATORS[kind](g)
        pages = [text]
        if i % 10 == 9:
            extra, _ = GENERATORS[g.rng.choice(list(GENERATORS))](g)
            pages = [text, extra] if g.rng.random() < 0.5 else [text + extra]
        out.append((pages, truth))
    return out
