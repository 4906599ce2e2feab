"""Vietnamese text normalization shared by ingest, extraction and both search backends.

- ``nfc``: every string is stored and queried in NFC.
- ``canonical_tones``: one tone-mark placement per syllable (old style: ``hòa``, ``khỏe``,
  ``thúy``), so ``hoà`` and ``hòa`` compare equal after NFC.
- ``fold``: diacritics removed and ``đ`` mapped to ``d`` (no Unicode decomposition does it),
  character for character, so offsets in the folded text are offsets in the original.
- ``forms``: ``normalize`` and ``folded`` of a whole page at once, for indexing.

Speed matters here: (re)indexing a page runs every function above over its whole text, and
they were two thirds of indexing CPU. ``fold`` decomposes and strips marks in C (one
``unicodedata`` call, one regex) instead of one Python step per character; tone placement
and folding are cached per whitespace-separated token, since pages repeat a small vocabulary.
``bench/search/scale.py --forms`` times them against the per-character versions.
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
_MARKS = re.compile("[\u0300-\u036f]+")  # combining diacritical marks
_TOKEN_CACHE_SIZE = 200_000
_tokens: dict[str, tuple[str, str, str]] = {}  # token → (canonical_tones, normalize, folded)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Remove every diacritic and map đ→d, keeping the string's length (per NFC char):
    each character becomes the first character of its canonical decomposition."""
    text = nfc(text)
    stripped = _MARKS.sub("", unicodedata.normalize("NFD", text))
    # One character out per character in, unless the text holds marks of its own or a
    # decomposition that is not "letter + marks" (Hangul…): then the slow, exact way.
    if len(stripped) != len(text) or _MARKS.search(text):
        stripped = "".join(unicodedata.normalize("NFD", ch)[0] for ch in text)
    return _strip_d(stripped)


def _strip_d(text: str) -> str:
    """đ→d, Đ/Ð→D: three ``replace`` scans are far faster than ``translate`` on non-ASCII text."""
    return text.replace("đ", "d").replace("Đ", "D").replace("Ð", "D")


def canonical_tones(text: str) -> str:
    """Move each syllable's tone mark to its canonical vowel (old-style placement)."""
    return _map_tokens(nfc(text), 0)


def normalize(text: str) -> str:
    """The exact form used for matching: NFC, canonical tones, lower case."""
    return _map_tokens(nfc(text), 1)


def folded(text: str) -> str:
    """The folded form used for recall: ``normalize`` then ``fold``."""
    return _map_tokens(nfc(text), 2)


def forms(text: str) -> tuple[str, str]:
    """``(normalize(text), folded(text))`` in one pass over the text."""
    get = _tokens.get
    tokens = [get(t) or _token(t) for t in nfc(text).replace("\n", " \n ").split(" ")]
    return _unsplit([t[1] for t in tokens]), _unsplit([t[2] for t in tokens])


def _map_tokens(text: str, which: int) -> str:
    """Join the ``which`` form of every space- and newline-separated token of NFC ``text``."""
    get = _tokens.get
    return _unsplit([(get(t) or _token(t))[which] for t in text.replace("\n", " \n ").split(" ")])


def _unsplit(tokens: list[str]) -> str:
    return " ".join(tokens).replace(" \n ", "\n")


def _token(token: str) -> tuple[str, str, str]:
    cached = _tokens.get(token)
    if cached is None:
        tones = _WORD.sub(lambda m: _canonical_syllable(m.group(0)), token)
        lower = tones.lower()
        cached = (tones, lower, fold(lower))
        if len(_tokens) >= _TOKEN_CACHE_SIZE:  # identifiers and amounts keep coming: start over
            _tokens.clear()
        _tokens[token] = cached
    return cached


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
