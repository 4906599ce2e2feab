"""Vietnamese text normalization shared by ingest, extraction and both search backends.

- ``nfc``: every string is stored and queried in NFC.
- ``canonical_tones``: one tone-mark placement per syllable (old style: ``hòa``, ``khỏe``,
  ``thúy``), so ``hoà`` and ``hòa`` compare equal after NFC.
- ``fold``: diacritics removed and ``đ`` mapped to ``d`` (no Unicode decomposition does it),
  character for character, so offsets in the folded text are offsets in the original.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng
_VOWELS = set("aăâeêioôơuưy")
_HAT_VOWELS = set("ăâêôơư")  # a mark placed on these wins
_WORD = re.compile(r"\w+", re.UNICODE)
_D_MAP = str.maketrans({"đ": "d", "Đ": "D", "Ð": "D"})


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Remove every diacritic and map đ→d, keeping the string's length (per NFC char)."""
    out = []
    for ch in nfc(text):
        base = unicodedata.normalize("NFD", ch)[0]
        out.append(base)
    return "".join(out).translate(_D_MAP)


def canonical_tones(text: str) -> str:
    """Move each syllable's tone mark to its canonical vowel (old-style placement)."""
    return _WORD.sub(lambda m: _canonical_syllable(m.group(0)), nfc(text))


def normalize(text: str) -> str:
    """The exact form used for matching: NFC, canonical tones, lower case."""
    return canonical_tones(text).lower()


def folded(text: str) -> str:
    """The folded form used for recall: ``normalize`` then ``fold``."""
    return fold(normalize(text))


@lru_cache(maxsize=200_000)
def _canonical_syllable(word: str) -> str:
    """Cached: pages repeat a small vocabulary, and this is the hot path of (re)indexing."""
    letters = [unicodedata.normalize("NFD", ch) for ch in word]
    tone = None
    bases: list[str] = []  # each NFC letter without its tone mark
    for decomposed in letters:
        marks = [c for c in decomposed if c in TONE_MARKS]
        if marks:
            if tone is not None:  # two tone marks: not a Vietnamese syllable, leave it
                return word
            tone = marks[0]
        bases.append(unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS)))
    if tone is None:
        return word
    target = _tone_position([b.lower() for b in bases])
    if target is None:
        return word
    bases[target] = unicodedata.normalize("NFC", bases[target] + tone)
    return "".join(bases)


def _tone_position(lower: list[str]) -> int | None:
    """Index of the letter that carries the tone mark, or None if there is no vowel."""
    vowel_idx = [i for i, ch in enumerate(lower) if ch in _VOWELS]
    if not vowel_idx:
        return None
    start = vowel_idx[0]
    # "gi" and "qu": the i/u belong to the initial consonant when another vowel follows.
    if (start > 0 and (lower[start - 1], lower[start]) in {("g", "i"), ("q", "u")}
            and start + 1 < len(lower) and lower[start + 1] in _VOWELS):
        start += 1
    cluster = []
    i = start
    while i < len(lower) and lower[i] in _VOWELS:
        cluster.append(i)
        i += 1
    if not cluster:
        return None
    has_final_consonant = i < len(lower)
    for idx in reversed(cluster):  # ươ: the mark sits on ơ
        if lower[idx] in _HAT_VOWELS:
            return idx
    if has_final_consonant or len(cluster) == 1:
        return cluster[-1]
    if len(cluster) == 3:
        return cluster[1]
    return cluster[0]  # open two-vowel rhyme: hòa, khỏe, thúy, mùa
