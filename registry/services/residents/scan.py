"""The card scan at a venue's door: read the scanned code, find the card, and record the entry
or exit through the check-in door; the household members who came along with the card holder.

Scans a station stored while offline arrive later with their own time and id
(services/residents/offline.py); they go through `scan_card` too, at their own time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from registry.extensions import db
from registry.models import (CardStatus, Checkin, CheckinPoint, CheckinSource, Commune, Resident,
                             ResidentCard, TimePrecision)
from registry.services.checkins import (OPEN_VISIT_HOURS, companions_of, open_visit,
                                        record_companion_visit, record_visit)
from registry.services.checkout import check_out_with_household
from registry.services.declarations import Declaration
from registry.services.residents.cards import find_card_by_token
from registry.services.residents.households import household_members
from registry.timeutil import to_local, utcnow

# How the station colours an answer: a new visit, a repeat within the merge window, an exit,
# and a refusal each look different at a glance.
KINDS = {"recorded": "ok", "duplicate": "repeat", "exit": "exit"}
# A household is offered for the card holder's visit this long after the scan.
HOUSEHOLD_WINDOW = timedelta(hours=2)


@dataclass
class ScanResult:
    """What the scan station shows: the colour, a name with birth year and village (namesakes
    told apart), a sentence, the local time; for an entry, the household to tick."""

    status: str  # recorded, duplicate, exit, no_entry, revoked, unknown, other_commune, invalid
    ok: bool
    message: str
    name: str | None = None
    card_number: str | None = None
    at: str | None = None
    birth_year: int | None = None
    village: str | None = None
    checkin_id: int | None = None
    household: list[dict] = field(default_factory=list)
    card_id: int | None = None  # the card scanned, kept with a station's scan (not shown)

    @property
    def kind(self) -> str:
        """ok (a new visit), repeat, exit, or bad (refused)."""
        return KINDS.get(self.status, "ok" if self.ok else "bad")

    def as_dict(self) -> dict:
        """The answer as the station's script reads it (JSON)."""
        return {"status": self.status, "ok": self.ok, "kind": self.kind,
                "message": self.message, "name": self.name, "card_number": self.card_number,
                "at": self.at, "birth_year": self.birth_year, "village": self.village,
                "checkin_id": self.checkin_id, "household": self.household}


_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def parse_card_code(code: str) -> tuple[str, str] | None:
    """("token", t) for a scanned QR (URL or bare token), ("number", n) for a typed number."""
    code = (code or "").strip()
    if not code or len(code) > 300:
        return None
    if "/the/" in code:
        token = code.rsplit("/the/", 1)[1].split("?")[0].split("#")[0].strip("/")
        return ("token", token) if _TOKEN.match(token) else None
    digits = re.sub(r"[\s.-]", "", code)
    if digits.isdigit() and len(digits) <= 12:
        return "number", digits.zfill(6)
    if _TOKEN.match(code):
        return "token", code
    return None


def hhmm(value: datetime) -> str:
    """A stored UTC time as the local (Vietnamese) hour and minute the station shows."""
    return to_local(value).strftime("%H:%M")


def find_card(commune: Commune, code: str) -> tuple[ResidentCard | None, ScanResult | None]:
    """The card a scanned code names, or the refusal to show."""
    parsed = parse_card_code(code)
    if parsed is None:
        return None, ScanResult("invalid", False, _("This is not a commune card code."))
    kind, value = parsed
    if kind == "token":
        card = find_card_by_token(value)
    else:
        card = db.session.scalar(select(ResidentCard).where(
            ResidentCard.commune_id == commune.id, ResidentCard.number == value))
    if card is None:
        return None, ScanResult("unknown", False,
                                _("Unknown card: it is not in the register."))
    if card.commune_id != commune.id:
        return None, ScanResult("other_commune", False, _(
            "This card was issued by another commune: take a declaration."))
    if card.status == CardStatus.REVOKED:
        return card, ScanResult("revoked", False, _(
            "Card %(number)s was revoked: do not accept it; the holder should ask the commune "
            "for a new card.", number=card.number), **_who(card.resident, card))
    return card, None


def _who(resident: Resident, card: ResidentCard | None = None) -> dict:
    """Name, birth year and village: enough to tell namesakes apart at the door."""
    return {"name": resident.full_name, "birth_year": resident.birth_year,
            "village": resident.village.name if resident.village else None,
            "card_number": card.number if card is not None else None,
            "card_id": card.id if card is not None else None}


def resident_declaration(resident: Resident, commune: Commune) -> Declaration:
    """What a card scan declares for its holder (or a household member): the register's
    details."""
    village = resident.village.name if resident.village else None
    return Declaration(
        full_name=resident.full_name, birth_year=resident.birth_year, sex=resident.sex,
        id_number=resident.id_number, phone=resident.phone, province=commune.province_name,
        ward=commune.name,
        address=", ".join(p for p in (resident.address, village) if p) or None)


def scan_card(point: CheckinPoint, code: str, *, direction: str, user,
              at: datetime | None = None,
              precision: TimePrecision = TimePrecision.EXACT) -> ScanResult:
    """Record a card scan at `point` (entry or exit), now or at the scan's own time `at` (sent
    late by an offline station), and say what the station should show."""
    commune = db.session.get(Commune, point.venue.commune_id)
    card, refusal = find_card(commune, code)
    if refusal is not None:
        return refusal
    resident = card.resident
    base = _who(resident, card)
    moment = at or utcnow()
    if direction == "exit":
        # The visit still open from the last hours, as a phone's check-out finds its own: a
        # visit that began before midnight (a night market, a hospital) ends after it.
        visit = open_visit(point, since=moment - timedelta(hours=OPEN_VISIT_HOURS),
                           resident_id=resident.id)
        if visit is None or visit.checked_in_at > moment:
            return ScanResult("no_entry", False, _(
                "No entry of this card here today: nothing recorded. Switch to entry if the "
                "person is coming in."), **base)
        check_out_with_household(visit, moment)
        return ScanResult("exit", True, _("Exit recorded."), at=hhmm(visit.checked_out_at),
                          checkin_id=visit.id, **base)
    visit = record_visit(point, CheckinSource.CARD_SCAN, resident_declaration(resident, commune),
                         merge_minutes=commune.checkin_merge_minutes or 0, resident=resident,
                         card=card, entered_by=user, at=at, precision=precision)
    checkin = visit.checkin
    time_text = hhmm(checkin.checked_in_at)
    household = household_choices(resident, checkin)
    if visit.merged:
        return ScanResult("duplicate", True, _(
            "Already recorded at %(time)s: not counted again.", time=time_text), at=time_text,
            checkin_id=checkin.id, household=household, **base)
    return ScanResult("recorded", True, _("Entry recorded."), at=time_text,
                      checkin_id=checkin.id, household=household, **base)


def household_choices(resident: Resident, visit: Checkin) -> list[dict]:
    """The card holder's household members to tick, marking those already recorded with this
    visit and those holding a card of their own."""
    came = {c.resident_id for c in companions_of(visit)}
    return [{"id": m.id, "name": m.full_name, "birth_year": m.birth_year,
             "relation": m.household_relation, "has_card": m.active_card is not None,
             "came": m.id in came} for m in household_members(resident)]


def record_household(point: CheckinPoint, checkin_id: int | None, member_ids: list[int], *,
                     user) -> list[ScanResult] | None:
    """Record the ticked household members as having come along with the card holder's visit
    `checkin_id` at `point`: each a card-scan visit of their own, linked to it. None when that
    visit cannot take companions (another point, not a card scan, too old)."""
    visit = db.session.get(Checkin, checkin_id) if checkin_id else None
    if (visit is None or visit.point_id != point.id or visit.source != CheckinSource.CARD_SCAN
            or visit.resident_id is None
            or visit.checked_in_at < utcnow() - HOUSEHOLD_WINDOW):
        return None
    holder = db.session.get(Resident, visit.resident_id)
    commune = db.session.get(Commune, point.venue.commune_id)
    members = {m.id: m for m in household_members(holder)}
    results = []
    for member_id in dict.fromkeys(member_ids):
        member = members.get(member_id)
        if member is None:
            continue
        recorded = record_companion_visit(
            point, CheckinSource.CARD_SCAN, resident_declaration(member, commune), visit,
            merge_minutes=commune.checkin_merge_minutes or 0, resident=member, entered_by=user,
            at=visit.checked_in_at)
        results.append(ScanResult(
            "duplicate" if recorded.merged else "recorded", True,
            _("With the household of %(name)s.", name=holder.full_name),
            at=hhmm(recorded.checkin.checked_in_at), checkin_id=recorded.checkin.id,
            **_who(member)))
    return results
