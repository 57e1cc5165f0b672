"""Disease-control cards: numbers, issue and reissue, revocation, choosing whom to print, the
card's public address; what tracing and the dashboard ask of cards."""
from __future__ import annotations

import re
from datetime import date

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import Integer, and_, cast, func, insert, or_, select, update
from sqlalchemy.orm import selectinload

from registry.extensions import db
from registry.idnumbers import ID_NUMBER
from registry.models import CardStatus, Checkin, Resident, ResidentCard
from registry.services.audit import record_event
from registry.services.residents.register import has_valid_card
from registry.text import nfc
from registry.timeutil import local_day_bounds_utc, utcnow

# Above this many cards a sheet is printed by a background job instead of in the request.
DIRECT_PRINT_LIMIT = 20


def _next_card_number(commune_id: int) -> int:
    current = db.session.scalar(select(func.max(cast(ResidentCard.number, Integer)))
                                .where(ResidentCard.commune_id == commune_id))
    return int(current) + 1 if current else 1


def issue_card(resident: Resident, user, *, number: int | None = None) -> ResidentCard:
    """Give a resident a new card; any card they hold is revoked first (a reissue)."""
    old = resident.active_card
    if old is not None:
        revoke_card(old, user, reason=_("Reissued"))
    seq = number or _next_card_number(resident.commune_id)
    card = ResidentCard(commune_id=resident.commune_id, resident=resident, number=f"{seq:06d}",
                        issued_by_id=user.id, issued_at=utcnow())
    db.session.add(card)
    db.session.flush()
    record_event("issue_card", resident, user=user,
                 details={"card": card.number, "replaces": old.number if old else None})
    return card


def revoke_card(card: ResidentCard, user, *, reason: str | None = None) -> None:
    """Revoke a card (lost, damaged, reissued): scanning it shows red from now on."""
    if card.status == CardStatus.REVOKED:
        return
    card.status = CardStatus.REVOKED
    card.revoked_at = utcnow()
    card.revoked_by_id = user.id
    card.revoke_reason = (nfc(reason) or None) if reason else None
    db.session.flush()
    record_event("revoke_card", card.resident, user=user,
                 details={"card": card.number}, reason=card.revoke_reason)


def split_number_list(text: str) -> list[str]:
    """Card or ID numbers typed one per line or separated by commas. Spaces inside an ID number
    are allowed ("038 080 001 111"); numbers separated only by spaces are told apart by joining
    the groups that make a whole ID number."""
    items = []
    for line in re.split(r"[\n,;]+", text):
        parts = [re.sub(r"[.-]", "", p).upper() for p in line.split()]
        i = 0
        while i < len(parts):
            for j in range(len(parts), i, -1):
                joined = "".join(parts[i:j])
                if j == i + 1 or ID_NUMBER.match(joined):
                    items.append(joined)
                    i = j
                    break
    return items


def resident_ids_for_print(commune_id: int, scope: str, *, village_id: int | None = None,
                           numbers: str | None = None, selected: list[int] | None = None
                           ) -> list[int]:
    """The residents chosen for printing: a village, everyone without a valid card, a typed
    list of card or ID numbers, or the residents ticked in the register."""
    stmt = select(Resident.id).where(Resident.commune_id == commune_id)
    if scope == "village":
        stmt = stmt.where(Resident.village_id == village_id)
    elif scope == "without":
        stmt = stmt.where(~has_valid_card())
    elif scope == "list":
        items = split_number_list(numbers or "")
        card_numbers = {re.sub(r"\D", "", i).zfill(6) for i in items if re.sub(r"\D", "", i)}
        id_numbers = {re.sub(r"[\s.-]", "", i).upper() for i in items}
        stmt = stmt.where(or_(
            Resident.id_number.in_(id_numbers),
            Resident.id.in_(select(ResidentCard.resident_id).where(
                ResidentCard.commune_id == commune_id, ResidentCard.number.in_(card_numbers)))))
    elif scope == "selected":
        stmt = stmt.where(Resident.id.in_(selected or []))
    else:
        return []
    return list(db.session.scalars(stmt))


def _chunks(ids: list[int], size: int = 500):
    # IN lists in slices: a commune has tens of thousands of residents, more than SQLite
    # accepts as bound parameters in one statement.
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def issue_missing_cards(commune_id: int, user, resident_ids: list[int]) -> int:
    """Issue a card to each of these residents without a valid one; returns how many."""
    residents = []
    for chunk in _chunks(resident_ids):
        residents += db.session.scalars(
            select(Resident.id).where(Resident.commune_id == commune_id,
                                      Resident.id.in_(chunk), ~has_valid_card()))
    residents.sort()
    seq = _next_card_number(commune_id)
    now = utcnow()
    if residents:
        # One bulk INSERT (thousands of cards at once); tokens come from the column default.
        db.session.execute(insert(ResidentCard), [
            {"commune_id": commune_id, "resident_id": resident_id,
             "number": f"{seq + offset:06d}", "issued_by_id": user.id, "issued_at": now,
             "status": CardStatus.ACTIVE}
            for offset, resident_id in enumerate(residents)])
        db.session.expire_all()  # residents' card lists are stale now
        record_event("issue_cards", object_type="resident_cards", user=user,
                     commune_id=commune_id, details={"count": len(residents)})
    return len(residents)


def active_card_ids(commune_id: int, resident_ids: list[int]) -> list[int]:
    """The valid cards of these residents, in print order (village, then name)."""
    rows = []
    for chunk in _chunks(resident_ids):
        rows += db.session.execute(
            select(Resident.village_id, Resident.search_name, Resident.id, ResidentCard.id)
            .join(ResidentCard, ResidentCard.resident_id == Resident.id)
            .where(ResidentCard.commune_id == commune_id, Resident.id.in_(chunk),
                   ResidentCard.status == CardStatus.ACTIVE)).all()
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return [r[3] for r in rows]


def mark_printed(commune_id: int, resident_ids: list[int]) -> None:
    """Note the print time on the valid cards of these residents."""
    now = utcnow()
    for chunk in _chunks(resident_ids):
        db.session.execute(
            update(ResidentCard).where(ResidentCard.commune_id == commune_id,
                                       ResidentCard.status == CardStatus.ACTIVE,
                                       ResidentCard.resident_id.in_(chunk))
            .values(printed_at=now).execution_options(synchronize_session=False))


def card_url(card: ResidentCard) -> str:
    """What the card's QR holds: a public page that shows no personal data."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + f"/the/{card.token}"


def find_card_by_token(token: str) -> ResidentCard | None:
    """The card with this token, in any commune."""
    return db.session.scalar(select(ResidentCard).where(ResidentCard.token == token))


def load_cards(card_ids: list[int]) -> list[ResidentCard]:
    """The cards in the order given, with resident and village loaded."""
    cards = db.session.scalars(
        select(ResidentCard).where(ResidentCard.id.in_(card_ids))
        .options(selectinload(ResidentCard.resident).selectinload(Resident.village))).all()
    by_id = {c.id: c for c in cards}
    return [by_id[i] for i in card_ids if i in by_id]


def checkin_ids_for_card(commune_id: int, card_number: str) -> set[int]:
    """All check-ins of the resident holding (or having held) this card, for tracing."""
    number = re.sub(r"\D", "", card_number or "").zfill(6)
    resident_id = db.session.scalar(select(ResidentCard.resident_id).where(
        ResidentCard.commune_id == commune_id, ResidentCard.number == number))
    if resident_id is None:
        return set()
    return set(db.session.scalars(select(Checkin.id).where(
        Checkin.commune_id == commune_id, Checkin.resident_id == resident_id)))


def dashboard_figures(commune_id: int, start_day: date, end_day: date) -> list[dict]:
    """Residents holding a valid card now, and cards issued from start_day to end_day."""
    holders = db.session.scalar(
        select(func.count(func.distinct(ResidentCard.resident_id)))
        .where(ResidentCard.commune_id == commune_id, ResidentCard.status == CardStatus.ACTIVE))
    start, _end = local_day_bounds_utc(start_day)
    _start, end = local_day_bounds_utc(end_day)
    issued = db.session.scalar(
        select(func.count(ResidentCard.id))
        .where(ResidentCard.commune_id == commune_id,
               and_(ResidentCard.issued_at >= start, ResidentCard.issued_at < end)))
    return [
        {"key": "residents_with_card", "label": _("Residents holding a valid card"),
         "value": holders or 0, "url": url_for("residents.index", card="valid")},
        {"key": "cards_issued", "label": _("Cards issued in the period"),
         "value": issued or 0, "url": url_for("residents.index")},
    ]
