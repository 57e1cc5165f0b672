"""Recording a visit, whatever its source."""
from __future__ import annotations

from datetime import datetime

from registry.extensions import db
from registry.models import Checkin, CheckinPoint, CheckinSource, TimePrecision
from registry.services.declarations import Declaration
from registry.text import fold
from registry.timeutil import utcnow


def record_checkin(point: CheckinPoint, source: CheckinSource, declaration: Declaration, *,
                   at: datetime | None = None, precision: TimePrecision = TimePrecision.EXACT,
                   entered_by=None, **extra) -> Checkin:
    """Add a check-in at `point` with the cleaned `declaration`; `extra` sets feature columns."""
    declaration = declaration.cleaned()
    checkin = Checkin(
        commune_id=point.venue.commune_id, venue_id=point.venue_id, point_id=point.id,
        source=source, checked_in_at=at or utcnow(), time_precision=precision,
        full_name=declaration.full_name, search_name=fold(declaration.full_name),
        id_number=declaration.id_number, birth_year=declaration.birth_year,
        sex=declaration.sex, nationality=declaration.nationality,
        province=declaration.province, ward=declaration.ward, address=declaration.address,
        phone=declaration.phone, email=declaration.email, answers=declaration.answers,
        has_symptoms=declaration.has_symptoms,
        entered_by_id=entered_by.id if entered_by is not None else None, **extra)
    db.session.add(checkin)
    db.session.flush()
    return checkin
