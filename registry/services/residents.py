"""The resident register, disease-control cards, card scans at venues, and card printing jobs."""
from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import segno
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, cast, exists, func, insert, or_, select, update
from sqlalchemy.orm import selectinload

from registry.extensions import db
from registry.jobs import JobContext, JobError, merge_pdf_parts, register_job
from registry.models import (CardStatus, Checkin, CheckinPoint, CheckinSource, Commune, Resident,
                             ResidentCard, Village)
from registry.phones import PhoneError, parse_phone
from registry.services.audit import record_event
from registry.services.checkins import record_checkin
from registry.services.declarations import Declaration
from registry.services.spreadsheets import ImportResult, ImportRow, header_index
from registry.text import fold, like_pattern, nfc
from registry.timeutil import local_day_bounds_utc, local_today, to_local, utcnow

SEXES = ("male", "female", "other")
# What people write in the sex column, folded: Vietnamese and English words.
SEX_WORDS = {"nam": "male", "male": "male", "m": "male", "nu": "female", "female": "female",
             "f": "female", "khac": "other", "other": "other"}
ID_NUMBER = re.compile(r"^(\d{9}|\d{12}|[A-Z]\d{7,8})$")
MIN_BIRTH_YEAR = 1900

# Cards per part of a printing job: 10 A4 sheets, about a second of WeasyPrint each.
CARDS_PER_PART = 100
CARDS_PER_SHEET = 10
# Above this many cards a sheet is printed by a background job instead of in the request.
DIRECT_PRINT_LIMIT = 20


# --- the register ---------------------------------------------------------------------------

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
        conditions = [Resident.search_name.like(pattern, escape="\\")]
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


def villages_for(commune_id: int, active_only: bool = True) -> list[Village]:
    """The commune's villages by name."""
    stmt = select(Village).where(Village.commune_id == commune_id).order_by(Village.name)
    if active_only:
        stmt = stmt.where(Village.is_active.is_(True))
    return list(db.session.scalars(stmt))


FIELDS = ("full_name", "birth_year", "birth_date", "sex", "id_number", "phone", "village_id",
          "address")


def add_resident(commune_id: int, user, **values) -> Resident:
    """Add a resident to the register."""
    values = {k: values.get(k) for k in FIELDS}
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
    for key in FIELDS:
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


def sex_label(value: str | None) -> str:
    """Male / Female / Other in the user's language."""
    return {"male": _("Male"), "female": _("Female"), "other": _("Other")}.get(value or "", "")


# --- import ---------------------------------------------------------------------------------

COLUMNS = (
    ("full_name", _l("Full name")),
    ("birth", _l("Year or date of birth")),
    ("sex", _l("Sex")),
    ("id_number", _l("ID number")),
    ("phone", _l("Phone")),
    ("village", _l("Village / residential group")),
    ("address", _l("Address")),
)
REQUIRED = ("full_name", "birth", "sex", "village")
# Headers people write in their own lists (folded), besides the template's.
HEADER_ALIASES = {
    "ho ten": "full_name", "ho va ten": "full_name", "name": "full_name",
    "nam sinh": "birth", "ngay sinh": "birth", "ngay thang nam sinh": "birth",
    "date of birth": "birth", "year of birth": "birth",
    "gioi": "sex", "gender": "sex",
    "cccd": "id_number", "cmnd": "id_number", "so cccd": "id_number", "cccd/cmnd": "id_number",
    "so giay to": "id_number", "so dinh danh ca nhan": "id_number",
    "so dien thoai": "phone", "sdt": "phone", "dt": "phone",
    "thon": "village", "to dan pho": "village", "thon/to": "village", "thon, to dan pho": "village",
    "village": "village",
}


def template_header() -> list[str]:
    """The header row of the import template, in the user's language."""
    return [str(label) for _key, label in COLUMNS]


_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S")


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


def parse_id_number(text: str) -> str | None:
    """A CCCD, CMND or passport number without spaces and dots, or None if not one."""
    value = re.sub(r"[\s.-]", "", text or "").upper()
    return value if ID_NUMBER.match(value) else None


def parse_resident_rows(commune_id: int, rows: list[list[str]]) -> ImportResult:
    """Check every row against the commune's villages; nothing is written."""
    if not rows:
        return ImportResult(rows=[], header_error=_("The file is empty."))
    index = header_index(rows[0], COLUMNS, REQUIRED, HEADER_ALIASES)
    if index is None:
        return ImportResult(rows=[], header_error=_(
            "The first row must hold the column names of the template (at least: full name, "
            "year or date of birth, sex, village). Download the template and copy your data "
            "into it."))
    villages = {fold(v.name): v for v in villages_for(commune_id)}
    labels = {k: str(v) for k, v in COLUMNS}
    known_ids = set(db.session.scalars(select(Resident.id_number).where(
        Resident.commune_id == commune_id, Resident.id_number.is_not(None))))
    seen_ids: dict[str, int] = {}
    parsed = []
    for number, raw in enumerate(rows[1:], start=2):
        if not any(raw):
            continue
        values = {key: (raw[i] if i < len(raw) else "") for key, i in index.items()}
        row = ImportRow(line=number, values=values)
        for key in REQUIRED:
            if not values.get(key):
                row.errors.append((labels[key], _("This cell is empty.")))
        if len(values.get("full_name", "")) > 120:
            row.errors.append((labels["full_name"], _("At most 120 characters.")))
        birth = parse_birth(values.get("birth", "")) if values.get("birth") else None
        if values.get("birth") and birth is None:
            row.errors.append((labels["birth"], _(
                "\"%(value)s\" is not a year (1980) or a date (05/03/1980) of birth.",
                value=values["birth"])))
        sex = SEX_WORDS.get(fold(values.get("sex", "")))
        if values.get("sex") and sex is None:
            row.errors.append((labels["sex"], _(
                "Write Nam, Nữ or Khác, not \"%(value)s\".", value=values["sex"])))
        village = villages.get(fold(values.get("village", ""))) if values.get("village") else None
        if values.get("village") and village is None:
            row.errors.append((labels["village"], _(
                "Unknown village \"%(value)s\": add it to the commune's list first.",
                value=values["village"])))
        id_number = None
        if values.get("id_number"):
            id_number = parse_id_number(values["id_number"])
            if id_number is None:
                row.errors.append((labels["id_number"], _(
                    "An ID number has 12 digits (CCCD), 9 digits (CMND) or is a passport "
                    "number.")))
            elif id_number in known_ids:
                row.errors.append((labels["id_number"], _(
                    "A resident with this ID number is already in the register.")))
            elif id_number in seen_ids:
                row.errors.append((labels["id_number"], _(
                    "The same ID number is already on row %(line)s.", line=seen_ids[id_number])))
            else:
                seen_ids[id_number] = number
        phone = None
        if values.get("phone"):
            try:
                phone = parse_phone(values["phone"]).e164
            except PhoneError:
                row.errors.append((labels["phone"], _(
                    "\"%(value)s\" is not a phone number.", value=values["phone"])))
        if len(values.get("address", "")) > 255:
            row.errors.append((labels["address"], _("At most 255 characters.")))
        row.values.update(birth_year=birth[0] if birth else None,
                          birth_date=birth[1] if birth else None, sex_value=sex,
                          village_id=village.id if village else None,
                          id_value=id_number, phone_e164=phone)
        parsed.append(row)
    if not parsed:
        return ImportResult(rows=[], header_error=_("The file has no resident rows."))
    return ImportResult(rows=parsed)


def import_residents(commune_id: int, user, result: ImportResult) -> int:
    """Add every row of a valid import; the caller commits or rolls back as one."""
    if not result.is_valid:
        raise ValueError("import has errors")
    for row in result.rows:
        v = row.values
        add_resident(commune_id, user, full_name=v["full_name"], birth_year=v["birth_year"],
                     birth_date=v["birth_date"], sex=v["sex_value"], id_number=v["id_value"],
                     phone=v["phone_e164"], village_id=v["village_id"],
                     address=v.get("address") or None)
    return len(result.rows)


# --- cards ----------------------------------------------------------------------------------

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


# --- printing -------------------------------------------------------------------------------

def _qr_png_uri(data: str) -> str:
    # One pixel per module, drawn without smoothing (img.qr is image-rendering: pixelated):
    # much faster for WeasyPrint than an SVG path, and as sharp. The card gives the quiet zone.
    out = io.BytesIO()
    # A fixed mask skips segno's evaluation of all eight (pure Python, ~2 ms per card);
    # any mask gives a valid code, and the printed codes decode (tests/test_residents.py).
    segno.make_qr(data, error="m", boost_error=False, mask=0).save(out, kind="png", scale=1,
                                                                   border=0)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _card_view(card: ResidentCard) -> dict:
    resident = card.resident
    return {"qr": _qr_png_uri(card_url(card)), "full_name": resident.full_name,
            "birth_year": resident.birth_year, "number": card.number,
            "village": resident.village.name if resident.village else ""}


def load_cards(card_ids: list[int]) -> list[ResidentCard]:
    """The cards in the order given, with resident and village loaded."""
    cards = db.session.scalars(
        select(ResidentCard).where(ResidentCard.id.in_(card_ids))
        .options(selectinload(ResidentCard.resident).selectinload(Resident.village))).all()
    by_id = {c.id: c for c in cards}
    return [by_id[i] for i in card_ids if i in by_id]


def render_cards_pdf(commune: Commune, cards: list[ResidentCard], *, single: bool = False) -> bytes:
    """Cards on A4 sheets (10 per sheet, cut lines), or one card on a card-sized page."""
    from registry.pdf import render_pdf  # WeasyPrint loads only where PDFs are made

    views = [_card_view(c) for c in cards]
    size = 1 if single else CARDS_PER_SHEET
    sheets = [views[i:i + size] for i in range(0, len(views), size)]
    with force_locale("vi"):  # cards are official documents: always Vietnamese
        return render_pdf("pdf/cards.html", stylesheets=("base.css", "cards.css"),
                          sheets=sheets, commune=commune, single=single)


def split_card_job(params: dict) -> list[dict]:
    """Parts of whole sheets, so merged parts give full sheets."""
    ids = params["card_ids"]
    return [{"card_ids": ids[i:i + CARDS_PER_PART], "units": len(ids[i:i + CARDS_PER_PART])}
            for i in range(0, len(ids), CARDS_PER_PART)]


def render_card_part(ctx: JobContext, part: dict) -> None:
    """One part of a card-printing job, written to its part file."""
    cards = load_cards(part["card_ids"])
    if not cards:
        raise JobError(_("The cards to print no longer exist."))
    commune = db.session.get(Commune, cards[0].commune_id)
    ctx.part_path.write_bytes(render_cards_pdf(commune, cards))


def merge_card_parts(ctx: JobContext, params: dict, paths: list[Path]) -> tuple[Path, str]:
    """Join the parts into one PDF, page by page (pypdf), without holding a WeasyPrint doc."""
    if not paths:
        raise JobError(_("There are no cards to print."))
    target = merge_pdf_parts(ctx, paths, "the-kiem-soat.pdf")
    return target, f"the-kiem-soat-{len(params['card_ids'])}.pdf"


register_job("resident_cards", render_card_part, split=split_card_job, merge=merge_card_parts)


# --- scanning at a venue --------------------------------------------------------------------

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
    now = utcnow()
    base = {"name": resident.full_name, "card_number": card.number}
    if direction == "exit":
        day_start, _day_end = local_day_bounds_utc(local_today())
        open_visit = db.session.scalar(
            select(Checkin).where(Checkin.resident_id == resident.id,
                                  Checkin.point_id == point.id,
                                  Checkin.checked_in_at >= day_start,
                                  Checkin.checked_out_at.is_(None))
            .order_by(Checkin.checked_in_at.desc()).limit(1))
        if open_visit is None:
            return ScanResult("no_entry", False, _(
                "No entry of this card here today: nothing recorded. Switch to entry if the "
                "person is coming in."), **base)
        open_visit.checked_out_at = now
        db.session.flush()
        return ScanResult("exit", True, _("Exit recorded."), at=_hhmm(now), **base)
    since = now - timedelta(minutes=commune.checkin_merge_minutes or 0)
    recent = db.session.scalar(
        select(Checkin).where(Checkin.resident_id == resident.id, Checkin.point_id == point.id,
                              Checkin.checked_in_at >= since)
        .order_by(Checkin.checked_in_at.desc()).limit(1))
    if recent is not None:
        return ScanResult("duplicate", True, _(
            "Already recorded at %(time)s: not counted again.", time=_hhmm(recent.checked_in_at)),
            at=_hhmm(recent.checked_in_at), **base)
    village = resident.village.name if resident.village else None
    declaration = Declaration(
        full_name=resident.full_name, birth_year=resident.birth_year, sex=resident.sex,
        id_number=resident.id_number, phone=resident.phone, province=commune.province_name,
        ward=commune.name,
        address=", ".join(p for p in (resident.address, village) if p) or None)
    record_checkin(point, CheckinSource.CARD_SCAN, declaration, at=now, entered_by=user,
                   resident_id=resident.id, card_id=card.id)
    return ScanResult("recorded", True, _("Entry recorded."), at=_hhmm(now), **base)


# --- for other features (tracing, dashboard) ------------------------------------------------

def checkin_ids_for_card(commune_id: int, card_number: str) -> set[int]:
    """All check-ins of the resident holding (or having held) this card, for tracing."""
    number = re.sub(r"\D", "", card_number or "").zfill(6)
    resident_id = db.session.scalar(select(ResidentCard.resident_id).where(
        ResidentCard.commune_id == commune_id, ResidentCard.number == number))
    if resident_id is None:
        return set()
    return set(db.session.scalars(select(Checkin.id).where(
        Checkin.commune_id == commune_id, Checkin.resident_id == resident_id)))


def _url(endpoint: str, **values) -> str:
    # url_for needs a request (or SERVER_NAME); a CLI caller gets the path alone.
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


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
         "value": holders or 0, "url": _url("residents.index", card="valid")},
        {"key": "cards_issued", "label": _("Cards issued in the period"),
         "value": issued or 0, "url": _url("residents.index")},
    ]


# --- demo data ------------------------------------------------------------------------------

def seed_demo_data(commune: Commune, context: dict, rng) -> None:
    """About 300 residents across the villages, most with a card, a few card scans today."""
    from registry.services.demo import demo_person

    clerk = context["users"].get("vanhoa") or context["users"]["admin"]
    villages = context["villages"]
    residents = []
    for i in range(300):
        name, phone = demo_person(rng)
        year = rng.randint(1940, 2015)
        residents.append(add_resident(
            commune.id, clerk, full_name=name, birth_year=year, birth_date=None,
            sex="female" if " Thị " in name else "male",
            id_number=f"038{rng.choice('01')}{year % 100:02d}{rng.randint(0, 999999):06d}"
            if rng.random() < 0.7 else None,
            phone=phone if rng.random() < 0.6 else None, village_id=rng.choice(villages).id,
            address=None))
    issue_missing_cards(commune.id, clerk, [r.id for r in residents[:250]])
    lost = residents[3]
    db.session.refresh(lost)
    issue_card(lost, clerk)  # one reissue, so the register shows a revoked card
    venue_user = context["users"].get("diadiem")
    point = context["venues"][8].points[0]
    for resident in residents[:12]:
        card = db.session.scalar(select(ResidentCard).where(
            ResidentCard.resident_id == resident.id, ResidentCard.status == CardStatus.ACTIVE))
        scan_card(point, card_url(card), direction="entry", user=venue_user)
