"""Exposure notices that reach everyone: from a case's F1 list, letters grouped by village or
residential group (each group's head delivers them by hand, with a cover sheet to sign), and a
list for the carrier's bulk-SMS portal; each notice issued is recorded on the contact, so the F1
list shows who has not been reached yet.

The notices never name the index case: they say where and when the person was, and what to do.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

import phonenumbers
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from registry.extensions import db
from registry.models import (CaseContact, Checkin, Commune, ExposureNotice, FollowUp,
                             NoticeChannel, Resident, TimePrecision, TracingCase, Village)
from registry.services.audit import record_event
from registry.text import fold
from registry.timeutil import to_local, utcnow

# A single SMS in the GSM 7-bit alphabet: the portal splits (and bills) anything longer.
SMS_LIMIT = 160
# Days an F1 contact watches their health after the contact (the notice gives the last day).
WATCH_DAYS = 14
# What an SMS may hold: letters without diacritics, digits and plain punctuation.
_SMS_UNSAFE = re.compile(r"[^A-Za-z0-9 .,:;/()+\-?!%]")


@dataclass
class NoticeGroup:
    """The contacts one village head (or the health station, when the village is unknown)
    delivers letters to."""

    village: str | None
    contacts: list[CaseContact] = field(default_factory=list)


def is_reached(contact: CaseContact) -> bool:
    """Whether the contact has been told: a notice was issued, or the health station has
    moved their follow-up on (it called them)."""
    return bool(contact.notices) or contact.follow_up != FollowUp.PENDING


def unreached(case: TracingCase) -> list[CaseContact]:
    """The case's F1 contacts nobody has told yet."""
    return [c for c in case.contacts if not is_reached(c)]


def _village_of(contact: CaseContact, villages: list[Village], by_id_number: dict) -> str | None:
    """The village or residential group the contact lives in, as well as the register knows:
    the card holder's (or household member's) village, the resident with the same ID number,
    or a village named in the address they gave."""
    if contact.checkin_id is not None:
        resident_id = db.session.scalar(select(Checkin.resident_id)
                                        .where(Checkin.id == contact.checkin_id))
        if resident_id is not None:
            resident = db.session.get(Resident, resident_id)
            if resident is not None and resident.village is not None:
                return resident.village.name
    if contact.id_number and contact.id_number in by_id_number:
        return by_id_number[contact.id_number]
    address = fold(contact.address or "")
    # The longest name first: "Thôn Đông Nam" before "Thôn Đông".
    for village in sorted(villages, key=lambda v: -len(v.name)):
        if re.search(rf"(^|[\s,.;-]){re.escape(fold(village.name))}($|[\s,.;-])", address):
            return village.name
    return None


def notice_groups(case: TracingCase, contacts: list[CaseContact]) -> list[NoticeGroup]:
    """The contacts by village or residential group, in the order of the commune's list; the
    contacts whose village is unknown last, for the health station."""
    villages = list(db.session.scalars(select(Village).where(
        Village.commune_id == case.commune_id).order_by(Village.name)))
    numbers = {c.id_number for c in contacts if c.id_number}
    by_id_number = {}
    if numbers:
        for resident in db.session.scalars(select(Resident).where(
                Resident.commune_id == case.commune_id, Resident.id_number.in_(numbers))):
            if resident.village is not None:
                by_id_number[resident.id_number] = resident.village.name
    groups: dict[str | None, NoticeGroup] = {}
    for contact in contacts:
        name = _village_of(contact, villages, by_id_number)
        groups.setdefault(name, NoticeGroup(name)).contacts.append(contact)
    order = {v.name: i for i, v in enumerate(villages)}
    ordered = sorted(groups.values(), key=lambda g: (g.village is None,
                                                     order.get(g.village, len(order))))
    for group in ordered:
        group.contacts.sort(key=lambda c: (fold(c.full_name), c.id))
    return ordered


def watch_until(contact: CaseContact) -> date:
    """The last day the contact watches their health."""
    return to_local(contact.visited_at).date() + timedelta(days=WATCH_DAYS)


def issue_letters(case: TracingCase, groups: list[NoticeGroup], user) -> int:
    """Record a letter for every contact of the printed groups (how, when, by whom, through
    which village); returns how many."""
    now, count = utcnow(), 0
    for group in groups:
        for contact in group.contacts:
            db.session.add(ExposureNotice(contact_id=contact.id, channel=NoticeChannel.LETTER,
                                          issued_at=now, issued_by_id=user.id,
                                          delivered_via=group.village))
            count += 1
    db.session.flush()
    record_event("print", case, user=user, reason=f"#{case.id} {case.index_label}"[:255],
                 details={"format": "notices", "letters": count, "groups": len(groups)})
    return count


# --- text messages -------------------------------------------------------------------------

def plain_text(text: str) -> str:
    """Vietnamese without diacritics ("Chợ Nưa" → "Cho Nua"), in the characters an SMS
    carries as one 7-bit message."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in unicodedata.normalize("NFD", text)
                   if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", _SMS_UNSAFE.sub(" ", text)).strip()


def national_digits(phone: str | None) -> str | None:
    """A stored (E.164) phone in the national format, digits only: "+84912345678" →
    "0912345678"."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, "VN")
    except phonenumbers.NumberParseException:
        return None
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return re.sub(r"\D", "", national) or None


def sms_phone(phone: str | None) -> str | None:
    """A mobile number in the national format the portals take ("0912345678"); None for a
    landline or anything that cannot take a text message."""
    digits = national_digits(phone)
    # Vietnamese mobiles: 10 digits from 03, 05, 07, 08, 09 (the library's type may lag).
    return digits if digits and re.fullmatch(r"0[35789]\d{8}", digits) else None


def _when(contact: CaseContact) -> str:
    """When the contact was there, as precisely as it is known (for the SMS)."""
    local = to_local(contact.visited_at)
    if contact.time_precision == TimePrecision.DATE_ONLY.value:
        return _("on %(day)s", day=local.strftime("%d/%m"))
    return _("at %(time)s on %(day)s", time=local.strftime("%H:%M"),
             day=local.strftime("%d/%m"))


def sms_message(contact: CaseContact, commune: Commune) -> str:
    """The text message of one contact: who sends it, where and when, what to do, whom to call;
    in Vietnamese without diacritics, within one SMS (the venue's name shortened if need be)."""
    with force_locale("vi"):
        return _sms_message(contact, commune)


def _sms_message(contact: CaseContact, commune: Commune) -> str:
    """`sms_message` in the current (Vietnamese) locale."""
    hotline = national_digits(commune.hotline)
    call = (_("call %(phone)s", phone=hotline) if hotline
            else _("call the commune health station"))

    def build(sender: str, venue: str) -> str:
        """The message with this sender and venue name, without diacritics."""
        return plain_text(_(
            "%(sender)s: you were at %(venue)s %(when)s at the same time as a case of infectious "
            "disease. Watch your health until %(until)s; with fever or cough, %(call)s.",
            sender=sender, venue=venue, when=_when(contact),
            until=watch_until(contact).strftime("%d/%m"), call=call))

    # The whole venue name if it fits; else shortened; else a shorter sender too.
    sender, place = _("PC %(commune)s", commune=commune.name), plain_text(contact.venue_name)
    message = build(sender, place)
    while len(message) > SMS_LIMIT and len(place) > 12:
        place = place[:max(12, len(place) - (len(message) - SMS_LIMIT) - 1)].rstrip() + "."
        message = build(sender, place)
    if len(message) > SMS_LIMIT:
        message = build(_("PC of the commune"), place)
    return message


def sms_rows(contacts: list[CaseContact], commune: Commune) -> list[tuple[CaseContact, str, str]]:
    """(contact, phone, message) for each contact with a mobile phone."""
    rows = []
    for contact in contacts:
        phone = sms_phone(contact.phone)
        if phone:
            rows.append((contact, phone, sms_message(contact, commune)))
    return rows


def sms_csv(rows: list[tuple[CaseContact, str, str]]) -> bytes:
    """The bulk-SMS portal's upload: one row per person, the phone and the message."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["so_dien_thoai", "noi_dung"])
    for _contact, phone, message in rows:
        writer.writerow([phone, message])
    return out.getvalue().encode("ascii")


def issue_sms(case: TracingCase, rows: list[tuple[CaseContact, str, str]], user) -> int:
    """Record a text message for every contact on the exported list; returns how many."""
    now = utcnow()
    for contact, _phone, _message in rows:
        db.session.add(ExposureNotice(contact_id=contact.id, channel=NoticeChannel.SMS,
                                      issued_at=now, issued_by_id=user.id))
    db.session.flush()
    record_event("export", case, user=user, reason=f"#{case.id} {case.index_label}"[:255],
                 details={"format": "sms", "messages": len(rows)})
    return len(rows)
