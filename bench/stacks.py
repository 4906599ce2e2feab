"""Realistic scanned stacks: ``python -m bench.stacks OUT [--files N] [--seed S]``.

Each file is what a clerk feeds through the scanner: 1-8 paper documents, results of every
kind ``bench.extract_gen_kinds`` writes plus a marriage certificate and a notification
(kinds the unit tests do not use), dossier components between them (application forms and
declarations naming the result's owner or a relative, copies of ID cards, old and new),
continuation pages (numbered "Trang 2/3", "2/3" or not at all, the signature block moved to
the last page), and in some files a QR separator sheet between documents. Pages are drawn
with ``bench.ocr.render`` and scanned in ``bench.ocr.generate``'s conditions (skewed,
stamped, photocopied, low dpi, now and then fed upside down), saved as one image PDF per
file. ``OUT/truth.json`` lists every file's parts with their page ranges, kinds, linked
result, owner ID to look up, a day the result is valid on and the expected fields.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import zxingcpp
from PIL import Image

from bench.extract_gen import MOTTO, MOTTO2, Gen, Person
from bench.extract_gen_kinds import GENERATORS, _issued
from bench.ocr.content import Line
from bench.ocr.generate import photocopy, skew, stamp
from bench.ocr.render import render_page

RESULT_KINDS = ("qd", "hkd", "ks", "kt", "hn", "gpxd", "dn", "kh", "tb")
CONDITIONS = ("clean", "clean", "skewed", "stamped", "photocopy", "lowdpi")
SEPARATOR = "SOHOA-TACH"
_TITLES = ("QUYẾT", "GIẤY", "TRÍCH", "THÔNG", "ĐƠN", "TỜ", "PHIẾU", "CĂN")
_SIGN = ("TM.", "KT.", "CHỦ TỊCH", "TRƯỞNG PHÒNG", "PHÓ", "NGƯỜI", "GIÁM ĐỐC", "CÔNG CHỨC")
_MORE_BODY = [
    "Điều 3. Chánh Văn phòng HĐND và UBND, Trưởng các phòng, ban có liên quan và các cá nhân",
    "có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này./.",
    "Nơi nhận:", "- Như Điều 3;", "- Lưu: VT, hồ sơ.",
    "Trường hợp có thay đổi nội dung đã đăng ký, tổ chức, cá nhân phải thông báo cho cơ quan",
    "đăng ký trong thời hạn 10 ngày làm việc kể từ ngày có thay đổi theo quy định.",
    "Ghi chú: thông tin tại giấy này được đối chiếu với Cơ sở dữ liệu quốc gia về dân cư.",
]


def kh(g: Gen) -> tuple[str, dict]:
    """Marriage certificate (not in the unit tests): both spouses, looked up by either."""
    husband, wife = Person(g.rng, 1970, 2002), Person(g.rng, 1972, 2004)
    husband.sex, wife.sex = "male", "female"
    commune = g.rng.choice(["Trà Đốc", "Yên Phú", "Cà Dy", "Minh Ngọc"])
    body, issuer = g.body("commune", commune)
    d = _issued(g)
    no = f"{g.rng.randint(1, 90)}/{d.year}"
    text = g.header(body, commune, no, d) + (
        f"{g.pick('GIẤY CHỨNG NHẬN KẾT HÔN', 'GIẤY CHỨNG NHẬN' + chr(10) + 'KẾT HÔN')}\n"
        f"Họ, chữ đệm, tên chồng: {g.show(husband.name)}\nNgày, tháng, năm sinh: {g.numeric(husband.birth)}\n"
        f"Số định danh cá nhân của chồng: {husband.cccd}\n"
        f"Họ, chữ đệm, tên vợ: {g.show(wife.name)}\nNgày, tháng, năm sinh: {g.numeric(wife.birth)}\n"
        f"Số định danh cá nhân của vợ: {wife.cccd}\nNgày đăng ký: {g.formal(d)}\nCÔNG CHỨC TƯ PHÁP - HỘ TỊCH\n"
    )
    return text, {"kind": "gcn_ket_hon", "doc_class": "result", "name": husband.name, "cccd": husband.cccd,
                  "cmnd": None, "doc_no": no, "issued": d.isoformat(), "validity": "permanent", "issuer": issuer,
                  "lookup": [husband.cccd, wife.cccd]}


def tb(g: Gen) -> tuple[str, dict]:
    """A notification of a result (THÔNG BÁO), worded unlike the unit tests' documents."""
    p = Person(g.rng, 1950, 2000)
    district = g.rng.choice(["Bắc Mê", "Nam Giang", "Phước Sơn"])
    body, issuer = g.body("district_office", district)
    d = _issued(g)
    no = f"{g.rng.randint(1, 800)}/TB-{g.pick('UBND', 'TCKH', 'KT')}"
    text = g.header(body, district, no, d) + (
        "THÔNG BÁO\nVề việc chấp thuận hồ sơ đề nghị của công dân\n"
        f"Xét hồ sơ của công dân {p.name}, {g.inline_id(p)}, thường trú tại thôn 3, huyện {district};\n"
        "Phòng thông báo chấp thuận nội dung đề nghị nêu trên.\n"
        "Thông báo này có hiệu lực kể từ ngày ký.\nTRƯỞNG PHÒNG\n"
    )
    return text, {"kind": "thong_bao", "doc_class": "result", "name": p.name, **p.ids(), "doc_no": no,
                  "issued": d.isoformat(), "validity": "permanent", "issuer": issuer}


def result(g: Gen, kind: str) -> tuple[str, dict]:
    text, truth = (kh(g) if kind == "kh" else tb(g)) if kind in ("kh", "tb") else GENERATORS[kind](g)
    if "lookup" not in truth:
        owner = truth.get("child_cccd") if kind == "ks" else (truth.get("cccd") or truth.get("cmnd"))
        if kind == "dn":
            owner = truth.get("enterprise_code")
        truth["lookup"] = [owner] if owner and kind != "kt" else []  # a death extract prints no owner ID here
    return text, truth


def form(g: Gen, person: tuple[str, str | None], issued: date) -> tuple[str, dict]:
    """An application or declaration for a result, signed by ``person`` (name, ID or None)."""
    name, pid = person
    title = g.pick("ĐƠN ĐỀ NGHỊ", "ĐƠN XIN CẤP GIẤY XÁC NHẬN", "TỜ KHAI ĐĂNG KÝ KHAI SINH", "TỜ KHAI",
                   "GIẤY ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG", "PHIẾU YÊU CẦU TRÍCH LỤC HỘ TỊCH",
                   "ĐƠN ĐỀ NGHỊ CẤP LẠI BẢN CHÍNH")
    d = issued - timedelta(days=g.rng.randint(2, 20))
    pid = pid or Person(g.rng).cccd
    id_label = g.pick("Số CMND: ", "Giấy tờ tùy thân: CMND số ") if len(pid) == 9 else \
        g.pick("Số định danh cá nhân: ", "Số CCCD: ", "Giấy tờ tùy thân: CCCD số ")
    lines = [MOTTO, MOTTO2, g.pick("", "---------------"), title,
             f"Kính gửi: {g.pick('Ủy ban nhân dân xã', 'Bộ phận tiếp nhận và trả kết quả', 'Phòng Tư pháp')}",
             f"{g.name_label('người đề nghị')}{g.show(name)}",
             f"{id_label}{pid}",
             f"Nơi cư trú: thôn {g.rng.randint(1, 9)}", "Đề nghị cơ quan có thẩm quyền giải quyết theo quy định.",
             f"{g.pick('Trà Đốc', 'Bắc Mê', 'Yên Phú')}, {g.formal(d)}", "NGƯỜI ĐỀ NGHỊ", name]
    kind = "to_khai" if title.startswith("TỜ KHAI") else "don_de_nghi"
    return "\n".join(line for line in lines if line) + "\n", {"kind": kind, "doc_class": "component",
                                                               "name": name, **_id_truth(pid)}


def id_copy(g: Gen, person: tuple[str, str | None]) -> tuple[str, dict]:
    """A photocopied ID card, front and back, on one page (new CCCD or old CMND)."""
    name, pid = person
    pid = pid or Person(g.rng).cccd
    if len(pid) == 9:
        lines = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "GIẤY CHỨNG MINH NHÂN DÂN",
                 f"SỐ {pid}", f"Họ tên: {name.upper()}", "Nguyên quán: Quảng Nam", "Dân tộc: Kinh    Tôn giáo: Không"]
    else:
        lines = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 "SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness",
                 g.pick("CĂN CƯỚC CÔNG DÂN", "CĂN CƯỚC"), g.pick("Citizen Identity Card", "Identity Card"),
                 f"Số / No.: {pid}", f"Họ và tên / Full name: {name.upper()}", "Quốc tịch / Nationality: Việt Nam",
                 "Có giá trị đến / Date of expiry: 15/08/2036", "Đặc điểm nhân dạng / Personal identification:",
                 "Nốt ruồi cách 2cm trên đuôi mắt trái"]
    if g.rng.random() < 0.5:
        lines.insert(0, g.pick("BẢN SAO Y BẢN CHÍNH", "SAO Y BẢN CHÍNH"))
    return "\n".join(lines) + "\n", {"kind": "giay_to_tuy_than", "doc_class": "component", "name": name,
                                     **_id_truth(pid)}


def _id_truth(pid: str) -> dict[str, str | None]:
    return {"cccd": None, "cmnd": pid} if len(pid) == 9 else {"cccd": pid, "cmnd": None}


def paginate(g: Gen, text: str, component: bool) -> list[str]:
    """One page, or (results, sometimes forms) several: body lines carried over, numbered or not."""
    pages_n = 1 if g.rng.random() < (0.85 if component else 0.6) else g.pick(2, 2, 3)
    if pages_n == 1:
        return [text]
    lines = text.rstrip("\n").split("\n")
    sign_at = next((i for i, ln in enumerate(lines) if i > 4 and ln.startswith(_SIGN)), len(lines))
    first, sign = lines[:sign_at], lines[sign_at:]
    style = g.pick("trang", "trang", "slash", "none", "none")
    pages = [first] + [g.rng.sample(_MORE_BODY, 4) for _ in range(pages_n - 1)]
    for body in pages[1:]:  # a capitalised line atop a continuation page is no new document
        if g.rng.random() < 0.3:
            body.insert(0, g.pick("QUYẾT ĐỊNH:", "DANH SÁCH KÈM THEO", "ĐIỀU 4. TỔ CHỨC THỰC HIỆN", "NƠI NHẬN:"))
    pages[-1] += sign
    out = []
    for k, body in enumerate(pages, start=1):
        mark = {"trang": f"Trang {k}/{pages_n}", "slash": f"{k}/{pages_n}", "none": ""}[style]
        if mark:
            body = [*body, mark] if k == 1 or g.rng.random() < 0.6 else [mark, *body]  # noqa: PLW2901 - marked copy
        out.append("\n".join(body) + "\n")
    return out


def to_lines(text: str) -> list[Line]:
    """Styles for the renderer: header lines bold until the title, the title (wrapped too)
    larger, sign blocks right."""
    lines: list[Line] = []
    state = "header"  # header -> title -> body
    for raw in text.split("\n"):
        if not raw.strip():
            continue
        caps = raw.upper() == raw and any(ch.isalpha() for ch in raw)
        if state == "header" and caps and raw.startswith(_TITLES):
            lines.append(Line(raw, "title"))
            state = "title"
        elif state == "title" and caps and len(raw) < 40:
            lines.append(Line(raw, "title"))  # the second line of a wrapped title
        elif state != "header" and raw.startswith(_SIGN):
            lines.append(Line(raw, "sign"))
        else:
            heading = caps or raw.startswith("Độc lập")
            lines.append(Line(raw, "header" if state == "header" and heading else "body"))
            state = "body" if state == "title" else state
    return lines


def separator_page(dpi: int) -> Image.Image:
    px = dpi / 2.54
    page = Image.new("L", (round(21 * px), round(29.7 * px)), 255)
    mark = Image.fromarray(np.asarray(zxingcpp.create_barcode(SEPARATOR, zxingcpp.BarcodeFormat.QRCode)
                                      .to_image(scale=1)))
    mark = mark.resize((round(4 * px), round(4 * px)), Image.Resampling.NEAREST)
    page.paste(mark, ((page.width - mark.width) // 2, page.height // 3))
    return page


def scan(image: Image.Image, condition: str, rng: random.Random, dpi: int) -> Image.Image:
    if condition == "skewed":
        image = skew(image, rng.choice((-1, 1)) * rng.uniform(0.5, 3.5))
    elif condition == "stamped" and rng.random() < 0.7:
        image = stamp(image, rng, dpi).convert("L") if rng.random() < 0.3 else stamp(image, rng, dpi)
    elif condition == "photocopy":
        image = photocopy(image, rng)
    if rng.random() < 0.04:
        image = image.rotate(180)
    return image


def make_file(g: Gen) -> list[dict]:
    """The paper documents of one file: results, each with 0-2 components, at most 8 in all."""
    docs: list[dict] = []
    for _ in range(1 if g.rng.random() < 0.25 else g.rng.randint(1, 4)):
        kind = g.rng.choice(RESULT_KINDS)
        text, truth = result(g, kind)
        main = {"text": text, "truth": truth, "component": False}
        group = [main]
        # the parent applies for a child's extract; otherwise the owner, now and then a relative
        owner = (truth.get("name") or "Lê Văn An", None if kind == "ks" else truth.get("cccd") or truth.get("cmnd"))
        for _ in range(g.rng.choice((0, 0, 1, 1, 2))):
            who = owner if g.rng.random() < 0.75 else (Person(g.rng).name, None)
            ctext, ctruth = form(g, who, date.fromisoformat(truth["issued"])) if g.rng.random() < 0.6 \
                else id_copy(g, who)
            group.append({"text": ctext, "truth": ctruth, "component": True})
        if len(group) > 1 and g.rng.random() < 0.35:
            group = [*group[1:], main]  # components on top of their result
        if docs and len(docs) + len(group) > 8:
            break
        for doc in group:
            doc["result_doc"] = main
        docs.extend(group)
    return docs


def generate(out: Path, files: int, seed: int) -> list[dict]:
    g = Gen(seed, noisy=False)
    out.mkdir(parents=True, exist_ok=True)
    truth_files = []
    for index in range(files):
        docs, separators = make_file(g), index % 4 == 1  # a quarter of the files use separator sheets
        condition = g.rng.choice(CONDITIONS)
        dpi = g.pick(150, 200) if condition == "lowdpi" else g.pick(300, 300, 200)
        images: list[Image.Image] = []
        parts: list[dict] = []
        if separators and g.rng.random() < 0.5:
            images.append(separator_page(dpi))
        for k, doc in enumerate(docs):
            if separators and k > 0:
                images.append(separator_page(dpi))
            first = len(images) + 1
            card = doc["truth"]["kind"] == "giay_to_tuy_than"  # an ID-card copy is one page
            for text in [doc["text"]] if card else paginate(g, doc["text"], doc["component"]):
                images.append(scan(render_page(to_lines(text), dpi), condition, g.rng, dpi))
            parts.append({"first": first, "last": len(images), "kind": "component" if doc["component"] else "result",
                          "fields": doc["truth"], "result": docs.index(doc["result_doc"])
                          if doc["component"] else None})
        name = f"stack{index:03d}.pdf"
        rgb = [im.convert("RGB") if im.mode not in ("L", "RGB") else im for im in images]
        rgb[0].save(out / name, "PDF", save_all=True, append_images=rgb[1:], resolution=dpi)
        for part in parts:
            issued = part["fields"].get("issued")
            part["lookup"] = part["fields"].pop("lookup", []) if part["kind"] == "result" else []
            part["valid_on"] = issued
        truth_files.append({"file": name, "condition": condition, "dpi": dpi, "pages": len(images),
                            "separators": separators, "parts": parts})
    (out / "truth.json").write_text(json.dumps(truth_files, ensure_ascii=False, indent=1), "utf-8")
    return truth_files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args(argv)
    truth = generate(args.out, args.files, args.seed)
    pages = sum(f["pages"] for f in truth)
    parts = sum(len(f["parts"]) for f in truth)
    print(f"wrote {len(truth)} files, {pages} pages, {parts} documents to {args.out}")


if __name__ == "__main__":
    main()
