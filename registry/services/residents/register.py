"""The resident register: search and filters, adding and editing residents, an import's rows
written (new residents added, residents already registered skipped or updated), reading a year
or date of birth, and names written with the usual capitals."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from registry.extensions import db
from registry.models import CardStatus, Resident, ResidentCard
from registry.services.audit import record_event
from registry.services.imports import ImportOutcome, ImportResult
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


def _new_resident(commune_id: int, user, values: dict) -> Resident:
    """A resident built from the fields (cleaned, household worked out), not yet added."""
    values = _household({k: values.get(k) for k in FIELDS})
    values["full_name"] = nfc(values["full_name"])
    return Resident(commune_id=commune_id, search_name=fold(values["full_name"]),
                    created_by_id=user.id, updated_by_id=user.id, **values)


def _record_created(resident: Resident, user) -> None:
    """The audit row of a resident just added (its id known)."""
    record_event("create", resident, user=user, details={"full_name": resident.full_name})


def add_resident(commune_id: int, user, **values) -> Resident:
    """Add a resident to the register."""
    resident = _new_resident(commune_id, user, values)
    db.session.add(resident)
    db.session.flush()
    _record_created(resident, user)
    return resident


def update_resident(resident: Resident, user, *, flush: bool = True, **values) -> dict:
    """Change a resident's fields; logs and returns {field: [old, new]} of what changed
    (`flush=False`: an import flushes all its rows at once)."""
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
    if flush:
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


def usual_capitalisation(name: str | None) -> str | None:
    """A name with a capital at the start of every word, the rest in lower case, as names are
    written: "nguyen van binh" → "Nguyen Van Binh", "NGUYỄN VĂN BÌNH" → "Nguyễn Văn Bình",
    "h'hen niê" → "H'Hen Niê". Diacritics typed stay as typed (none are guessed)."""
    if not name:
        return name

    def word(w: str) -> str:
        # A one-letter prefix with an apostrophe (H'Hen, Y'Nhi) capitalises both parts.
        if len(w) > 2 and w[1] in "'’" and w[0].isalpha():
            return w[0].upper() + w[1] + w[2:].capitalize()
        return "-".join(part.capitalize() for part in w.split("-"))

    return " ".join(word(w) for w in nfc(name).split(" "))


def needs_capitalisation(name: str | None) -> bool:
    """Whether a name was typed all in lower case or all in capitals (and so would be shown
    on the card and the list as nobody writes a name)."""
    text = nfc(name) or ""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 2:
        return False
    return (text == text.lower() or text == text.upper()) and usual_capitalisation(text) != text


@dataclass
class RegisterIndex:
    """The commune's residents by ID number and by name, year of birth and village: how an
    import row finds the resident it stands for."""

    by_id: dict
    by_name: dict

    def match(self, id_number: str | None, full_name: str | None, birth_year: int | None,
              village_id: int | None) -> Resident | None:
        """The registered resident with this ID number, or else with the same name (without
        diacritics or case), year of birth and village and no other ID number."""
        if id_number and id_number in self.by_id:
            return self.by_id[id_number]
        candidate = self.by_name.get((fold(full_name), birth_year, village_id))
        if candidate is not None and (not id_number or candidate.id_number in (None, id_number)):
            return candidate
        return None


def register_index(commune_id: int) -> RegisterIndex:
    """`RegisterIndex` of the commune's register."""
    by_id, by_name = {}, {}
    for resident in db.session.scalars(select(Resident).where(
            Resident.commune_id == commune_id).order_by(Resident.id)):
        if resident.id_number:
            by_id.setdefault(resident.id_number, resident)
        by_name.setdefault((resident.search_name, resident.birth_year, resident.village_id),
                           resident)
    return RegisterIndex(by_id=by_id, by_name=by_name)


def _import_update(resident: Resident, user, cleaned: dict) -> dict:
    """Update a registered resident from an import row: the row's filled cells replace the
    stored values, empty cells keep them; a row with only the year keeps a stored full date of
    that year."""
    values = {key: getattr(resident, key) for key in FIELDS}
    for key in FIELDS:
        if cleaned.get(key) not in (None, ""):
            values[key] = cleaned[key]
    if fold(cleaned.get("full_name")) == resident.search_name:
        # The same name written without its accents ("Tran Thi Binh"): the register's
        # spelling stays.
        values["full_name"] = resident.full_name
    if cleaned.get("birth_year") and not cleaned.get("birth_date") and \
            cleaned["birth_year"] != resident.birth_year:
        values["birth_date"] = None
    return update_resident(resident, user, flush=False, **values)


def import_residents(commune_id: int, user, result: ImportResult, *,
                     update_existing: bool = False) -> ImportOutcome:
    """Add every new row of a valid import; rows matching a registered resident are skipped, or
    update them with `update_existing`. The caller commits or rolls back as one."""
    if not result.is_valid:
        raise ValueError("import has errors")
    outcome = ImportOutcome()
    # The registered residents the rows match, in one query per thousand (not one per row).
    matched = [row.existing_id for row in result.data_rows if row.existing_id is not None]
    loaded = []  # held here: the session's identity map keeps only weak references
    if update_existing:
        for i in range(0, len(matched), 1000):
            loaded += db.session.scalars(
                select(Resident).where(Resident.id.in_(matched[i:i + 1000]))).all()
    added = []
    with db.session.no_autoflush:  # the rows are written together below, not one by one
        for row in result.data_rows:
            if row.existing_id is None:
                added.append(_new_resident(commune_id, user,
                                           {key: row.cleaned.get(key) for key in FIELDS}))
                continue
            resident = db.session.get(Resident, row.existing_id)
            if not update_existing or resident is None or resident.commune_id != commune_id:
                outcome.skipped += 1
                continue
            changes = _import_update(resident, user, row.cleaned)
            outcome.updated += bool(changes)
            outcome.skipped += not changes
    # One flush inserts the new residents in batches (their ids come back), then their audit
    # rows, in the file's order.
    db.session.add_all(added)
    db.session.flush()
    for resident in added:
        _record_created(resident, user)
    outcome.added = len(added)
    db.session.flush()
    return outcome
