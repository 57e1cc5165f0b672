"""Writing the audit trail."""
from __future__ import annotations

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
