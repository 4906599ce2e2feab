"""Measure OCR quality and speed: ``python -m bench.ocr.run DIR [--procs 2] [--only a,b]``.

DIR holds ``truth.json`` (list of ``{file, profile, dpi, pages, text}``, file relative to
DIR) — what ``bench.ocr.generate`` writes, or ``../shared/samples``. Each system reads every
file with the same number of processes, one system after the other, and the table gives
per condition (profile) the character error rate and word recall, then pages per minute.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from bench.ocr import systems
from sohoa.domain.vntext import nfc

SYSTEMS = {"pipeline": systems.pipeline, "tesseract": systems.raw_tesseract, "ocrmypdf": systems.ocrmypdf}


def normalize(text: str) -> str:
    """NFC, one space between words: layout whitespace is not a reading error."""
    return " ".join(nfc(text).split())


def cer(truth: str, text: str) -> tuple[int, int]:
    """(edit distance, truth length) so rates can be pooled over pages."""
    t = normalize(truth)
    return Levenshtein.distance(t, normalize(text)), len(t)


def word_recall(truth: str, text: str) -> tuple[int, int]:
    """(truth words found, truth words), as a multiset: each OCR word matches once."""
    want = Counter(re.findall(r"\w+", nfc(truth)))
    got = Counter(re.findall(r"\w+", nfc(text)))
    return sum((want & got).values()), sum(want.values())


def _timed(fn: Callable[[systems.Job], tuple[str, int]], job: systems.Job) -> tuple[str, int, float, str | None]:
    started = time.monotonic()
    try:
        text, pages = fn(job)
        return text, pages, time.monotonic() - started, None
    except Exception as e:  # noqa: BLE001 - one failing file is reported, not fatal
        return "", 0, time.monotonic() - started, f"{type(e).__name__}: {e}"


def run_system(name: str, jobs: list[systems.Job], procs: int) -> tuple[list, float]:
    """Every job through one system; (per-job results, wall seconds)."""
    fn = SYSTEMS[name]
    with ProcessPoolExecutor(max_workers=procs, initializer=_warm) as pool:
        list(pool.map(time.sleep, [0.5] * procs))  # every process up and its imports done
        started = time.monotonic()
        results = list(pool.map(_timed, [fn] * len(jobs), jobs))
        return results, time.monotonic() - started


def _warm() -> None:
    """Import what the service's workers preload, so the clock sees only page work."""
    import workers.ocr.imaging
    import workers.ocr.pipeline
    import workers.ocr.sources  # noqa: F401 - imported for the side effect: the modules load once, up front


def make_jobs(root: Path, truth: list[dict]) -> list[systems.Job]:
    return [systems.Job(root / e["file"], e.get("dpi")) for e in truth]


def table(truth: list[dict], scores: dict[str, dict], speed: dict[str, tuple[int, float]]) -> str:
    names = list(scores)
    profiles = list(dict.fromkeys(e["profile"] for e in truth))
    head = f"{'condition':<14}{'pages':>6}  " + "".join(f"{n + ' CER':>15}{'recall':>8}" for n in names)
    rows = [head, "-" * len(head)]
    for profile in [*profiles, "ALL"]:
        cells, pages = "", 0
        for name in names:
            s = scores[name][profile]
            pages = s["pages"]
            cells += f"{100 * s['err'] / max(1, s['len']):>14.2f}%{100 * s['hit'] / max(1, s['words']):>7.1f}%"
        rows.append(f"{profile:<14}{pages:>6}  {cells}")
    rows.append("")
    for name in names:
        pages, wall = speed[name]
        rows.append(f"{name:<10} {pages:>4} pages in {wall:7.1f} s = {60 * pages / wall:6.1f} pages/min")
    return "\n".join(rows)


def score(truth: list[dict], results: list) -> dict[str, dict]:
    acc: dict[str, dict] = defaultdict(lambda: {"err": 0, "len": 0, "hit": 0, "words": 0, "pages": 0})
    for entry, (text, _pages, _secs, error) in zip(truth, results, strict=True):
        if error:
            print(f"  {entry['file']}: {error}", file=sys.stderr)
        e, n = cer(entry["text"], text)
        h, w = word_recall(entry["text"], text)
        for key in (entry["profile"], "ALL"):
            for field, value in (("err", e), ("len", n), ("hit", h), ("words", w), ("pages", entry["pages"])):
                acc[key][field] += value
    return acc


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, nargs="?", help="folder with truth.json")
    parser.add_argument("--samples", type=Path, help="same as ROOT (e.g. ../shared/samples)")
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--only", default="", help="comma list of pipeline,tesseract,ocrmypdf")
    parser.add_argument("--profiles", default="", help="comma list of conditions to keep")
    parser.add_argument("--json", type=Path, help="also write per-file results here")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the systems in turn this many rounds; pages/min from each one's best round")
    args = parser.parse_args(argv)
    root = args.samples or args.root
    if root is None:
        parser.error("give ROOT or --samples DIR")
    truth = json.loads((root / "truth.json").read_text("utf-8"))
    if args.profiles:
        truth = [e for e in truth if e["profile"] in args.profiles.split(",")]
    names = [n for n in (args.only.split(",") if args.only else SYSTEMS) if n]
    if "ocrmypdf" in names and not systems.ocrmypdf_installed():
        print("ocrmypdf not installed (apt-get install ocrmypdf): skipped", file=sys.stderr)
        names.remove("ocrmypdf")
    scores: dict[str, dict] = {}
    speed: dict[str, tuple[int, float]] = {}
    per_file: dict[str, list[dict]] = {}
    jobs = make_jobs(root, truth)
    for round_ in range(args.repeat):  # rounds alternate systems, so load spikes hit all alike
        for name in names:
            results, wall = run_system(name, jobs, args.procs)
            print(f"round {round_ + 1} {name}: {wall:.1f} s", file=sys.stderr)
            if name in speed and speed[name][1] <= wall:
                continue
            scores[name] = score(truth, results)
            speed[name] = (sum(e["pages"] for e in truth), wall)
            per_file[name] = [{"file": e["file"], "cer": cer(e["text"], r[0]), "seconds": round(r[2], 2),
                               "error": r[3]} for e, r in zip(truth, results, strict=True)]
    print(table(truth, scores, speed))
    if args.json:
        args.json.write_text(json.dumps(per_file, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main()
