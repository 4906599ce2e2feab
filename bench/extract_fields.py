"""Extraction benchmark: precision and recall per field against expected values.

    python -m bench.extract_fields                       # samples' truth text + generated pages
    python -m bench.extract_fields --text-source ocr-json var/ocr-out   # the service's OCR output
    python -m bench.extract_fields --generated 0 --show-errors

``truth`` reads the page text recorded in ``truth.json`` (= pages the OCR reads correctly).
``ocr-json DIR`` reads the OCR output per sample from DIR, matched by file stem
(``doc0003``): ``<stem>.json`` holding ``{"pages": [...]}`` (strings or objects with ``text``)
or a bare list, or ``<stem>.txt`` with pages split by form feeds.

Per field: a prediction equal to the expected value is a true positive; a different
non-empty prediction is a false positive (and a false negative when a value was expected);
a missing prediction where one was expected is a false negative. ``absent`` counts expected
values that are not printed in the text at all (e.g. a parent's ID in a birth extract): no
reader can find them, so ``R(text)`` is the recall over values that are printed.

``doc_class`` (result vs dossier component) is expected from the sample's kind, never from
the extractor's own type table. ``issuer`` for the samples comes from the hand-labelled
``bench/extract_samples_issuer.json``; it is compared ignoring case, tone-mark placement,
spacing, dash style and the ``UBND`` abbreviation, not the `` / `` between levels.
``enterprise_code`` is the summary's ``tax_code``; ``cmnd`` the owner's legacy 9-digit ID.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from bench.extract_gen_kinds import generate
from sohoa.domain.extract import LOW_CONFIDENCE, extract_fields, summarize
from sohoa.domain.vntext import normalize

KIND_MAP = {"hkd": "gcn_hkd", "don": "don_de_nghi", "qd": "quyet_dinh", "ks": "trich_luc_khai_sinh",
            "hn": "xac_nhan_tinh_trang_hon_nhan", "gpxd": "giay_phep_xay_dung", "kt": "trich_luc_khai_tu",
            "kh": "trich_luc_ket_hon", "qsdd": "gcn_qsdd", "tk": "to_khai"}
FIELDS = ("kind", "doc_class", "issuer", "doc_no", "issued", "name", "cccd", "cmnd", "enterprise_code",
          "valid_until", "business_no", "child_name", "child_cccd", "validity")
SUMMARY_KEY = {"kind": "doc_type", "enterprise_code": "tax_code"}
COMPONENT_KINDS = frozenset({"don", "tk"})  # sample kinds that are dossier components, not results
ISSUER_TRUTH = Path(__file__).with_name("extract_samples_issuer.json")
_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "S": "5", "B": "8"})
DEFAULT_SAMPLES = Path("/work/shared/samples")


def _norm(key: str, value) -> str:
    if value in (None, ""):
        return ""
    text = str(value)
    if key == "kind":
        text = KIND_MAP.get(text, text)
    if key in ("doc_no", "business_no", "enterprise_code", "cmnd", "cccd"):
        text = re.sub(r"\s+", "", text).replace("\u00d0", "Đ").upper()
    if key == "issuer":
        text = re.sub(r"^UBND\b", "ỦY BAN NHÂN DÂN", re.sub(r"\s+", " ", text.strip()).upper())
        text = re.sub(r"\s*/\s*UBND\b", " / ỦY BAN NHÂN DÂN", text)
        text = re.sub(r"\s*[-–—]\s*", " - ", text)
    return normalize(text).strip()


def _printed(key: str, value: str, text: str) -> bool:
    if key in (
        "cccd",
        "child_cccd",
        "business_no",
        "cmnd",
        "enterprise_code",
    ):  # look-alikes count as printed (they are repairable)
        digits = re.sub(r"[\s.]", "", text)
        value = re.sub(r"[\s.]", "", value)
        return value in digits or value in digits.translate(_LOOKALIKES) or value in re.sub(r"-", "", digits)
    if key in ("name", "child_name"):
        return normalize(value) in normalize(re.sub(r"\s+", " ", text))
    return True


class Score:
    def __init__(self) -> None:
        self.c: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.errors: list[str] = []

    def add(self, label: str, truth: dict, got: dict, text: str) -> None:
        for key in FIELDS:
            if key not in truth:
                continue
            t, g = _norm(key, truth[key]), _norm(key, got.get(SUMMARY_KEY.get(key, key)))
            c = self.c[key]
            c["tp"] += 0  # show the row even when nothing is expected nor found
            if t and not _printed(key, str(truth[key]), text):
                c["absent"] += 1
            if t and g == t:
                c["tp"] += 1
                conf = got["confidence"].get(SUMMARY_KEY.get(key, key))
                if conf is not None and conf <= LOW_CONFIDENCE:
                    c["low"] += 1
                continue
            if g:
                c["fp"] += 1
            if t:
                c["fn"] += 1
            if t or g:
                self.errors.append(
                    f"{label}: {key}: expected {truth[key]!r}, got {got.get(SUMMARY_KEY.get(key, key))!r}"
                )

    def table(self, title: str) -> str:
        rows = [
            f"\n{title}",
            f"{'field':<15} {'expected':>8} {'TP':>5} {'FP':>4} {'FN':>4} {'absent':>6} "
            f"{'P':>6} {'R':>6} {'R(text)':>7} {'lowconf':>7}",
        ]
        for key in FIELDS:
            c = self.c.get(key)
            if c is None:
                continue
            tp, fp, fn, absent = c["tp"], c["fp"], c["fn"], c["absent"]
            p = tp / (tp + fp) if tp + fp else 1.0
            r = tp / (tp + fn) if tp + fn else 1.0
            rt = tp / (tp + fn - absent) if tp + fn - absent else 1.0
            rows.append(
                f"{key:<15} {tp + fn:>8} {tp:>5} {fp:>4} {fn:>4} {absent:>6} {p:>6.3f} {r:>6.3f} {rt:>7.3f} "
                f"{c['low']:>7}"
            )
        return "\n".join(rows)


def _load_ocr(directory: Path, stem: str) -> list[str] | None:
    js, txt = directory / f"{stem}.json", directory / f"{stem}.txt"
    if js.exists():
        data = json.loads(js.read_text(encoding="utf-8"))
        pages = data.get("pages", data) if isinstance(data, dict) else data
        return [p["text"] if isinstance(p, dict) else str(p) for p in pages]
    if txt.exists():
        return txt.read_text(encoding="utf-8").split("\f")
    return None


def run_samples(samples: Path, source: str, ocr_dir: Path | None) -> Score:
    score = Score()
    issuers = json.loads(ISSUER_TRUTH.read_text(encoding="utf-8"))["issuer"]
    for item in json.loads((samples / "truth.json").read_text(encoding="utf-8")):
        stem = Path(item["file"]).stem
        pages: list[str] | None
        if source == "truth":
            pages = [item["text"]]
        else:
            assert ocr_dir is not None, "main() gives a directory with any source but 'truth'"
            pages = _load_ocr(ocr_dir, stem)
        if pages is None:
            print(f"warning: no OCR output for {stem}", file=sys.stderr)
            pages = [""]
        truth = dict(item["fields"])
        truth.setdefault("child_name", None)
        truth.setdefault("child_cccd", None)
        truth.setdefault("business_no", None)
        truth["doc_class"] = "component" if truth["kind"] in COMPONENT_KINDS else "result"
        name = Path(item["file"]).name
        if name in issuers:  # hand-labelled; a file missing from the labels is not scored on it
            truth["issuer"] = issuers[name]
        truth.setdefault("cmnd", None)  # the samples print no legacy ID and no enterprise code
        truth.setdefault("enterprise_code", None)
        score.add(stem, truth, summarize(extract_fields(pages)), item["text"])
    return score


def run_generated(n: int, seed: int, noisy: bool) -> Score:
    score = Score()
    for i, (pages, truth) in enumerate(generate(n, seed, noisy)):
        score.add(f"gen{i}", truth, summarize(extract_fields(pages)), "\n".join(pages))
    return score


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    ap.add_argument("--text-source", nargs="+", default=["truth"], metavar=("truth|ocr-json", "DIR"))
    ap.add_argument("--generated", type=int, default=800, help="generated files (0: none)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--show-errors", action="store_true")
    args = ap.parse_args(argv)
    source, ocr_dir = args.text_source[0], None
    if source == "ocr-json":
        if len(args.text_source) != 2:
            ap.error("--text-source ocr-json needs a directory")
        ocr_dir = Path(args.text_source[1])
    elif source != "truth" or len(args.text_source) != 1:
        ap.error("--text-source is 'truth' or 'ocr-json DIR'")
    scores = []
    if (args.samples / "truth.json").exists():
        scores.append((f"samples ({source}, {args.samples})", run_samples(args.samples, source, ocr_dir)))
    if args.generated:
        scores.append(
            (f"generated clean (n={args.generated}, seed={args.seed})", run_generated(args.generated, args.seed, False))
        )
        scores.append(
            (
                f"generated with OCR digit noise (n={args.generated}, seed={args.seed + 1})",
                run_generated(args.generated, args.seed + 1, True),
            )
        )
    for title, score in scores:
        print(score.table(title))
        if args.show_errors:
            for line in score.errors[:60]:
                print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
