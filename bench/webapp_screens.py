"""Page weight and load time of every screen of the web app (issue 11: first load of any
screen ≤ 200 KB transferred, usable at 400 kbit/s with 400 ms latency).

Starts its own ``sohoa run`` stack (API, worker with Tesseract, Redis) on free ports with one
read sample document, drives Debian's Chromium headless with Playwright (never a downloaded
browser), and opens each screen cold (new context: empty cache, no cookie), signed in as the
admin (who may open every screen):

- bytes on the wire (compressed, every response of the load, from the CDP network events);
- seconds until the screen shows its data (its ready selector, every image complete) on an
  unthrottled loopback line (the reference of the same round) and on Chromium's emulated
  400 kbit/s, 400 ms line; the ratio of the two.

Run: ``.venv/bin/python -m bench.webapp_screens [--rounds N]`` (the median of N rounds).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import BrowserContext, sync_playwright

from tests.browser.conftest import DESKTOP, PHONE, STACK_ENV, launch, make_people
from tests.browser.screens_support import BUDGET_BYTES, SLOW_LINE, open_cold, read_sample, screens
from tests.browser.stack import Stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-webapp-") as root:
        stack = Stack(Path(root), STACK_ENV)
        stack.start()
        try:
            admin = make_people(stack)["admin"]
            sample = read_sample(stack)
            with sync_playwright() as playwright:
                browser = launch(playwright)
                rows = []
                for screen in screens(sample):
                    made: list[BrowserContext] = []
                    phone = [open_cold(browser, stack, made, screen, admin, PHONE)[1] for _ in range(args.rounds)]
                    fast, slow, desktop = [], [], []
                    for _ in range(args.rounds):
                        _, weight, seconds = open_cold(browser, stack, made, screen, admin, DESKTOP)
                        fast.append(seconds)
                        desktop.append(weight)
                        slow.append(open_cold(browser, stack, made, screen, admin, DESKTOP, SLOW_LINE)[2])
                        for context in made:
                            context.close()
                        made.clear()
                    kb_phone, kb_desk = statistics.median(phone) / 1024, statistics.median(desktop) / 1024
                    s_fast, s_slow = statistics.median(fast), statistics.median(slow)
                    rows.append(f"| {screen.name} | {kb_phone:.1f} | {kb_desk:.1f} | {s_fast:.2f} | {s_slow:.2f} | "
                                f"{s_slow / s_fast:.1f} | {'yes' if max(phone + desktop) <= BUDGET_BYTES else 'NO'} |")
                browser.close()
        finally:
            stack.stop()
    print(f"median of {args.rounds} cold loads per screen; slow line = 400 kbit/s each way, 400 ms latency")
    print("| Screen | KB 390×844 | KB 1366×768 | s ready, loopback | s ready, 400 kbit/s | slow/loopback | ≤ 200 KB |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
