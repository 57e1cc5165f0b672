"""The resident register: search and filters, adding and editing residents, an import's rows
written, and reading a year or date of birth."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from registry.extensions import db
from registry.models import CardStatus, Resident, ResidentCard
from registry.services.audit import record_event
from registry.services.imports import ImportResult
from registry.services.residents.households import clean_household_number, is_head_relation
from registry.text import fold, like_pattern, nfc
from registry.timeutil import local_today

MIN_BIRTH_YEAR = 1900
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S")


@dataclass
class ResidentFilter:
    """What the register list is narrowed to."""

    query: str = ""
    village_id: int | None = None
    card: str | None = None  # "valid", "none" (no valid card), "revoked" (has a revoked card)


def has_valid_card():
    """An EXISTS condition: the resident holds a valid card."""
    return exists().where(ResidentCard.resident_id == Resident.id,
                          ResidentCard.status == CardStatus.ACTIVE)


def resident_query(commune_id: int, flt: ResidentFilter):
    """Residents of the commune matching the filter, by village then name."""
    stmt = select(Resident).where(Resident.commune_id == commune_id)
    if flt.query:
        pattern = like_pattern(flt.query)
        digits = re.sub(r"\D", "", flt.query)
        conditions = [Resident.search_name.like(pattern, escape="\\"),
                      # A household number finds the whole household.
                      Resident.household_number == clean_household_number(flt.query)]
        if len(digits) >= 4:
            # An ID number, a phone (0912… or +84912…) or a card number.
            conditions.append(Resident.id_number.like(f"%{digits}%"))
            conditions.append(Resident.phone.like(f"%{digits.lstrip('0')}%"))
            conditions.append(exists().where(ResidentCard.resident_id == Resident.id,
                                             ResidentCard.number == digits.zfill(6)))
        stmt = stmt.where(or_(*conditions))
    if flt.village_id:
        stmt = stmt.where(Resident.village_id == flt.village_id)
    if flt.card == "valid":
        stmt = stmt.where(has_valid_card())
    elif flt.card == "none":
        stmt = stmt.where(~has_valid_card())
    elif flt.card == "revoked":
        stmt = stmt.where(exists().where(ResidentCard.resident_id == Resident.id,
                                         ResidentCard.status == CardStatus.REVOKED))
    return stmt.options(selectinload(Resident.cards).selectinload(ResidentCard.issued_by),
                        selectinload(Resident.village)) \
        .order_by(Resident.village_id, Resident.search_name, Resident.id)


def count_residents(commune_id: int, flt: ResidentFilter) -> int:
    """How many residents match the filter."""
    inner = resident_query(commune_id, flt).order_by(None).options()
    return db.session.scalar(select(func.count()).select_from(
        inner.with_only_columns(Resident.id).subquery()))


FIELDS = ("full_name", "birth_year", "birth_date", "sex", "id_number", "phone", "village_id",
          "address", "household_number", "household_relation")


def _household(values: dict) -> dict:
    """The household fields cleaned, and whether the relation makes the resident its head."""
    values["household_number"] = clean_household_number(values.get("household_number"))
    values["household_relation"] = nfc(values.get("household_relation")) or None
    values["is_household_head"] = bool(values["household_number"]) and is_head_relation(
        values["household_relation"])
    return values


def add_resident(commune_id: int, user, **values) -> Resident:
    """Add a resident to the register."""
    values = _household({k: values.get(k) for k in FIELDS})
    values["full_name"] = nfc(values["full_name"])
    resident = Resident(commune_id=commune_id, search_name=fold(values["full_name"]),
                        created_by_id=user.id, updated_by_id=user.id, **values)
    db.session.add(resident)
    db.session.flush()
    record_event("create", resident, user=user, details={"full_name": resident.full_name})
    return resident


def update_resident(resident: Resident, user, **values) -> dict:
    """Change a resident's fields; logs and returns {field: [old, new]} of what changed."""
    changes = {}
    values = _household({key: values.get(key) for key in FIELDS})
    for key in (*FIELDS, "is_household_head"):
        new = values.get(key)
        if key == "full_name":
            new = nfc(new)
        old = getattr(resident, key)
        if old != new:
            changes[key] = [old, new]
            setattr(resident, key, new)
    if changes:
        resident.search_name = fold(resident.full_name)
        resident.updated_by_id = user.id
        record_event("update", resident, user=user, details=changes)
    db.session.flush()
    return changes


def parse_birth(text: str) -> tuple[int, date | None] | None:
    """(year, full date or None) from "1980", "05/03/1980" or a spreadsheet date; None if not."""
    text = (text or "").strip()
    if re.fullmatch(r"\d{4}", text):
        year = int(text)
        return (year, None) if MIN_BIRTH_YEAR <= year <= local_today().year else None
    for fmt in _DATE_FORMATS:
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if MIN_BIRTH_YEAR <= day.year and day <= local_today():
            return day.year, day
        return None
    return None


def import_residents(commune_id: int, user, result: ImportResult) -> int:
    """Add every row of a valid import; the caller commits or rolls back as one."""
    if not result.is_valid:
        raise ValueError("import has errors")
    for row in result.rows:
        add_resident(commune_id, user, **{key: row.cleaned.get(key) for key in FIELDS})
    return len(result.rows)
