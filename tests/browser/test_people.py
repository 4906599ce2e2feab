"""People and what they may see: each sign-in failure in its own Vietnamese sentence (wrong
password, locked after repeated failures, account disabled by an admin), a role's menu and
the screens it may not open (typed address included), no API key ever in the browser, the
admin's accounts (disable, reset password), API keys (shown once, revoked) and audit log
(filter, CSV download), and signing in with the keyboard alone."""

from __future__ import annotations

import csv
import io
import re

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import AGENCY, Person, add_person, sign_in, sign_out
from tests.browser.stack import Stack

MENUS = {
    "clerk": ["Tải lên", "Lô hồ sơ"],
    "officer": ["Tra cứu", "Kiểm tra", "Tra cứu theo số định danh"],
    "admin": ["Tải lên", "Lô hồ sơ", "Tra cứu", "Kiểm tra", "Tra cứu theo số định danh", "Quản trị"],
}
FORBIDDEN = {
    "clerk": (["/tra-cuu", "/kiem-tra", "/dinh-danh", "/quan-tri", "/ho-so/abc"], r"/tai-len$"),
    "officer": (["/tai-len", "/lo", "/lo/abc", "/quan-tri"], r"/tra-cuu$"),
}


def try_sign_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu", exact=True).fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def test_each_sign_in_failure_says_what_happened_in_vietnamese(page: Page, stack: Stack,
                                                                people: dict[str, Person]) -> None:
    person = add_person(stack, "thu.khoa", "Lương Thị Thu", "officer")
    page.goto("/dang-nhap")
    message = page.locator("#signin-message")
    try_sign_in(page, person.username, "sai mật khẩu")
    expect(message).to_have_text(re.compile("^Sai tên đăng nhập hoặc mật khẩu"))
    expect(page.get_by_label("Mật khẩu", exact=True)).to_have_value("")  # cleared, focused for the next try
    expect(page.get_by_label("Mật khẩu", exact=True)).to_be_focused()
    for wrong in ("sai lần hai", "sai lần ba"):  # the stack locks a username after 3 failures
        try_sign_in(page, person.username, wrong)
        expect(page.get_by_label("Mật khẩu", exact=True)).to_have_value("")
    try_sign_in(page, person.username, person.password)  # even the right password waits for the lock
    expect(message).to_contain_text(re.compile(
        r"Đăng nhập sai quá nhiều lần nên tạm bị khóa\. Thử lại sau 1[45] phút \(lúc \d\d:\d\d\)"))
    expect(page).to_have_url(re.compile("/dang-nhap"))

    other = add_person(stack, "bi.khoa", "Sùng A Páo", "clerk")
    with stack.client() as api:
        user_id = next(u["id"] for u in api.get("/api/v1/users").json() if u["username"] == other.username)
        assert api.patch(f"/api/v1/users/{user_id}", json={"disabled": True}).status_code == 200
    try_sign_in(page, other.username, other.password)
    expect(message).to_have_text("Tài khoản này đã bị khóa. Hãy liên hệ quản trị viên.")


def test_a_role_sees_only_its_screens_and_never_an_api_key(page: Page, stack: Stack,
                                                           people: dict[str, Person]) -> None:
    for role, menu in MENUS.items():
        person = people[role]
        sign_in(page, person)
        expect(page.locator("#who-name")).to_have_text(person.display_name)
        expect(page.locator("#nav a")).to_have_text(menu)
        forbidden, home = FORBIDDEN.get(role, ([], ""))
        for path in forbidden:
            page.goto(path)  # typed by hand: the server sends the person home
            expect(page).to_have_url(re.compile(home))
            expect(page.locator("#who-name")).to_have_text(person.display_name)
        stored = page.evaluate(
            "JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage}) + document.cookie")
        assert "sohoa_" not in stored and stack.admin_key not in page.content()
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert all(c["httpOnly"] for c in cookies.values() if "session" in c["name"]), cookies
        sign_out(page)
        assert not [c for c in page.context.cookies() if "session" in c["name"] and c["value"]]
    page.goto("/kiem-tra")  # signed out: the sign-in screen, and back to the screen after it
    expect(page).to_have_url(re.compile(r"/dang-nhap\?next=%2Fkiem-tra$"))
    try_sign_in(page, people["officer"].username, people["officer"].password)
    expect(page).to_have_url(re.compile(r"/kiem-tra$"))


def test_the_admin_manages_accounts_keys_and_reads_the_audit_log(page: Page, stack: Stack,
                                                                 people: dict[str, Person]) -> None:
    worker = add_person(stack, "lan.ht", "Hoàng Thị Lan", "clerk")
    sign_in(page, people["admin"], then="/quan-tri")
    row = page.locator(f"#users tr[data-username='{worker.username}']")
    expect(row).to_contain_text("Đang dùng")
    row.get_by_role("button", name=f"Khóa tài khoản {worker.username}").click()  # confirm() is accepted
    expect(row).to_contain_text("Đã khóa")
    assert httpx.post(f"{stack.base}/api/v1/session", json={"username": worker.username,
                                                           "password": worker.password}).status_code == 403
    row.get_by_role("button", name=f"Mở khóa tài khoản {worker.username}").click()
    expect(row).to_contain_text("Đang dùng")
    row.get_by_role("button", name=f"Đặt lại mật khẩu cho {worker.username}").click()
    one_time = page.locator("#secret").inner_text()
    expect(row).to_contain_text("Chưa đổi mật khẩu một lần")
    assert httpx.post(f"{stack.base}/api/v1/session", json={"username": worker.username,
                                                           "password": worker.password}).status_code == 401
    assert httpx.post(f"{stack.base}/api/v1/session", json={"username": worker.username,
                                                           "password": one_time}).status_code == 201

    page.get_by_role("link", name="Khóa API").click()
    page.get_by_label("Tên gợi nhớ").fill("Cổng dịch vụ công tỉnh")
    page.get_by_label("Vai trò").select_option("portal")
    page.get_by_label("Mã cơ quan (không bắt buộc)").fill(AGENCY)
    page.get_by_role("button", name="Tạo khóa").click()
    secret = page.locator("#secret").inner_text()
    assert secret.startswith("sohoa_")
    assert httpx.get(f"{stack.base}/api/v1/records", params={"owner_id": "001085012345"},
                     headers={"Authorization": f"Bearer {secret}", "X-Purpose": "000.00.14.H56-251120-0007"}
                     ).status_code == 200
    page.reload()  # shown once: gone after a reload, the table shows only its first characters
    expect(page.locator("#secret")).to_have_count(0)
    key_row = page.locator("#keys tr", has_text="Cổng dịch vụ công tỉnh")
    expect(key_row).to_contain_text(secret.removeprefix("sohoa_")[:8])
    assert secret not in page.content()
    key_row.get_by_role("button", name="Thu hồi khóa Cổng dịch vụ công tỉnh").click()
    expect(key_row).to_contain_text("Đã thu hồi")
    assert httpx.get(f"{stack.base}/api/v1/records", params={"owner_id": "001085012345"},
                     headers={"Authorization": f"Bearer {secret}"}).status_code == 401

    page.get_by_role("link", name="Nhật ký").click()
    expect(page.locator("#audit tr").first).to_be_visible()
    page.get_by_label("Hành động").fill("user.password_reset")  # the reset above, and nothing else
    page.get_by_role("button", name="Lọc").click()
    expect(page.locator("#audit tr")).to_have_count(1)
    expect(page.locator("#audit tr")).to_contain_text("user.password_reset")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert [r["action"] for r in rows] == ["user.password_reset"], rows


def test_signing_in_with_the_keyboard_alone(page: Page, people: dict[str, Person]) -> None:
    clerk = people["clerk"]
    page.goto("/dang-nhap")
    expect(page.get_by_label("Tên đăng nhập")).to_be_focused()
    page.keyboard.type(clerk.username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Mật khẩu", exact=True)).to_be_focused()
    page.keyboard.type(clerk.password)
    page.keyboard.press("Enter")
    expect(page.locator("#who-name")).to_have_text(clerk.display_name)
    batches = page.locator("#nav a", has_text="Lô hồ sơ")
    for _ in range(20):  # Tab through the page to the menu, Enter opens the screen
        if batches.evaluate("a => a === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(batches).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/lo$"))
    expect(page.locator("h1")).to_have_text("Lô hồ sơ")
