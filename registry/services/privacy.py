"""A person's own data: find it, export it, correct it, delete it, and record the request."""
from __future__ import annotations

import re

from sqlalchemy import delete, select

from registry.extensions import db
from registry.models import Checkin, PersonRequest
from registry.services.audit import record_event
from registry.services.retention import add_to_daily_counts
from registry.services.tracing.cases import held_checkin_ids_query
from registry.text import fold, nfc

EXPORT_HEADER_KEYS = ("checked_in_at", "venue", "point", "source", "full_name", "birth_year",
                      "sex", "id_number", "phone", "email", "address", "answers")

CORRECTABLE = ("full_name", "birth_year", "sex", "id_number", "phone", "email", "province",
               "ward", "address")


def mask_id_number(value: str | None) -> str:
    """An ID number as shown in lists: first 4 and last 2 characters kept (0381******12)."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= 6:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def masked_subject(kind: str, value: str) -> str:
    """A request's subject as kept after the data is gone: masked, never the full identifier."""
    if kind == "id":
        return mask_id_number(value)
    if kind == "phone":
        return value[:-5] + "***" + value[-2:] if len(value) > 6 else "***"
    words = (nfc(value) or "").split()
    return " ".join(w[0] + "." for w in words[:-1]) + (" " + words[-1] if words else "")


def record_request(commune_id: int, user, kind: str, subject: str, reference: str,
                   count: int) -> PersonRequest:
    """Keep the request and who handled it."""
    request = PersonRequest(commune_id=commune_id, kind=kind, subject=subject,
                            reference=reference, record_count=count, handled_by_id=user.id)
    db.session.add(request)
    db.session.flush()
    record_event(f"person_{kind}", request, user=user, reason=reference,
                 details={"subject": subject, "records": count})
    return request


def correct_checkin(checkin: Checkin, user, values: dict, reference: str) -> dict:
    """Apply a person's corrections to one record; returns {field: [old, new]} (IDs masked)."""
    changes = {}
    for name in CORRECTABLE:
        if name not in values:
            continue
        new = values[name]
        old = getattr(checkin, name)
        if old != new:
            shown = mask_id_number if name == "id_number" else (lambda v: v)
            changes[name] = [shown(old), shown(new)]
            setattr(checkin, name, new)
    if "full_name" in changes:
        checkin.search_name = fold(checkin.full_name)
    if changes:
        record_event("correct", checkin, user=user, reason=reference,
                     details={k: v for k, v in changes.items()})
    db.session.flush()
    return changes


def delete_checkins(commune_id: int, ids: set[int]) -> tuple[int, int]:
    """Delete these check-ins, keeping their counts; held ones stay. (deleted, held)."""
    if not ids:
        return 0, 0
    held = set(db.session.scalars(held_checkin_ids_query(commune_id))) & ids
    doomed = sorted(ids - held)
    if doomed:
        add_to_daily_counts(commune_id, [Checkin.id.in_(doomed)])
        db.session.execute(delete(Checkin).where(Checkin.commune_id == commune_id,
                                                 Checkin.id.in_(doomed))
                           .execution_options(synchronize_session=False))
        db.session.expire_all()
    return len(doomed), len(held)


def clean_reference(text: str | None) -> str:
    """The request reference as stored: NFC, single spaces."""
    return re.sub(r"\s+", " ", nfc(text) or "")[:255]


def checkin_ids_in_commune(commune_id: int, ids) -> set[int]:
    """Keep only ids of check-ins of this commune (ids come from a form)."""
    ids = {int(i) for i in ids if str(i).isdigit()}
    if not ids:
        return set()
    return set(db.session.scalars(select(Checkin.id).where(Checkin.commune_id == commune_id,
                                                          Checkin.id.in_(ids))))
