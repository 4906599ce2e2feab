"""Per-type generators for ``bench.extract_gen`` (kept apart to keep modules small)."""

from __future__ import annotations

from datetime import date, timedelta

from bench.extract_gen import COMMUNES, DISTRICTS, MOTTO, MOTTO2, NEW_PROVINCES, PROVINCES, Gen, Person, _truth
from sohoa.domain.extract.dates import add_months

_REFORM = date(2025, 7, 1)  # district level abolished: later papers come from communes and provinces


def _issued(g: Gen) -> date:
    return date(2019, 1, 1) + timedelta(days=g.rng.randint(0, 6 * 365))


def _when(g: Gen, old: str, new: str, place: str = "", p_new: float = 0.3) -> tuple[list[str], str, date]:
    """An issuing body and an issue date on the right side of the 2025 reform."""
    if g.rng.random() < p_new:
        body, truth = g.body(new, place, g.rng.choice(NEW_PROVINCES))
        return body, truth, _REFORM + timedelta(days=g.rng.randint(0, 300))
    body, truth = g.body(old, place, g.rng.choice(PROVINCES))
    return body, truth, _issued(g)


def _authority(issuer: str) -> str:
    """The enacting line a decision repeats after its title (``ỦY BAN NHÂN DÂN HUYỆN X``)."""
    return f"GIÁM ĐỐC {issuer.split(' / ')[-1]}" if " / " in issuer else issuer


def qd(g: Gen) -> tuple[str, dict]:
    p, district = Person(g.rng), g.rng.choice(DISTRICTS)
    body, issuer, d = _when(g, g.pick("district", "province_office"), "new_commune", district)
    no = g.doc_no(g.pick("QĐ-UBND", "QĐ-UBND", "2023/QĐ-UBND".replace("2023", str(d.year))))
    honor = "ông" if p.sex == "male" else "bà"
    clause = g.pick("Quyết định này có hiệu lực kể từ ngày ký.",
                    "Quyết định có hiệu lực thi hành kể từ ngày ký.",
                    "Quyết định này có hiệu lực\nkể từ ngày ký.")
    text = g.header(body, district, no, d) + (
        f"QUYẾT ĐỊNH\nVề việc hỗ trợ kinh phí\n{_authority(issuer)}\n"
        f"Căn cứ Luật Tổ chức chính quyền địa phương {g.formal(date(2015, 6, 19))};\n"
        f"Căn cứ Quyết định số {g.rng.randint(1, 999)}/QĐ-UBND của Ủy ban nhân dân tỉnh;\nQUYẾT ĐỊNH:\n"
        f"Điều 1. Hỗ trợ cho hộ {honor} {p.name}, {g.inline_id(p)}, cư trú tại thôn {g.rng.randint(1, 9)}, "
        f"số tiền {g.rng.randint(5, 60)}.000.000 đồng.\n"
        f"Điều 2. {clause}\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n"
    )
    return text, _truth(
        "quyet_dinh",
        name=p.name,
        **p.ids(),
        doc_no=no.replace("\u00d0", "Đ"),
        issued=d.isoformat(),
        validity="permanent",
        issuer=issuer,
    )


def hkd(g: Gen) -> tuple[str, dict]:
    p = Person(g.rng)
    district, commune = g.rng.choice(DISTRICTS), g.rng.choice(COMMUNES)
    body, issuer, d = _when(g, "district_office", "new_commune_office", district)
    no = f"{g.rng.randint(10, 99)}{g.pick('G8', 'A1', 'K3')}{g.rng.randint(0, 999999):06d}"
    head = g.header(body, district, None, d)
    tax = f"8{g.rng.randint(0, 999999999):09d}" if g.rng.random() < 0.4 else None
    tax_line = f"{g.pick('Mã số thuế: ', 'MST: ', 'Mã số thuế:')}{g.noise(tax)}\n" if tax else ""
    sex = "Nữ" if p.sex == "female" else "Nam"
    text = head + (
        f"{g.pick('GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH', 'GIẤY CHỨNG NHẬN ĐĂNG KÝ' + chr(10) + 'HỘ KINH DOANH')}\n"
        f"{g.pick('Số: ', 'Số:', 'Mã số hộ kinh doanh: ')}{no}\n{tax_line}"
        f"Đăng ký lần đầu: {g.formal(d)}\n1. Tên hộ kinh doanh: Cơ sở {g.rng.choice(COMMUNES)}\n"
        f"2. Địa điểm kinh doanh: thôn 2, xã {commune}, huyện {district}\n"
        f"4. Vốn kinh doanh: {g.rng.randint(50, 900)}.000.000 đồng\n"
        f"5. {g.pick('Họ và tên đại diện hộ kinh doanh', 'Họ, chữ đệm, tên chủ hộ', 'Họ tên người đại diện')}: "
        f"{g.show(p.name)}\nGiới tính: {sex}{g.pick(' ', '   ')}Sinh ngày: {g.numeric(p.birth)} Dân tộc: Kinh\n"
        f"{g.id_line(p)}\nNơi thường trú: thôn 2, xã {commune}\nTRƯỞNG PHÒNG\n"
    )
    return text, _truth(
        "gcn_hkd",
        name=p.name,
        **p.ids(),
        doc_no=no,
        business_no=no,
        issued=d.isoformat(),
        validity="permanent",
        issuer=issuer,
        enterprise_code=tax,
    )


def ks(g: Gen) -> tuple[str, dict]:
    commune = g.rng.choice(COMMUNES)
    body, issuer, d = _when(g, "commune", "new_commune", commune)
    child = Person(g.rng, d.year, d.year)
    child.birth = min(child.birth, d)
    parent = Person(g.rng, 1960, 2000)
    no = f"{g.rng.randint(1, 400)}/{d.year}"
    role = "người mẹ" if parent.sex == "female" else "người cha"
    text = g.header(body, commune, no, d) + (
        f"TRÍCH LỤC KHAI SINH\n(Bản sao)\nSố: {no}{g.pick(' ', '  ')}Quyển số: 01/{d.year}\n"
        f"{g.name_label()}{g.show(child.name)}\n"
        f"Ngày, tháng, năm sinh: {g.any_date(child.birth)}\n"
        f"Giới tính: {'Nữ' if child.sex == 'female' else 'Nam'} Dân tộc: Kinh Quốc tịch: Việt Nam\n"
        f"Nơi sinh: Trạm Y tế xã {commune}\n{g.id_line(child)}\n"
        f"{g.name_label(role)}{g.show(parent.name)}\n"
        f"Nơi đăng ký khai sinh: Ủy ban nhân dân xã {commune}\nNGƯỜI KÝ TRÍCH LỤC\n"
    )
    return text, _truth(
        "trich_luc_khai_sinh",
        name=parent.name,
        doc_no=no,
        issued=d.isoformat(),
        child_name=child.name,
        child_cccd=child.cccd,
        validity="permanent",
        issuer=issuer,
    )


def kt(g: Gen) -> tuple[str, dict]:
    commune = g.rng.choice(COMMUNES)
    body, issuer, d = _when(g, "commune", "new_commune", commune)
    dead, asker = Person(g.rng, 1930, 1970), Person(g.rng, 1960, 2000)
    no = f"{g.rng.randint(1, 200)}/{d.year}"
    text = g.header(body, commune, no, d) + (
        f"TRÍCH LỤC KHAI TỬ\n{g.name_label()}{g.show(dead.name)}\nNgày, tháng, năm sinh: {g.numeric(dead.birth)}\n"
        f"{g.id_line(dead)}\nĐã chết vào lúc: 10 giờ, {g.formal(d - timedelta(days=3))}\n"
        f"{g.name_label('người đi đăng ký')}{asker.name}\n"
    )
    return text, _truth(
        "trich_luc_khai_tu", name=asker.name, doc_no=no, issued=d.isoformat(), validity="permanent", issuer=issuer
    )


def hn(g: Gen) -> tuple[str, dict]:
    p, commune = Person(g.rng, 1950, 2004), g.rng.choice(COMMUNES)
    body, issuer, d = _when(g, "commune", "new_commune", commune)
    no = f"{g.rng.randint(1, 300)}/UBND-XNTTHN"
    printed = g.rng.random() < 0.7
    until = add_months(d, 6)
    honor = "ông" if p.sex == "male" else "bà"
    tail = (
        f"Giấy này có giá trị sử dụng đến {g.formal(until)}.\n"
        if printed
        else g.pick("Giấy này có giá trị sử dụng trong thời hạn 06 tháng kể từ ngày cấp.\n", "")
    )
    title = g.pick("GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "GIẤY XÁC NHẬN\nTÌNH TRẠNG HÔN NHÂN")
    text = g.header(body, commune, no, d) + (
        f"{title}\nXét đề nghị của {honor} {p.name} về việc xác nhận tình trạng hôn nhân cho:\n"
        f"{g.name_label()}{g.show(p.name)}\nNgày, tháng, năm sinh: {g.numeric(p.birth)}\n"
        f"Giới tính: {'Nữ' if p.sex == 'female' else 'Nam'}\nGiấy tờ tùy thân: {g.id_line(p)}\n"
        f"Tình trạng hôn nhân: chưa đăng ký kết hôn với ai.\n{tail}TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n"
    )
    return text, _truth(
        "xac_nhan_tinh_trang_hon_nhan",
        name=p.name,
        **p.ids(),
        doc_no=no,
        issued=d.isoformat(),
        valid_until=until.isoformat(),
        validity="dated",
        issuer=issuer,
    )


def gpxd(g: Gen) -> tuple[str, dict]:
    p, district = Person(g.rng), g.rng.choice(DISTRICTS)
    body, issuer, d = _when(g, "district_office", "new_commune", district)
    months = g.pick(12, 12, 6, 24)
    no = f"{g.rng.randint(1, 900)}/GPXD"
    honor = "Ông" if p.sex == "male" else "Bà"
    text = g.header(body, district, no, d) + (
        f"GIẤY PHÉP XÂY DỰNG\nCông trình nhà ở riêng lẻ\n1. Cấp cho: {honor} {p.name}, "
        f"{g.inline_id(p)}\nĐịa chỉ: thôn 4, huyện {district}\n"
        f"Diện tích xây dựng tầng 1: {g.rng.randint(40, 200)} m2.\n"
        f"3. Giấy phép này có hiệu lực khởi công xây dựng trong thời hạn {months:02d} tháng kể từ ngày\ncấp.\n"
        "KT. TRƯỞNG PHÒNG\nPHÓ TRƯỞNG PHÒNG\n"
    )
    return text, _truth(
        "giay_phep_xay_dung",
        name=p.name,
        **p.ids(),
        doc_no=no,
        issued=d.isoformat(),
        valid_until=add_months(d, months).isoformat(),
        validity="dated",
        issuer=issuer,
    )


_COMPONENT_TITLES = (
    ("ĐƠN ĐỀ NGHỊ", "don_de_nghi"),
    ("ĐƠN XIN CẤP BẢN SAO", "don_de_nghi"),
    ("TỜ KHAI", "to_khai"),
    ("TỜ KHAI ĐĂNG KÝ KHAI SINH", "to_khai"),
    ("GIẤY ĐỀ NGHỊ ĐĂNG KÝ HỘ KINH DOANH", "don_de_nghi"),
    ("GIẤY ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG", "don_de_nghi"),
    ("PHIẾU YÊU CẦU CẤP BẢN SAO TRÍCH LỤC HỘ TỊCH", "don_de_nghi"),
    ("ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI", "don_de_nghi"),
)


def _enterprise_code(g: Gen) -> str:
    code = f"{g.rng.randint(1, 68):02d}{g.rng.randint(0, 99999999):08d}"
    return code + (f"-{g.rng.randint(1, 40):03d}" if g.rng.random() < 0.35 else "")


def _show_code(g: Gen, code: str) -> str:
    """As printed: plain, spaced branch dash, or digit groups the form's boxes leave behind."""
    main, _, branch = code.partition("-")
    r = g.rng.random()
    if r < 0.15:
        main = " ".join(main)
    elif r < 0.25:
        main = f"{main[:4]} {main[4:7]} {main[7:]}"
    shown = g.noise(main)
    if branch:
        shown += g.pick("-", " - ", "- ") + branch
    return shown


def _code_label(g: Gen, branch: bool) -> str:
    labels = [
        "Mã số doanh nghiệp: ",
        "Mã số thuế: ",
        "MST: ",
        "Mã số doanh nghiệp:  ",
        "Mã số DN: ",
        "Mã số doanh nghiệp/Mã số thuế: ",
        "Mã số thuế doanh nghiệp: ",
    ]
    if branch:
        labels += ["Mã số chi nhánh: ", "Mã số thuế chi nhánh: "]
    return g.rng.choice(labels)


def don(g: Gen) -> tuple[str, dict]:
    p, d = Person(g.rng, 1950, 2004), _issued(g)
    commune = g.rng.choice(COMMUNES)
    title, kind = g.rng.choice(_COMPONENT_TITLES)
    code = _enterprise_code(g) if g.rng.random() < 0.2 else None
    firm = (
        f"Tên doanh nghiệp: CÔNG TY TNHH {commune.upper()}\n{_code_label(g, '-' in (code or ''))}"
        f"{_show_code(g, code)}\n"
        if code
        else ""
    )
    text = (
        f"{MOTTO}\n{MOTTO2}\n{commune}, {g.formal(d)}\n{title}\n"
        f"Kính gửi: Ủy ban nhân dân xã {commune}\n{firm}{g.name_label('người yêu cầu')}{p.name}\n"
        f"Nơi cư trú: thôn 5, xã {commune}\nGiấy tờ tùy thân: {g.id_line(p)}, cấp {g.formal(d - timedelta(days=400))}\n"
        f"Ngày, tháng, năm sinh: {g.numeric(p.birth)}\nSố lượng bản sao: 02 bản.\nNGƯỜI YÊU CẦU\n{p.name}\n"
    )
    return text, _truth(kind, name=p.name, **p.ids(), issued=d.isoformat(), validity="unknown", enterprise_code=code)


def dn(g: Gen) -> tuple[str, dict]:
    """Enterprise (or branch) registration certificate from the provincial business registration office."""
    p, code = Person(g.rng, 1955, 2000), _enterprise_code(g)
    body, issuer = g.body("business", province=g.rng.choice(PROVINCES + NEW_PROVINCES))
    d = _issued(g)
    branch = "-" in code
    title = (
        "GIẤY CHỨNG NHẬN ĐĂNG KÝ HOẠT ĐỘNG CHI NHÁNH"
        if branch
        else g.pick("GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP", "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP\nCÔNG TY TNHH")
    )
    sex = "Nữ" if p.sex == "female" else "Nam"
    text = g.header(body, "", None, None) + (
        f"{title}\n{_code_label(g, branch)}{_show_code(g, code)}\nĐăng ký lần đầu: {g.formal(d)}\n"
        f"1. Tên {'chi nhánh' if branch else 'công ty'}: CÔNG TY TNHH {g.rng.choice(COMMUNES).upper()}\n"
        f"2. Địa chỉ trụ sở chính: thôn 1, xã {g.rng.choice(COMMUNES)}\n"
        f"3. Vốn điều lệ: {g.rng.randint(1, 90)}.000.000.000 đồng\n"
        f"4. Người đại diện theo pháp luật\n{g.name_label()}{g.show(p.name)}{g.pick(' ', '   ')}Giới tính: {sex}\n"
        f"Sinh ngày: {g.numeric(p.birth)} Dân tộc: Kinh Quốc tịch: Việt Nam\n{g.id_line(p)}\n"
        "TRƯỞNG PHÒNG\n"
    )
    return text, _truth(
        "gcn_dkdn",
        name=p.name,
        **p.ids(),
        issued=d.isoformat(),
        validity="permanent",
        issuer=issuer,
        enterprise_code=code,
    )


GENERATORS = {"qd": qd, "hkd": hkd, "ks": ks, "kt": kt, "hn": hn, "gpxd": gpxd, "don": don, "dn": dn}


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
