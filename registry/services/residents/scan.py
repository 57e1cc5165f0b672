"""The card scan at a venue's door: read the scanned code, find the card, and record the entry
or exit through the check-in door."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from registry.extensions import db
from registry.models import CardStatus, CheckinPoint, CheckinSource, Commune, ResidentCard
from registry.services.checkins import check_out, open_visit, record_visit
from registry.services.declarations import Declaration
from registry.services.residents.cards import find_card_by_token
from registry.timeutil import local_day_bounds_utc, local_today, to_local


@dataclass
class ScanResult:
    """What the scan station shows: green (ok) or red (refused), a name, a sentence."""

    status: str  # recorded, duplicate, exit, no_entry, revoked, unknown, other_commune, invalid
    ok: bool
    message: str
    name: str | None = None
    card_number: str | None = None
    at: str | None = None

    def as_dict(self) -> dict:
        return {"status": self.status, "ok": self.ok, "message": self.message,
                "name": self.name, "card_number": self.card_number, "at": self.at}


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


def _hhmm(value: datetime) -> str:
    return to_local(value).strftime("%H:%M")


def scan_card(point: CheckinPoint, code: str, *, direction: str, user) -> ScanResult:
    """Record a card scan at `point` (entry or exit) and say what the station should show."""
    commune = db.session.get(Commune, point.venue.commune_id)
    parsed = parse_card_code(code)
    if parsed is None:
        return ScanResult("invalid", False, _("This is not a commune card code."))
    kind, value = parsed
    if kind == "token":
        card = find_card_by_token(value)
    else:
        card = db.session.scalar(select(ResidentCard).where(
            ResidentCard.commune_id == commune.id, ResidentCard.number == value))
    if card is None:
        return ScanResult("unknown", False, _("Unknown card: it is not in the register."))
    if card.commune_id != commune.id:
        return ScanResult("other_commune", False,
                          _("This card was issued by another commune: take a declaration."))
    resident = card.resident
    if card.status == CardStatus.REVOKED:
        return ScanResult("revoked", False, _(
            "Card %(number)s was revoked: do not accept it; the holder should ask the commune "
            "for a new card.", number=card.number), name=resident.full_name,
            card_number=card.number)
    base = {"name": resident.full_name, "card_number": card.number}
    if direction == "exit":
        day_start, _day_end = local_day_bounds_utc(local_today())
        visit = open_visit(point, since=day_start, resident_id=resident.id)
        if visit is None:
            return ScanResult("no_entry", False, _(
                "No entry of this card here today: nothing recorded. Switch to entry if the "
                "person is coming in."), **base)
        check_out(visit)
        return ScanResult("exit", True, _("Exit recorded."), at=_hhmm(visit.checked_out_at),
                          **base)
    village = resident.village.name if resident.village else None
    declaration = Declaration(
        full_name=resident.full_name, birth_year=resident.birth_year, sex=resident.sex,
        id_number=resident.id_number, phone=resident.phone, province=commune.province_name,
        ward=commune.name,
        address=", ".join(p for p in (resident.address, village) if p) or None)
    visit = record_visit(point, CheckinSource.CARD_SCAN, declaration,
                         merge_minutes=commune.checkin_merge_minutes or 0, resident=resident,
                         card=card, entered_by=user)
    at = _hhmm(visit.checkin.checked_in_at)
    if visit.merged:
        return ScanResult("duplicate", True, _(
            "Already recorded at %(time)s: not counted again.", time=at), at=at, **base)
    return ScanResult("recorded", True, _("Entry recorded."), at=at, **base)
