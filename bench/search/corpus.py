"""Synthetic one-stop-office documents for the search benchmarks, seeded and streamed.

Shaped like the sample scans (``/work/shared/samples``): the issuing body, the national
motto, a place-and-date line, a capitalised title, labelled fields with UPPERCASE names on
certificates, decisions with running text, application forms, and long list pages (a
commune's list of households) that scatter many people's syllables over one page. Names are
drawn from syllables that are also the commonest words of administrative text (Hồ/hộ/họ,
Phúc/hạnh phúc, Hòa/cộng hòa, An, Thu, Hạnh, Bình), so folded, they collide.

Each document comes with what the database would hold for its record (owner, people with
roles, type, number, issue date), as an ``IndexedDocument`` built by ``to_indexed``: the
benchmarks run the backends on exactly what ``workers.jobs.indexing`` would give them.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from search import base as search_base
from search.base import IndexedDocument, IndexedPage
from sohoa.domain.vntext import folded

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
            "Ngô", "Dương", "Lý", "Đinh", "Trương", "Lâm", "Mai", "Cao", "Tạ", "Hà", "Thái", "Lương", "Kiều",
            "Triệu", "Đoàn", "Vương", "Phùng")
MIDDLES = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Thanh", "Xuân", "Kim", "Bảo", "Công",
           "Hoài", "Thành", "Gia", "Phúc", "Hồng", "Anh", "Diệu", "Mạnh", "Trọng", "Như", "Bích")
GIVEN = ("An", "Bình", "Hòa", "Phúc", "Hạnh", "Thu", "Thư", "Hà", "Hồ", "Hiền", "Hùng", "Cường", "Dũng", "Hằng",
         "Hương", "Lan", "Long", "Mai", "Nam", "Phương", "Quý", "Sơn", "Thảo", "Tuấn", "Yến", "Khỏe", "Thúy",
         "Việt", "Nhung", "Trường", "Ánh", "Đạt", "Hiếu", "Lộc", "Oanh", "Tùng", "Vĩnh", "Tâm", "Trung", "Nghĩa",
         "Huệ", "Khánh", "Linh", "Nga", "Nhiên", "Quyên", "Tài", "Thắng", "Thịnh", "Trí", "Uyên", "Vân", "Xuyến",
         "Duyên", "Giang", "Hải", "Hậu", "Hưng", "Kiên", "Lợi", "Minh", "Ngân", "Nhân", "Phát", "Quân", "Sang",
         "Tín", "Toàn", "Trang", "Tú", "Vinh", "Vy", "Lực", "Định", "Dân", "Lập", "Chính")
COMMUNES = ("Trà Đốc", "Yên Phú", "Cà Dy", "Tà Bhing", "Minh Ngọc", "Tam Hiệp", "Lạc Nông", "Đắk Pring",
            "Bình An", "Hòa Bình", "An Phú", "Tân Hòa", "Phúc Thịnh", "Hạnh Phúc", "Thu Bồn", "Bình Minh",
            "Tân An", "Hòa Vang", "Phước Hòa", "Bình Dương", "Thạnh Mỹ", "Trà Bui", "Tiên Phước", "An Hòa")
DISTRICTS = ("Bắc Mê", "Bắc Trà My", "Nam Giang", "Núi Thành", "Phước Sơn", "Mù Cang Chải", "Thăng Bình",
             "Duy Xuyên", "Đại Lộc", "Quế Sơn", "Hiệp Đức", "Tây Giang")
PROVINCES = ("Quảng Nam", "Hà Giang", "Tuyên Quang", "Quảng Ngãi", "Đà Nẵng", "Lào Cai", "Yên Bái", "Bình Định")
TRADES = ("Bán lẻ tạp hóa", "Dịch vụ photocopy", "Sửa chữa xe máy", "Quán ăn uống", "May mặc", "Bán thuốc tây",
          "Kinh doanh vật liệu xây dựng", "Cắt tóc gội đầu")
PURPOSES = ("hỗ trợ kinh phí sửa chữa nhà ở cho hộ nghèo", "công nhận hộ thoát nghèo năm {year}",
            "giao đất ở cho hộ gia đình", "thu hồi đất để thực hiện dự án đường giao thông",
            "phê duyệt danh sách hộ cận nghèo", "hỗ trợ học phí cho học sinh", "cấp thẻ bảo hiểm y tế")
SENTENCES = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Luật Hộ tịch ngày 20 tháng 11 năm 2014;",
    "Căn cứ Nghị định số 123/2015/NĐ-CP ngày 15 tháng 11 năm 2015 của Chính phủ;",
    "Căn cứ Quyết định số {n}/QĐ-UBND ngày {d} của Ủy ban nhân dân tỉnh {province};",
    "Xét đề nghị của Trưởng phòng Lao động - Thương binh và Xã hội huyện.",
    "Xét đề nghị của Công chức Tư pháp - Hộ tịch xã {commune}.",
    "Các hộ gia đình có tên trong danh sách kèm theo được hưởng chính sách theo quy định hiện hành.",
    "Ủy ban nhân dân xã {commune} có trách nhiệm thông báo công khai danh sách tại nhà văn hóa thôn.",
    "Kinh phí thực hiện từ nguồn ngân sách huyện {district} năm {year}.",
    "Quyết định này có hiệu lực kể từ ngày ký.",
    "Chánh Văn phòng HĐND và UBND huyện, Trưởng phòng Tài chính - Kế hoạch và các cơ quan, đơn vị có liên "
    "quan chịu trách nhiệm thi hành Quyết định này.",
    "Trường hợp có thay đổi về nhân khẩu, hộ gia đình phải khai báo với cơ quan đăng ký cư trú.",
    "Hồ sơ gồm đơn đề nghị, bản sao giấy tờ tùy thân và giấy tờ chứng minh nơi cư trú.",
    "Thời hạn giải quyết không quá 05 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
    "Bộ phận tiếp nhận và trả kết quả có trách nhiệm hướng dẫn công dân hoàn thiện hồ sơ.",
    "Phòng Tài nguyên và Môi trường phối hợp kiểm tra hiện trạng sử dụng đất tại thôn {village}.",
    "Hộ ông (bà) có tên trên được hỗ trợ một lần theo mức quy định của tỉnh {province}.",
    "Giấy chứng nhận quyền sử dụng đất được cấp theo đúng quy hoạch đã được phê duyệt.",
    "Trong quá trình sử dụng, người sử dụng đất phải thực hiện đầy đủ nghĩa vụ tài chính.",
    "Cuộc họp kết thúc vào lúc {h} giờ cùng ngày, biên bản đã được đọc lại cho mọi người cùng nghe.",
    "Đại diện các hộ dân thống nhất với phương án bồi thường, hỗ trợ và tái định cư.",
    "Đề nghị Ủy ban nhân dân huyện xem xét, phê duyệt để các hộ sớm ổn định cuộc sống.",
    "Tổng số tiền hỗ trợ là {money} đồng, chi trả trực tiếp cho các hộ.",
    "Sổ hộ khẩu và sổ tạm trú không còn giá trị sử dụng kể từ ngày 01 tháng 01 năm 2023.",
    "Công an xã {commune} xác nhận thông tin cư trú của công dân trên Cơ sở dữ liệu quốc gia về dân cư.",
)


@dataclass(frozen=True)
class Person:
    name: str  # "Bùi Thị An"
    pid: str  # 12-digit personal ID
    born: date
    female: bool


@dataclass
class GeneratedDocument:
    """One paper document as the office would hold it: its pages and its record."""

    document_id: str
    pages: list[str]
    doc_type: str | None = None
    doc_number: str | None = None
    issue_date: date | None = None
    owner: Person | None = None
    people: list[tuple[str, Person]] = field(default_factory=list)  # (role, person), owner included
    agency_code: str | None = None


class Generator:
    """Seeded documents; ``avoid`` holds folded name phrases never given to a generated person
    (the relevance benchmark plants those itself)."""

    def __init__(self, seed: int = 7, avoid: frozenset[str] = frozenset()) -> None:
        self.rng = random.Random(seed)
        self.avoid = avoid

    # -- parts --------------------------------------------------------------------------

    def name(self) -> str:
        while True:
            parts = [self.rng.choice(SURNAMES), self.rng.choice(MIDDLES), self.rng.choice(GIVEN)]
            if self.rng.random() < 0.25:
                parts.insert(2, self.rng.choice(MIDDLES))
            name = " ".join(parts)
            if not self.avoid or folded(name) not in self.avoid:
                return name

    def person(self, name: str | None = None, year: tuple[int, int] = (1950, 2005)) -> Person:
        born = date(self.rng.randint(*year), self.rng.randint(1, 12), self.rng.randint(1, 28))
        female = self.rng.random() < 0.5
        century = 0 if born.year < 2000 else 2
        province = self.rng.randint(1, 96)
        pid = f"{province:03d}{century + int(female)}{born.year % 100:02d}{self.rng.randint(0, 999999):06d}"
        return Person(name or self.name(), pid, born, female)

    def place(self) -> tuple[str, str, str]:
        return self.rng.choice(COMMUNES), self.rng.choice(DISTRICTS), self.rng.choice(PROVINCES)

    def day(self, years: tuple[int, int] = (2015, 2025)) -> date:
        return date(self.rng.randint(*years), self.rng.randint(1, 12), self.rng.randint(1, 28))

    def sentence(self, commune: str, district: str, province: str) -> str:
        return self.rng.choice(SENTENCES).format(
            n=self.rng.randint(1, 3000), d=_dmy(self.day()), province=province, commune=commune,
            district=district, year=self.rng.randint(2015, 2025), village=self.rng.randint(1, 12),
            h=self.rng.randint(9, 17), money=f"{self.rng.randint(5, 900)}.000.000")

    def heading(self, body: str, unit: str, issued: date, number: str | None) -> list[str]:
        """Issuing body, its number, then the motto and the place-and-date line."""
        lines = [body, unit.upper(), *([f"Số: {number}"] if number else [])]
        return [*lines, *motto(unit.split(" ", 1)[-1], issued)]

    # -- documents ------------------------------------------------------------------------

    def document(self, document_id: str, owner_name: str | None = None) -> GeneratedDocument:
        """One document of a random kind (certificates and decisions name ``owner_name``)."""
        kind = self.rng.choices(
            (self.birth, self.business, self.marital, self.decision, self.application, self.household_list),
            weights=(18, 12, 12, 22, 20, 16))[0]
        if owner_name is not None and kind == self.household_list:  # a list names no owner
            kind = self.decision
        return kind(document_id, owner_name)

    def birth(self, document_id: str, owner_name: str | None = None) -> GeneratedDocument:
        commune, district, province = self.place()
        issued = self.day()
        number = f"{self.rng.randint(1, 400)}/{issued.year}"
        child = self.person(owner_name, year=(issued.year, issued.year))
        parent = self.person()
        role = "mother" if parent.female else "father"
        label = "người mẹ" if parent.female else "người cha"
        lines = [*self.heading("ỦY BAN NHÂN DÂN", f"xã {commune}", issued, number), "TRÍCH LỤC KHAI SINH", "(Bản sao)",
                 f"Số: {number} Quyển số: 01/{issued.year}", f"Họ, chữ đệm, tên: {child.name.upper()}",
                 f"Ngày, tháng, năm sinh: ngày {_dmy(child.born)}",
                 f"Giới tính: {'Nữ' if child.female else 'Nam'} Dân tộc: Kinh Quốc tịch: Việt Nam",
                 f"Nơi sinh: Trạm Y tế xã {commune}, huyện {district}, tỉnh {province}",
                 f"Số định danh cá nhân: {child.pid}", f"Họ, chữ đệm, tên {label}: {parent.name.upper()}",
                 f"Nơi đăng ký khai sinh: Ủy ban nhân dân xã {commune}, huyện {district}, tỉnh {province}",
                 "NGƯỜI KÝ TRÍCH LỤC"]
        return GeneratedDocument(document_id, ["\n".join(lines)], "trich_luc_khai_sinh", number, issued, child,
                                 [("child", child), (role, parent)], f"UBND-{commune}")

    def business(self, document_id: str, owner_name: str | None = None) -> GeneratedDocument:
        commune, district, province = self.place()
        issued = self.day()
        number = f"40G{self.rng.randint(1000000, 9999999)}"
        owner = self.person(owner_name)
        lines = [f"UBND HUYỆN {district.upper()}", "PHÒNG TÀI CHÍNH - KẾ HOẠCH",
                 *motto(commune, issued), "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH",
                 f"Số: {number}", f"Đăng ký lần đầu: ngày {_dmy(issued)}",
                 f"1. Tên hộ kinh doanh: Cơ sở {self.rng.choice(TRADES).lower()} {owner.name.split()[-1]} {commune}",
                 f"2. Địa điểm kinh doanh: thôn {self.rng.randint(1, 12)}, xã {commune}, huyện {district}, "
                 f"tỉnh {province}", f"3. Ngành, nghề kinh doanh: {self.rng.choice(TRADES)}",
                 f"4. Vốn kinh doanh: {self.rng.randint(20, 900)}.000.000 đồng",
                 f"5. Họ và tên đại diện hộ kinh doanh: {owner.name.upper()}",
                 f"Giới tính: {'Nữ' if owner.female else 'Nam'} Sinh ngày: {owner.born:%d/%m/%Y} Dân tộc: Kinh",
                 f"Số định danh cá nhân: {owner.pid}",
                 f"Nơi thường trú: thôn {self.rng.randint(1, 12)}, xã {commune}, huyện {district}, tỉnh {province}",
                 "TRƯỞNG PHÒNG"]
        return GeneratedDocument(document_id, ["\n".join(lines)], "gcn_hkd", number, issued, owner,
                                 [("representative", owner)], f"UBND-{district}")

    def marital(self, document_id: str, owner_name: str | None = None) -> GeneratedDocument:
        commune, district, province = self.place()
        issued = self.day()
        number = f"{self.rng.randint(1, 300)}/UBND-XNTTHN"
        owner = self.person(owner_name)
        title = "ông" if not owner.female else "bà"
        lines = [*self.heading("ỦY BAN NHÂN DÂN", f"xã {commune}", issued, number), "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
                 f"Xét đề nghị của {title} {owner.name} về việc xác nhận tình trạng hôn nhân cho:",
                 f"Họ, chữ đệm, tên: {owner.name.upper()}", f"Ngày, tháng, năm sinh: {owner.born:%d/%m/%Y}",
                 f"Giới tính: {'Nữ' if owner.female else 'Nam'}   Dân tộc: Kinh   Quốc tịch: Việt Nam",
                 f"Giấy tờ tùy thân: Căn cước công dân số {owner.pid}",
                 f"Nơi cư trú: thôn {self.rng.randint(1, 12)}, xã {commune}, huyện {district}, tỉnh {province}",
                 "Tình trạng hôn nhân: Hiện tại chưa đăng ký kết hôn với ai.",
                 "Giấy này được cấp để làm thủ tục đăng ký kết hôn.",
                 "Giấy này có giá trị sử dụng trong thời hạn 6 tháng kể từ ngày cấp.", "TM. ỦY BAN NHÂN DÂN",
                 "CHỦ TỊCH"]
        return GeneratedDocument(document_id, ["\n".join(lines)], "xac_nhan_tinh_trang_hon_nhan", number, issued,
                                 owner, [("subject", owner)], f"UBND-{commune}")

    def decision(self, document_id: str, owner_name: str | None = None) -> GeneratedDocument:
        commune, district, province = self.place()
        issued = self.day()
        number = f"{self.rng.randint(1, 3000)}/QĐ-UBND"
        owner = self.person(owner_name)
        purpose = self.rng.choice(PURPOSES).format(year=issued.year)
        preamble = [self.sentence(commune, district, province) for _ in range(self.rng.randint(3, 6))]
        first = [*self.heading("ỦY BAN NHÂN DÂN", f"huyện {district}", issued, number), "QUYẾT ĐỊNH",
                 f"Về việc {purpose}", f"ỦY BAN NHÂN DÂN HUYỆN {district.upper()}", *preamble, "QUYẾT ĐỊNH:",
                 f"Điều 1. {purpose.capitalize()} cho hộ {'bà' if owner.female else 'ông'} {owner.name}, số định "
                 f"danh cá nhân {owner.pid}, cư trú tại thôn {self.rng.randint(1, 12)}, xã {commune}, huyện "
                 f"{district}, tỉnh {province}, số tiền {self.rng.randint(5, 90)}.000.000 đồng.",
                 "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
                 "Điều 3. " + self.sentence(commune, district, province)]
        pages = ["\n".join(first)]
        if self.rng.random() < 0.4:
            pages.append("\n".join(self.sentence(commune, district, province)
                                   for _ in range(self.rng.randint(8, 16))) + "\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH")
        return GeneratedDocument(document_id, pages, "quyet_dinh", number, issued, owner, [("subject", owner)],
                                 f"UBND-{district}")

    def application(self, document_id: str, owner_name: str | None = None) -> GeneratedDocument:
        commune, district, province = self.place()
        issued = self.day()
        owner = self.person(owner_name)
        lines = [*motto(commune, issued), "ĐƠN ĐỀ NGHỊ", "Cấp bản sao trích lục hộ tịch",
                 f"Kính gửi: Ủy ban nhân dân xã {commune}", f"Họ, chữ đệm, tên người yêu cầu: {owner.name}",
                 f"Nơi cư trú: thôn {self.rng.randint(1, 12)}, xã {commune}, huyện {district}, tỉnh {province}",
                 f"Giấy tờ tùy thân: Căn cước công dân số {owner.pid}, cấp ngày {_dmy(self.day())}",
                 "Đề nghị cơ quan cấp bản sao trích lục khai sinh cho người có tên dưới đây:",
                 f"Họ, chữ đệm, tên: {owner.name} Ngày, tháng, năm sinh: {owner.born:%d/%m/%Y}",
                 "Số lượng bản sao yêu cầu: 02 bản.",
                 "Tôi cam đoan những nội dung khai trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật.",
                 "NGƯỜI YÊU CẦU", owner.name]
        return GeneratedDocument(document_id, ["\n".join(lines)], "don_de_nghi", None, issued, owner,
                                 [("requester", owner)], f"UBND-{commune}")

    def household_list(self, document_id: str, owner_name: str | None = None) -> GeneratedDocument:
        """Annex pages listing households: dozens of names, their syllables scattered."""
        commune, district, province = self.place()
        issued = self.day()
        pages = []
        for p in range(self.rng.randint(1, 3)):
            rows = [f"{i + 1}. Hộ {self.rng.choice(('ông', 'bà'))} {self.name()}, thôn {self.rng.randint(1, 12)}, "
                    f"{self.rng.randint(1, 6)} nhân khẩu, {self.rng.randint(2, 40)}.000.000 đồng"
                    for i in range(self.rng.randint(18, 30))]
            head = [f"DANH SÁCH HỘ GIA ĐÌNH ĐƯỢC HỖ TRỢ NĂM {issued.year}",
                    f"(Kèm theo Quyết định số {self.rng.randint(1, 3000)}/QĐ-UBND ngày {_dmy(issued)} của UBND "
                    f"huyện {district})"] if p == 0 else [f"Trang {p + 1}"]
            pages.append("\n".join([*head, *rows, f"Xã {commune}, huyện {district}, tỉnh {province}"]))
        return GeneratedDocument(document_id, pages, "bien_ban", None, issued, None, [], f"UBND-{district}")

    def stream(self, pages: int, prefix: str = "d") -> Iterator[GeneratedDocument]:
        """Documents until about ``pages`` pages are made."""
        made = n = 0
        while made < pages:
            doc = self.document(f"{prefix}{n:07d}")
            made += len(doc.pages)
            n += 1
            yield doc


def motto(place: str, issued: date) -> list[str]:
    return ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
            f"{place}, ngày {issued.day:02d} tháng {issued.month:02d} năm {issued.year}"]


def _dmy(day: date) -> str:
    return f"{day.day:02d} tháng {day.month:02d} năm {day.year}"


_INDEXED_FIELDS = {f.name for f in dataclasses.fields(IndexedDocument)}
_PART = getattr(search_base, "IndexedPart", None)  # None: a tree from before per-part indexing


def _record(doc: GeneratedDocument) -> dict[str, Any]:
    """The record fields the database would give for this document."""
    return {"doc_type": doc.doc_type, "issue_date": doc.issue_date, "owner_ids": sorted({p.pid for _, p in doc.people}),
            "names": list(dict.fromkeys(p.name for _, p in doc.people)), "doc_number": doc.doc_number,
            "owner_name": doc.owner.name if doc.owner else None, "record_id": f"r-{doc.document_id}"}


def to_indexed(doc: GeneratedDocument) -> IndexedDocument:
    """What ``build_indexed_document`` gives a backend for this document (fields an older tree
    does not know are left out, so the benchmark runs on a checkout from before them)."""
    meta: dict[str, Any] = {"agency_code": doc.agency_code, **_record(doc)}
    pages = [IndexedPage(number=i, text=text) for i, text in enumerate(doc.pages, start=1)]
    return IndexedDocument(document_id=doc.document_id, pages=pages,
                           **{k: v for k, v in meta.items() if k in _INDEXED_FIELDS})


def to_indexed_stack(document_id: str, docs: list[GeneratedDocument]) -> IndexedDocument:
    """One scanned file holding ``docs`` one after the other, each a part with its own record,
    as ``build_indexed_document`` gives it. On a tree from before per-part indexing, what that
    tree's indexing gave a stack: every page with the first document's names, type and date,
    and the owner IDs of every part."""
    texts = [text for doc in docs for text in doc.pages]
    pages = [IndexedPage(number=i, text=text) for i, text in enumerate(texts, start=1)]
    if _PART is None:
        first = {k: v for k, v in _record(docs[0]).items() if k in _INDEXED_FIELDS}
        first["owner_ids"] = sorted({pid for doc in docs for pid in _record(doc)["owner_ids"]})
        return IndexedDocument(document_id=document_id, pages=pages, agency_code=docs[0].agency_code, **first)
    parts, start = [], 1
    for doc in docs:
        parts.append(_PART(first_page=start, last_page=start + len(doc.pages) - 1, **_record(doc)))
        start += len(doc.pages)
    return IndexedDocument(document_id=document_id, pages=pages, agency_code=docs[0].agency_code, parts=parts)
