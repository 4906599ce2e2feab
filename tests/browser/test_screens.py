"""Every screen, opened cold as a person would open it the first time: what it weighs on the
wire (compressed, ≤ 200 KB), how long it takes on a 400 kbit/s line with 400 ms latency, that
at 390×844 nothing scrolls sideways and touch targets are ≥ 40 px, that axe-core finds no
serious or critical problem, and that the server sends its Content-Security-Policy. The
figures are printed for the lead to paste (``pytest -m browser -s``)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext

from tests.browser.conftest import DESKTOP, PHONE, Person, problems_of
from tests.browser.screens_support import BUDGET_BYTES, SLOW_LINE, TARGETS, open_cold, read_sample, screens
from tests.browser.stack import Stack

FIGURES: list[str] = []


@pytest.fixture(scope="module")
def sample(stack: Stack, people: dict[str, Person]) -> dict[str, str]:
    return read_sample(stack)


@pytest.fixture
def cold(browser: Browser, stack: Stack) -> Iterator[list[BrowserContext]]:
    """Fresh contexts (empty cache, no cookie) made by a test; their pages must report no problem."""
    made: list[BrowserContext] = []
    yield made
    problems = [p for c in made for p in problems_of(c)]
    for context in made:
        context.close()
    assert problems == [], problems


def test_every_screen_is_light_fits_a_phone_and_passes_axe(browser: Browser, stack: Stack, people: dict[str, Person],
                                                            sample: dict[str, str], cold: list[BrowserContext]) -> None:
    admin = people["admin"]
    axe = Axe()
    rows = []
    for screen in screens(sample):
        page, weight, _ = open_cold(browser, stack, cold, screen, admin, PHONE)
        assert weight <= BUDGET_BYTES, f"{screen.name}: {weight} bytes"
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"{screen.name} scrolls sideways by {wide}px at 390×844"
        small = page.eval_on_selector_all(TARGETS, """els => els
            .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
            .filter(([, r]) => r.width > 1 && (r.height < 40 || r.width < 40)).map(([h]) => h)""")
        assert small == [], f"{screen.name}: touch targets under 40 px: {small}"
        shot = screen.path.strip("/").split("?")[0].replace("/", "-") or "home"
        page.screenshot(path=f"/tmp/sohoa-webapp-phone-{shot}.png", full_page=True)
        found = axe.run(page).response["violations"]
        serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found
                   if v["impact"] in ("serious", "critical")]
        assert serious == [], f"{screen.name}: {serious}"
        minor = sorted({v["id"] for v in found})
        desktop, desktop_weight, slow = open_cold(browser, stack, cold, screen, admin, DESKTOP, SLOW_LINE)
        wide = desktop.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"{screen.name} scrolls sideways by {wide}px at 1366×768"
        assert desktop_weight <= BUDGET_BYTES, f"{screen.name}: {desktop_weight} bytes at 1366×768"
        rows.append(f"| {screen.name} | `{screen.path.split('?')[0][:24]}` | {weight / 1024:.1f} | "
                    f"{desktop_weight / 1024:.1f} | {slow:.1f} | {len(serious)} | {', '.join(minor) or '–'} |")
    FIGURES[:] = ["| Screen | Path | KB at 390×844 (cold) | KB at 1366×768 (cold) | s to ready at 400 kbit/s, 400 ms |"
                  " serious/critical axe | other axe findings |", "|---|---|---|---|---|---|---|", *rows]
    print("\n" + "\n".join(FIGURES))


def test_the_server_sends_a_strict_content_security_policy(stack: Stack) -> None:
    with stack.client() as api:
        shell = api.get("/tra-cuu")
        found = re.search(r'<script type="module" src="([^"]+)"', shell.text)
        assert found, shell.text
        script = api.get(found.group(1))
    csp = shell.headers["content-security-policy"]
    for rule in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                 "object-src 'none'", "require-trusted-types-for 'script'"):
        assert rule in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "<script>" not in shell.text and " style=" not in shell.text  # nothing inline to allow
    assert shell.headers["cache-control"] == "no-cache"
    assert script.status_code == 200 and "immutable" in script.headers["cache-control"]
