"""The audit trail: writing it, and its actions and records in words."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from registry.extensions import db
from registry.models import AuditEvent


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
    "database": _l("Database (backup)"),
}


def action_label(action: str) -> str:
    """An audit action in words (the action itself when it has none)."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def object_label(object_type: str) -> str:
    """The kind of record an audit event is about, in words."""
    label = OBJECT_LABELS.get(object_type)
    return str(label) if label is not None else object_type
