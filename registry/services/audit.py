"""The audit trail: writing it, and its actions, records and details in words."""
from __future__ import annotations

import re
from datetime import date

import phonenumbers
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user

from registry.extensions import db
from registry.models import (AuditEvent, CaseStatus, FollowUp, FormKind, ReportStatus, Role,
                             Sex, VenueCategory, VenueStatus, Village)


def _jsonable(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "value"):  # enums
        return value.value
    return str(value)


def record_event(action: str, obj=None, *, object_type: str | None = None,
                 object_id: int | None = None, details: dict | None = None,
                 reason: str | None = None, user=None, commune_id: int | None = None) -> AuditEvent:
    """Add one audit row for `action` on `obj` by the current user (or `user`)."""
    if user is None and current_user and getattr(current_user, "is_authenticated", False):
        user = current_user
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else obj.id
        if commune_id is None:
            commune_id = getattr(obj, "commune_id", None)
    if commune_id is None and user is not None:
        commune_id = user.commune_id
    event = AuditEvent(
        commune_id=commune_id,
        user_id=user.id if user is not None else None,
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        details={k: [_jsonable(v) for v in pair] if isinstance(pair, (list, tuple))
                 else _jsonable(pair) for k, pair in (details or {}).items()},
        reason=reason,
    )
    db.session.add(event)
    return event


# Every action the features log, in words (the audit log, a record's change history).
ACTION_LABELS = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "suspend": _l("Suspended"),
    "reactivate": _l("Reactivated"),
    "login": _l("Logged in"),
    "enable": _l("Enabled"),
    "disable": _l("Disabled"),
    "password_change": _l("Password changed"),
    "rotate_qr": _l("QR code withdrawn and replaced"),
    "issue_card": _l("Card issued"),
    "issue_cards": _l("Cards issued"),
    "revoke_card": _l("Card revoked"),
    "print": _l("Printed"),
    "view": _l("Viewed"),
    "view_list": _l("Viewed the list"),
    "download": _l("Downloaded"),
    "search": _l("Searched"),
    "export": _l("Exported"),
    "purge": _l("Purged old data"),
    "destroy_paper": _l("Recorded paper destroyed"),
    "correct": _l("Corrected at the person's request"),
    "person_access": _l("Looked up a person's data at their request"),
    "person_export": _l("Exported a person's data for them"),
    "person_correct": _l("Corrected a person's data"),
    "person_delete": _l("Deleted a person's data at their request"),
    "case_open": _l("Opened a case"),
    "case_close": _l("Closed a case"),
    "case_reopen": _l("Reopened a case"),
    "add_contacts": _l("Added F1 contacts"),
    "follow_up": _l("Updated an F1 follow-up"),
    "venue_follow_up": _l("Recorded a follow-up at a venue"),
    "print_posters": _l("Printed QR posters"),
    "hand_over": _l("Paper handed to the venue"),
    "collect": _l("Paper collected"),
    "destroy": _l("Paper destroyed"),
    "key": _l("Sheet keyed"),
    "second_key": _l("Sheet keyed a second time"),
    "settle": _l("Difference settled"),
    "confirm_link": _l("Confirmed as the same person"),
    "reject_link": _l("Not the same person"),
    "submit": _l("Submitted to the chairman"),
    "return": _l("Returned to the clerk"),
    "sign_off": _l("Signed off"),
    "upload_signed": _l("Signed PDF uploaded"),
    "reorder": _l("Reordered"),
}

# The kinds of record an event is about, by table.
OBJECT_LABELS = {
    "tracing_cases": _l("Tracing case"),
    "case_contacts": _l("F1 contact"),
    "person_requests": _l("Person's request"),
    "checkins": _l("Check-in"),
    "checkin_points": _l("Check-in point"),
    "communes": _l("Commune"),
    "users": _l("Account"),
    "venues": _l("Venue"),
    "residents": _l("Resident"),
    "resident_cards": _l("Card"),
    "paper_batches": _l("Paper batch"),
    "paper_sheets": _l("Paper sheet"),
    "paper_lines": _l("Line of a paper sheet"),
    "reports": lazy_pgettext("audit record", "Report"),
    "villages": _l("Village"),
    "declaration_questions": _l("Declaration question"),
    "person_links": _l("Records of one person"),
    "jobs": _l("Print job"),
    "database": _l("Database (backup)"),
}

# The words of the fields the features log, as their forms call them.
FIELD_LABELS = {
    "name": _l("Name"), "category_id": _l("Category"), "address": _l("Address"),
    "village_id": _l("Village"), "village": _l("Village"), "manager_name": _l("Person responsible"),
    "manager_phone": _l("Phone"), "notes": _l("Notes"), "points_added": _l("Check-in points added"),
    "status": _l("Status"), "full_name": _l("Full name"), "birth_year": _l("Year of birth"),
    "birth_date": _l("Date of birth"), "sex": _l("Sex"), "id_number": _l("ID number"),
    "phone": _l("Phone"), "card": _l("Card number"), "replaces": _l("Replaces card"),
    "point": _l("Check-in point"), "poster_version": _l("Poster version"),
    "points": _l("Check-in points"), "count": _l("Number"), "issued": _l("Cards issued"),
    "sheets": _l("Sheets"), "kind": _l("Kind"), "lines": _l("Lines"), "serial": _l("Serial"),
    "on": _l("Date"), "by": _l("By"), "to": _l("Handed to"), "day": _l("Date"),
    "method": _l("How"), "disagreements": _l("Lines that differ"), "fields": _l("Fields"),
    "follow_up": _l("Follow-up"), "is_active": _l("Active"), "username": _l("Username"),
    "role": _l("Role"), "text": _l("Question"), "period": _l("Period"),
    "contacts": _l("F1 contacts"), "added": _l("Added"), "checkins": _l("Check-ins"),
    "subject": _l("Person"), "records": _l("Records"), "q": _l("Search"),
    "format": _l("Format"), "source": _l("Source"), "email": _l("Email"),
    "province": _l("Province / city"), "ward": _l("Commune / ward"),
    "nationality": _l("Nationality"), "returned": _l("Sheets that came back"),
    "changed": _l("Changed"), "suggestions": _l("Suggestions"), "page": _l("Page"),
    "shown": _l("Shown"), "card_status": _l("Card"), "review": _l("Review"),
    "direction": _l("Direction"), "list": _l("List"), "rows": _l("Rows"),
}

# Values stored as a code, shown as the word of their enum; "status" depends on the record.
_ENUM_FIELDS = {"sex": Sex, "follow_up": FollowUp, "role": Role}
_STATUS_BY_OBJECT = {"venues": VenueStatus, "reports": ReportStatus, "tracing_cases": CaseStatus}
_KIND_BY_OBJECT = {"paper_batches": FormKind}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DASH = "—"



def action_label(action: str) -> str:
    """An audit action in words (the action itself when it has none)."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def object_label(object_type: str) -> str:
    """The kind of record an audit event is about, in words."""
    label = OBJECT_LABELS.get(object_type)
    return str(label) if label is not None else object_type


def field_label(key: str) -> str:
    """A logged field in words ("category_id" → "Loại địa điểm"); an unknown key is shown
    with its underscores as spaces rather than as a column name."""
    label = FIELD_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ").capitalize()


def _value_words(key: str, value, object_type: str, names: dict) -> str:
    """One logged value in words: names for ids, labels for codes, dates as dd/mm/yyyy,
    phones in the national format, "—" for nothing."""
    if value is None or value == "":
        return _DASH
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in ("category_id", "village_id", "village") and isinstance(value, int):
        return names.get((key, value), f"#{value}")
    enum = (_STATUS_BY_OBJECT.get(object_type) if key == "status" else
            _KIND_BY_OBJECT.get(object_type) if key == "kind" else _ENUM_FIELDS.get(key))
    if enum is not None:
        return enum.label_of(value, str(value))
    if isinstance(value, str) and _ISO_DATE.match(value):
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    if isinstance(value, str) and key.endswith("phone") and value.startswith("+"):
        try:
            return phonenumbers.format_number(phonenumbers.parse(value, "VN"),
                                              phonenumbers.PhoneNumberFormat.NATIONAL)
        except phonenumbers.NumberParseException:
            return value
    if isinstance(value, list):
        return ", ".join(_value_words(key, v, object_type, names) for v in value)
    return str(value)


def _referenced_names(events) -> dict:
    """The names of the categories and villages the events' details refer to, in two
    queries."""
    wanted: dict[str, set] = {"category_id": set(), "village_id": set()}
    for event in events:
        for key, value in (event.details or {}).items():
            key = "village_id" if key == "village" else key
            if key in wanted:
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, int):
                        wanted[key].add(v)
    names = {}
    if wanted["category_id"]:
        for c in db.session.query(VenueCategory).filter(VenueCategory.id.in_(
                wanted["category_id"])):
            names[("category_id", c.id)] = c.name
    if wanted["village_id"]:
        for v in db.session.query(Village).filter(Village.id.in_(wanted["village_id"])):
            names[("village_id", v.id)] = v.name
            names[("village", v.id)] = v.name
    return names


def describe_details(event: AuditEvent, *, mask=None, names: dict | None = None
                     ) -> list[tuple[str, str]]:
    """An event's details in words, (field, text) per logged field: a change reads
    "Chợ → Trường học", a creation its value, ids become names and codes their labels.
    `mask` hides ID numbers (the audit log shows them masked)."""
    names = names if names is not None else _referenced_names([event])
    rows = []
    for key, value in (event.details or {}).items():
        if key == "id_number" and mask is not None:
            value = [mask(v) if v else v for v in value] if isinstance(value, list) \
                else mask(value)
        if key == "period" and isinstance(value, list):
            text = " – ".join(_value_words(key, v, event.object_type, names) for v in value)
        elif isinstance(value, list) and len(value) == 2 and key not in ("checkins",):
            old, new = (_value_words(key, v, event.object_type, names) for v in value)
            text = new if event.action == "create" and value[0] is None else f"{old} → {new}"
        else:
            text = _value_words(key, value, event.object_type, names)
        rows.append((field_label(key), text))
    return rows


def details_for(events) -> dict[int, list[tuple[str, str]]]:
    """`describe_details` of many events by id, the referenced names looked up once."""
    events = list(events)
    names = _referenced_names(events)
    return {e.id: describe_details(e, names=names) for e in events}
