"""Checking the catalogs: every message of the template translated, none fuzzy."""
from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"


def missing_translations(locale: str) -> list[str]:
    """Messages of messages.pot that the locale's catalog lacks, leaves empty or marks fuzzy."""
    with open(TRANSLATIONS / "messages.pot", "rb") as fh:
        template = read_po(fh)
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale=locale)
    problems = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, message.context)
        if found is None:
            problems.append(f"missing: {message.id!r}")
        elif found.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif isinstance(found.string, tuple) and not all(found.string) or not found.string:
            problems.append(f"untranslated: {message.id!r}")
    return problems
