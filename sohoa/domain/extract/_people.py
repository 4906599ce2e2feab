"""People on a page: names with their role, personal IDs, birth dates and sex.

Labels say the role (``Họ, chữ đệm, tên người mẹ`` → mother); an ID, birth date or sex
belongs to the nearest name printed before it. Matching runs on the folded page text, so
labels split across lines (``số định danh cá\\nnhân``) and tone-mark OCR slips still match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sohoa.domain.extract._text import title_case_name

_NAME_LABEL = re.compile(
    r"(?<![\w])(?:ho\s*(?:,\s*|va\s*)?(?:chu\s*dem\s*,?\s*(?:va\s*)?)?ten|ho\s*ten|ten\s*toi\s*la|"
    r"toi\s*ten\s*la|cap\s*cho)(?P<suffix>[^:\n]{0,45}?)\s*:\s*"
)
_NAME_LABEL_BARE = re.compile(r"(?<![\w])(?:ho\s*(?:,\s*|va\s*)?(?:chu\s*dem\s*,?\s*)?ten)\s+(?=\S)")
_HONORIFIC = re.compile(
    r"(?<![\w])(?P<ctx>de\s*nghi\s*cua\s*|cua\s*|cho\s*(?:ho\s*)?)?(?:ong|ba|cong\s*dan)\s+(?!\w*\s*:)"
)
_ROLE_SUFFIX = (
    ("requester", r"nguoi\s*(?:yeu\s*cau|de\s*nghi|di\s*dang\s*ky|di\s*khai|khai|nop|lam\s*don)|nguoi\s*dung\s*don"),
    ("mother", r"(?:nguoi\s*)?me\b"),
    ("father", r"(?:nguoi\s*)?(?:cha|bo)\b"),
    ("representative", r"dai\s*dien|chu\s*ho|chu\s*doanh\s*nghiep"),
    ("deceased", r"nguoi\s*(?:da\s*)?(?:chet|mat|tu)"),
    ("husband", r"(?:ben\s*)?chong\b"),
    ("wife", r"(?:ben\s*)?vo\b"),
    ("child", r"(?:nguoi\s*duoc\s*khai\s*sinh|con|tre(?:\s*em)?)\b"),
)
# Where a name stops: the next label on the same line.
_STOP = re.compile(
    r"(?:ngay *,? *thang|sinh *ngay|ngay *sinh|nam *sinh|sinh *nam|gioi *tinh|dan *toc|"
    r"quoc *tich|so *(?:dinh|cccd|cmnd|can|ho\b|giay|dien)|noi *(?:sinh|cu|thuong|o|dang)|dia *chi|"
    r"cccd|cmnd|can *cuoc|ma *so|dien *thoai|nghe *nghiep|chuc *vu|tru *quan|ho *khau|"
    r"sinh *\d)"
)
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_HONOR_WORDS = {"ong", "ba", "anh", "chi", "chau", "em", "ong/ba"}
_PLACE_BEFORE = re.compile(r"(?:tinh|xa|huyen|thon|ban|quan|phuong|thi\s*tran|duong|pho|ap|to|cau|cho)\s*$")

CCCD_LABEL = re.compile(
    r"(?<![\w])(?:so\s*dinh\s*danh(?:\s*ca\s*nhan)?|ma\s*dinh\s*danh(?:\s*ca\s*nhan)?|so\s*ddcn|"
    r"(?:so\s*)?(?:the\s*)?can\s*cuoc(?:\s*cong\s*dan)?|so\s*cccd|cccd)"
    r"(?P<suffix>\s*(?:cua\s*)?(?:nguoi\s*)?(?:yeu\s*cau|de\s*nghi|me|cha|bo|dai\s*dien|chu\s*ho|chong|vo|con)\b)?"
    r"(?:\s*so)?\s*[:.]?\s*"
)
CMND_LABEL = re.compile(r"(?<![\w])(?:so\s*)?(?:chung\s*minh\s*nhan\s*dan|cmnd)(?:\s*so)?\s*[:.]?\s*")
DIGITS = re.compile(r"[0-9OoIl|SB]+(?:[ .][0-9OoIl|SB]+)*(?![^\W\d_])")
BIRTH_LABEL = re.compile(
    r"(?<![\w])(?:ngay\s*,?\s*thang\s*,?\s*nam\s*sinh|sinh\s*ngay|ngay\s*sinh|nam\s*sinh|sinh\s*nam)\s*[:.]?\s*"
)
SEX = re.compile(r"(?<![\w])gioi\s*tinh\s*[:.]?\s*(nam|nu)(?![\w])")


@dataclass(frozen=True)
class NameHit:
    start: int
    end: int
    value: str
    role: str | None  # None: the label did not say; the caller decides from the doc type
    labelled: bool


def role_of(suffix: str) -> str | None:
    s = suffix.strip(" ,.")
    for role, pat in _ROLE_SUFFIX:
        if re.search(rf"(?<![\w])(?:{pat})", s):
            return role
    return None


def read_name(text: str, folded: str, pos: int) -> tuple[int, int] | None:
    """Span of a person's name starting at ``pos`` (honorific skipped), or None."""
    words: list[tuple[int, int]] = []
    i = pos
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end < 0 else line_end
    while i < line_end:
        m = _WORD.match(text, i)
        if not m:
            if text[i] == " ":
                i += 1
                continue
            break
        word_f = folded[m.start():m.end()]
        if not words and word_f in _HONOR_WORDS:
            i = m.end()
            if text.startswith("/", i):  # "Ông/Bà"
                i += 1
            continue
        if _STOP.match(folded, m.start()) or not m.group(0)[0].isupper():
            break
        words.append((m.start(), m.end()))
        i = m.end()
        if len(words) == 7:
            break
    if len(words) < 2:
        return None
    return words[0][0], words[-1][1]


def find_names(text: str, folded: str, lo: int, hi: int) -> list[NameHit]:
    """Labelled names, then honorific mentions (``cho hộ ông X``) in ``text[lo:hi]``."""
    hits: list[NameHit] = []
    taken: list[tuple[int, int]] = []
    for pat, labelled in ((_NAME_LABEL, True), (_NAME_LABEL_BARE, True)):
        for m in pat.finditer(folded, lo, hi):
            span = read_name(text, folded, m.end())
            if span is None or any(s <= span[0] < e for s, e in taken):
                continue
            suffix = m.groupdict().get("suffix") or ""
            role = role_of(suffix)
            if folded[m.start():m.start() + 3] == "cap":
                role = role or "subject"
            hits.append(NameHit(span[0], span[1], title_case_name(text[span[0]:span[1]]), role, labelled))
            taken.append(span)
    for m in _HONORIFIC.finditer(folded, lo, hi):
        if _PLACE_BEFORE.search(folded, max(lo, m.start() - 12), m.start()):
            continue
        span = read_name(text, folded, m.end())
        if span is None or any(s <= span[0] < e or s < span[1] <= e for s, e in taken):
            continue
        ctx = (m.group("ctx") or "").replace(" ", "")
        role = "requester" if ctx.startswith("denghi") else "subject"
        hits.append(NameHit(span[0], span[1], title_case_name(text[span[0]:span[1]]), role, False))
        taken.append(span)
    return sorted(hits, key=lambda h: h.start)


def read_digits(text: str, pos: int, gap: int = 4) -> tuple[int, int, str] | None:
    """The digit group within ``gap`` characters after ``pos``: (start, end, raw)."""
    m = DIGITS.search(text, pos, min(len(text), pos + gap + 24))
    if not m or m.start() - pos > gap:
        return None
    return m.start(), m.end(), m.group(0)
