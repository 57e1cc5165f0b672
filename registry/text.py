"""Vietnamese text helpers: NFC normalisation, control characters removed, diacritic-free
search keys."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# C0 control characters except tab, line feed and carriage return (which the callers fold or
# keep), and DEL. A NUL cannot be stored in PostgreSQL text and no spreadsheet accepts it; the
# others are invisible and only ever come from a paste or a script.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069): they
# reorder what is shown ("Nguyễn" typed with an override can print as a different name on a
# poster or a list). Vietnamese never needs them.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def strip_controls(value: str) -> str:
    """`value` without C0 control characters (tab and line breaks stay) and DEL."""
    return _CONTROLS.sub("", value)


def clean_text(value: str) -> str:
    """`value` without control characters and bidirectional controls (what every text field
    stores)."""
    return _BIDI.sub("", _CONTROLS.sub("", value))


def nfc(value: str | None) -> str | None:
    """Compose Vietnamese text (keyboards send NFC or NFD), drop control and bidirectional
    characters, and fold and trim the spaces."""
    if value is None:
        return None
    return _SPACES.sub(" ", unicodedata.normalize("NFC", clean_text(value))).strip()


_INLINE_SPACES = re.compile(r"[ \t\u00a0]+")


def nfc_multiline(value: str | None) -> str | None:
    """Like `nfc` but keeps line breaks (text areas): spaces are folded within each line."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", clean_text(value))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
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
