"""A whole folder on Tải lên: a clerk drags a day's folder (with subfolders) from the file
manager onto the drop zone, or picks it with "Chọn cả thư mục…". Every file in it, at any
depth, joins one batch; hidden files and hidden folders (``.DS_Store``, ``.thumbnails/``) are
left out; the files that are not scans are listed with their reason in Vietnamese.

What is simulated, and how faithfully: the drop is Chromium's own drag and drop, driven by
CDP ``Input.dispatchDragEvent`` with the folder's real path on disk, as the browser process
receives a drag from the operating system. The page gets a real ``DataTransfer`` whose item
gives a real directory entry (``webkitGetAsEntry()``) that Chromium reads from the disk; the
app walks it with ``createReader().readEntries()`` and ``entry.file()``. Nothing in the page
is replaced or stubbed. The picked folder is Playwright's ``set_input_files`` of the folder
on the app's ``<input type=file webkitdirectory>`` (the browser lists the folder's files with
their ``webkitRelativePath``, as its own folder dialog would).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.browser.conftest import Person, sign_in
from tests.browser.scans import CERTIFICATE, PERMIT, scan_png
from tests.browser.stack import Stack
from tests.integration.workers_support import image_pdf_bytes, page_image, tiff_bytes

NOT_A_SCAN = "Không phải tệp quét được hỗ trợ (chỉ nhận PDF, TIFF, JPEG, PNG)."
EMPTY = "Tệp rỗng (0 byte)."
SCANS = ["giay-chung-nhan-hkd.png", "to-khai.pdf", "giay-phep-2-trang.tiff", "anh-chup.jpg", "ban-sao.png"]
REJECTED = {"ghi-chu.txt": NOT_A_SCAN, "Thumbs.db": NOT_A_SCAN, "trang-trang.pdf": EMPTY}
HIDDEN = [".DS_Store", ".thumbnails/anh-nho.png", "ho-so-2/.~lock.docx#"]


def jpeg(lines: list[str]) -> bytes:
    out = io.BytesIO()
    page_image(lines).save(out, "JPEG", quality=85, dpi=(300, 300))
    return out.getvalue()


def day_folder(root: Path) -> Path:
    """A day's folder as a clerk's scanner leaves it: scans at three depths, a note, a thumbnail
    database, an empty file, and the hidden files a file manager adds."""
    folder = root / "ho-so-ngay-12-03"
    files: dict[str, bytes] = {
        "giay-chung-nhan-hkd.png": scan_png(CERTIFICATE),
        "to-khai.pdf": image_pdf_bytes([PERMIT[:6]]),
        "ghi-chu.txt": "Lô hồ sơ ngày 12/03, còn thiếu 2 bộ.".encode(),
        "Thumbs.db": b"\xd0\xcf\x11\xe0" + bytes(60),
        "trang-trang.pdf": b"",
        "ho-so-2/giay-phep-2-trang.tiff": tiff_bytes([PERMIT, ["Trang 2/2", "Bản vẽ kèm theo giấy phép."]]),
        "ho-so-2/anh-chup.jpg": jpeg(CERTIFICATE[4:]),
        "ho-so-2/lan-3/ban-sao.png": scan_png(PERMIT),
        **{hidden: scan_png(["ẩn"]) for hidden in HIDDEN},
    }
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return day_folder(tmp_path_factory.mktemp("folder"))


def drop_from_file_manager(context: BrowserContext, page: Page, target: Locator, paths: list[Path]) -> None:
    """Drag ``paths`` from outside the browser and drop them on ``target`` (see the module's
    docstring): enter, move over, drop, at the target's centre."""
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    data = {"items": [], "files": [str(p) for p in paths], "dragOperationsMask": 1}  # 1 = copy
    cdp = context.new_cdp_session(page)
    for kind in ("dragEnter", "dragOver"):
        cdp.send("Input.dispatchDragEvent", {"type": kind, "x": x, "y": y, "data": data})
    expect(target).to_have_class(re.compile("drop-active"))
    cdp.send("Input.dispatchDragEvent", {"type": "drop", "x": x, "y": y, "data": data})
    cdp.detach()


def listed(page: Page) -> list[str]:
    return page.locator("#file-list li .file-name").all_inner_texts()


def batch_count(stack: Stack) -> int:
    with stack.client() as api:
        return int(api.get("/api/v1/batches", params={"size": 1}).json()["total"])


def test_a_dropped_folder_with_subfolders_goes_up_as_one_batch(context: BrowserContext, page: Page, stack: Stack,
                                                               people: dict[str, Person], folder: Path) -> None:
    sign_in(page, people["clerk"])
    page.get_by_label("Mã thủ tục").fill("1.001612")
    zone = page.locator("#drop-zone")
    drop_from_file_manager(context, page, zone, [folder])
    expect(zone).not_to_have_class(re.compile("drop-active"))
    expect(page.locator("#file-count")).to_contain_text(f"{len(SCANS) + len(REJECTED)} tệp")
    assert sorted(listed(page)) == sorted([*SCANS, *REJECTED]), listed(page)  # every depth, hidden ones left out

    before = batch_count(stack)
    page.locator("#send").click()
    result = page.locator("#upload-result")
    expect(result).to_have_text(f"Đã nhận {len(SCANS)} tệp, bị từ chối {len(REJECTED)} tệp.", timeout=90_000)
    for name in SCANS:
        expect(page.locator("#file-list li", has_text=name)).to_have_attribute("data-state", "accepted")
    rejected = page.locator("#rejected-list li")
    expect(rejected).to_have_count(len(REJECTED))
    for name, reason in REJECTED.items():
        expect(rejected.filter(has_text=name)).to_have_text(f"{folder.name}/{name}: {reason}")  # where it is
        expect(page.locator("#file-list li", has_text=name)).to_contain_text(f"Bị từ chối: {reason}")

    assert batch_count(stack) == before + 1  # the whole folder is one batch
    href = page.locator("#open-batch").get_attribute("href")
    assert href and href.startswith("/lo/")
    with stack.client() as api:
        batch = api.get(f"/api/v1/batches/{href.rsplit('/', 1)[1]}").json()
    assert batch["procedure_code"] == "1.001612"
    stored = {d["filename"]: d["status"] for d in batch["documents"]}
    assert set(SCANS) <= set(stored), stored
    assert all(stored[name] != "rejected" for name in SCANS), stored
    assert not set(stored) - set(SCANS) - set(REJECTED), stored  # no hidden file reached the server


def test_a_picked_folder_lists_the_same_files_as_a_dropped_one(page: Page, people: dict[str, Person],
                                                               folder: Path) -> None:
    sign_in(page, people["clerk"])
    page.locator("#pick-folder").set_input_files(folder)
    expect(page.locator("#file-count")).to_contain_text(f"{len(SCANS) + len(REJECTED)} tệp")
    assert sorted(listed(page)) == sorted([*SCANS, *REJECTED]), listed(page)
    page.locator("#pick-folder").set_input_files(folder)  # the same folder again: nothing listed twice
    expect(page.locator("#status")).to_contain_text("đã có trong danh sách")
    expect(page.locator("#file-list li")).to_have_count(len(SCANS) + len(REJECTED))


def test_same_named_scans_of_two_subfolders_say_which_folder_each_is_from(context: BrowserContext, page: Page,
                                                                          people: dict[str, Person],
                                                                          tmp_path: Path) -> None:
    """A scanner names every day's pages alike: two ``scan-0001.png`` of two subfolders are two
    rows, each with the folder it came from on a lighter line under the name, and buttons named
    by the whole path. Dropped and picked folders give the path two ways (the entry's path, the
    file's ``webkitRelativePath``); a file chosen on its own has no folder line."""
    root = tmp_path / "ho-so-thang-3"
    for sub, lines in (("xa-an-binh", CERTIFICATE), ("xa-hoa-loi/dot-2", PERMIT)):
        (root / sub).mkdir(parents=True)
        (root / sub / "scan-0001.png").write_bytes(scan_png(lines))
    alone = tmp_path / "don-le.png"
    alone.write_bytes(scan_png(PERMIT[:4]))
    folders = ["Trong thư mục: ho-so-thang-3 / xa-an-binh", "Trong thư mục: ho-so-thang-3 / xa-hoa-loi / dot-2"]
    paths = ["ho-so-thang-3/xa-an-binh/scan-0001.png", "ho-so-thang-3/xa-hoa-loi/dot-2/scan-0001.png"]
    sign_in(page, people["clerk"])
    for add in (lambda: drop_from_file_manager(context, page, page.locator("#drop-zone"), [root]),
                lambda: page.locator("#pick-folder").set_input_files(root)):
        page.reload()  # an empty list (nothing was sent)
        expect(page.locator("#drop-zone")).to_be_visible()
        add()
        twins = page.locator("#file-list li", has_text="scan-0001.png")
        expect(twins).to_have_count(2)
        assert listed(page) == ["scan-0001.png", "scan-0001.png"]  # the name itself stays as it is
        assert sorted(twins.locator(".file-folder").all_inner_texts()) == folders
        for path in paths:
            expect(page.get_by_role("button", name=f"Hủy gửi tệp {path}", exact=True)).to_have_count(1)
            expect(page.get_by_role("progressbar", name=path, exact=True)).to_have_count(1)
    page.locator("#pick-files").set_input_files(alone)
    expect(page.locator("#file-list li", has_text=alone.name).locator(".file-folder")).to_have_count(0)
    expect(page.get_by_role("button", name=f"Hủy gửi tệp {alone.name}", exact=True)).to_have_count(1)


def uncompressed_tiff(lines: list[str]) -> bytes:
    """A page as a flatbed scanner's TIFF, not compressed: its size is set by the page's size
    alone, so two different pages of as many lines weigh exactly the same."""
    buf = io.BytesIO()
    page_image(lines).save(buf, "TIFF", dpi=(300, 300))
    return buf.getvalue()


@pytest.mark.parametrize("how", ["dropped", "picked"])
def test_twin_scans_of_two_subfolders_both_reach_the_batch(context: BrowserContext, page: Page, stack: Stack,
                                                           people: dict[str, Person], tmp_path: Path,
                                                           how: str) -> None:
    """Two ``scan-0001.tif`` of two subfolders, of the same size and the same modification time
    (uncompressed TIFFs copied from a FAT USB stick, whose clock keeps 2 s steps) but different
    pages: the app knows a file by its path in the folder as well as its name, size and time,
    so both are listed, both go up, and the batch holds two documents (none turned away as
    "already in the list", none taken for the other's upload)."""
    root = tmp_path / f"usb-{how}"
    twins = [root / "xa-an-binh" / "scan-0001.tif", root / "xa-hoa-loi" / "scan-0001.tif"]
    stamp = 1_741_737_600 * 10**9  # 12/03/2025 00:00 UTC, to the second as FAT keeps it
    for path, lines in zip(twins, (CERTIFICATE[4:8], PERMIT[4:8]), strict=True):
        path.parent.mkdir(parents=True)
        path.write_bytes(uncompressed_tiff([*lines, how]))
        os.utime(path, ns=(stamp, stamp))
    assert twins[0].stat().st_size == twins[1].stat().st_size
    assert twins[0].read_bytes() != twins[1].read_bytes()
    sign_in(page, people["clerk"])
    if how == "dropped":
        drop_from_file_manager(context, page, page.locator("#drop-zone"), [root])
    else:
        page.locator("#pick-folder").set_input_files(root)
    rows = page.locator("#file-list li", has_text="scan-0001.tif")
    expect(rows).to_have_count(2)
    expect(page.locator("#status")).not_to_contain_text("đã có trong danh sách")
    page.locator("#send").click()
    expect(page.locator("#upload-result")).to_have_text("Đã nhận 2 tệp, bị từ chối 0 tệp.", timeout=90_000)
    expect(rows.and_(page.locator("[data-state=accepted]"))).to_have_count(2)  # neither a "duplicate"
    href = page.locator("#open-batch").get_attribute("href")
    assert href and href.startswith("/lo/")
    with stack.client() as api:
        batch = api.get(f"/api/v1/batches/{href.rsplit('/', 1)[1]}").json()
    assert batch["total"] == 2, batch
    documents = batch["documents"]
    assert [d["filename"] for d in documents] == ["scan-0001.tif"] * 2, documents
    assert len({d["id"] for d in documents}) == 2 and not any(d["duplicate"] for d in documents), documents


def twin_folder(root: Path, size: int) -> list[Path]:
    """Two ``scan-0001.png`` of two subfolders of ``root``, different pages of exactly ``size``
    bytes (+12, the padding chunk's frame) each, with the same modification time."""
    twins = [root / "xa-an-binh" / "scan-0001.png", root / "xa-hoa-loi" / "scan-0001.png"]
    stamp = 1_741_737_600 * 10**9
    for path, lines in zip(twins, (CERTIFICATE, PERMIT), strict=True):
        path.parent.mkdir(parents=True)
        path.write_bytes(scan_png(lines, size=size))
        os.utime(path, ns=(stamp, stamp))
    assert twins[0].stat().st_size == twins[1].stat().st_size
    return twins


def test_twin_scans_of_a_folder_picked_again_after_a_reload_each_resume_their_own_upload(
        context: BrowserContext, page: Page, stack: Stack, people: dict[str, Person], tmp_path: Path) -> None:
    """On a slow line the page is reloaded while both twins are on their way; the same folder,
    picked again, lists both, and each goes on from its own stored bytes (the resume
    fingerprint holds the path in the folder: neither continues the other's upload), ending
    as two documents whose bytes are those of their own file."""
    root = tmp_path / "usb-thang-3"
    twins = twin_folder(root, 1024 * 1024)
    paths = [f"{root.name}/{p.parent.name}/{p.name}" for p in twins]
    sign_in(page, people["clerk"])
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": 150_000})
    page.locator("#pick-folder").set_input_files(root)
    page.locator("#send").click()
    bars = [page.get_by_role("progressbar", name=path, exact=True) for path in paths]
    deadline = time.monotonic() + 60
    while not all(int(bar.get_attribute("value") or 0) >= 15 for bar in bars):
        assert time.monotonic() < deadline, "the twins did not get on their way"
        time.sleep(0.2)
    page.reload()
    for path in paths:
        expect(page.locator("#pending")).to_contain_text(path)  # the unfinished batch names both
    page.locator("#pick-folder").set_input_files(root)
    rows = page.locator("#file-list li", has_text="scan-0001.png")
    expect(rows).to_have_count(2)
    for path in paths:  # still on the slow line: "going on from" stays up while the rest goes
        expect(page.locator("#file-list li").filter(has=page.get_by_role("progressbar", name=path, exact=True))
               ).to_contain_text("Gửi tiếp từ", timeout=20_000)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    expect(page.locator("#upload-result")).to_have_text("Đã nhận 2 tệp, bị từ chối 0 tệp.", timeout=60_000)
    href = page.locator("#open-batch").get_attribute("href")
    assert href and href.startswith("/lo/")
    with stack.client() as api:
        batch = api.get(f"/api/v1/batches/{href.rsplit('/', 1)[1]}").json()
        assert batch["total"] == 2 and not any(d["duplicate"] for d in batch["documents"]), batch
        stored = {api.get(f"/api/v1/documents/{d['id']}").json()["sha256"] for d in batch["documents"]}
    assert stored == {hashlib.sha256(p.read_bytes()).hexdigest() for p in twins}


def test_a_dropped_folder_of_more_than_a_hundred_files_is_listed_whole(context: BrowserContext, page: Page,
                                                                       people: dict[str, Person],
                                                                       tmp_path: Path) -> None:
    """Chromium hands a folder's entries out a hundred at a time (``readEntries`` is called
    until it gives none): a day's feeder output of 130 pages is listed whole (not sent)."""
    feeder = tmp_path / "may-quet-12-03"
    feeder.mkdir()
    for n in range(1, 131):
        (feeder / f"scan-{n:04d}.pdf").write_bytes(b"%PDF-1.4 " + bytes(n))
    sign_in(page, people["clerk"])
    drop_from_file_manager(context, page, page.locator("#drop-zone"), [feeder])
    expect(page.locator("#file-list li")).to_have_count(130)
    assert sorted(listed(page)) == [f"scan-{n:04d}.pdf" for n in range(1, 131)]
