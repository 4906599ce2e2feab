"""Text from outside may not hold NUL (U+0000): refused where it arrives, with one code.

PostgreSQL's text types cannot store the character at all (the insert fails, a 500 after
half the work), SQLite stores it and cuts names short in other tools, and no code, name or
query needs it. The API refuses it in the path, query string and JSON bodies of every
request (``api/inputs.py``); multipart fields, file names and tus metadata are checked where
they are parsed. The error is ``nul_character`` (400), naming the field.
"""

from __future__ import annotations

from sohoa.core.errors import NulCharacter

NUL = "\x00"


def has_nul(value: object) -> bool:
    """Whether ``value`` (a string, or JSON made of dicts, lists and strings) holds a NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def refuse_nul(value: object, field: str) -> None:
    """400 ``nul_character`` when ``value`` holds a NUL."""
    if has_nul(value):
        raise NulCharacter(f"{field} contains a NUL character (U+0000)", detail={"field": field})
