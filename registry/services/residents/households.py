"""Households (hộ gia đình) of the resident register: a household number shared by its members,
one of them the head (chủ hộ), as the commune's household register has them. A household lets
a family with one card check in together at the scan station."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from registry.extensions import db
from registry.models import Resident
from registry.text import fold, nfc

# The relation that makes a member the head of the household, folded ("Chủ hộ", "chu ho").
HEAD_RELATION = "chu ho"
HEAD_WORD = "Chủ hộ"


def clean_household_number(text: str | None) -> str | None:
    """A household number as stored: trimmed, inner spaces dropped, letters in capitals."""
    value = re.sub(r"\s+", "", nfc(text) or "").upper()
    return value or None


def is_head_relation(relation: str | None) -> bool:
    """Whether a relation to the head, as written, names the head themselves."""
    return fold(relation or "") == HEAD_RELATION


def household_head(commune_id: int, number: str | None,
                   exclude_id: int | None = None) -> Resident | None:
    """The head of the household `number` in the register (another resident than
    `exclude_id`), if it has one."""
    if not number:
        return None
    stmt = select(Resident).where(Resident.commune_id == commune_id,
                                  Resident.household_number == number,
                                  Resident.is_household_head.is_(True))
    if exclude_id is not None:
        stmt = stmt.where(Resident.id != exclude_id)
    return db.session.scalars(stmt.order_by(Resident.id).limit(1)).first()


def household_members(resident: Resident) -> list[Resident]:
    """The other members of the resident's household: the head first, then by year of birth."""
    if not resident.household_number:
        return []
    return list(db.session.scalars(
        select(Resident).options(selectinload(Resident.cards), selectinload(Resident.village))
        .where(Resident.commune_id == resident.commune_id,
               Resident.household_number == resident.household_number,
               Resident.id != resident.id)
        .order_by(Resident.is_household_head.desc(), Resident.birth_year, Resident.id)))


def heads_by_number(commune_id: int) -> dict[str, Resident]:
    """Each household number of the commune that has a head, with that head (for imports)."""
    return {r.household_number: r for r in db.session.scalars(
        select(Resident).where(Resident.commune_id == commune_id,
                               Resident.is_household_head.is_(True),
                               Resident.household_number.is_not(None)))}
