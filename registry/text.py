"""Vietnamese text helpers: NFC normalisation and diacritic-free search keys."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(value: str | None) -> str | None:
    """Compose Vietnamese text (keyboards send NFC or NFD) and trim the spaces around it."""
    if value is None:
        return None
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


_INLINE_SPACES = re.compile(r"[ \t\u00a0]+")


def nfc_multiline(value: str | None) -> str | None:
    """Like `nfc` but keeps line breaks (text areas): spaces are folded within each line."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_INLINE_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines).strip()


def fold(value: str | None) -> str:
    """A search key: lower case, no diacritics, đ → d, single spaces ("Trường" → "truong")."""
    if not value:
        return ""
    text = unicodedata.normalize("NFD", value.lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = text.replace("đ", "d")
    return _SPACES.sub(" ", text).strip()


def like_pattern(query: str) -> str:
    """A LIKE pattern on a folded column for a user's query, with LIKE's wildcards escaped."""
    folded = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{folded}%"
