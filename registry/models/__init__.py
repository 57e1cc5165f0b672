"""The database models, one module per aggregate; importing this package registers them all."""
from registry.models.audit import AuditEvent
from registry.models.checkin import Checkin, CheckinDailyCount, CheckinSource, TimePrecision
from registry.models.commune import Commune, Village
from registry.models.declaration import DeclarationQuestion
from registry.models.tracing import (CaseContact, CaseHold, CaseSearch, CaseStatus, FollowUp,
                                     PersonRequest, SheetDestruction, TracingCase)
from registry.models.user import Role, User
from registry.models.venue import CheckinPoint, Venue, VenueCategory, VenueStatus

__all__ = [
    "AuditEvent",
    "Checkin",
    "CheckinDailyCount",
    "CheckinPoint",
    "CheckinSource",
    "Commune",
    "DeclarationQuestion",
    "Role",
    "TimePrecision",
    "User",
    "Venue",
    "VenueCategory",
    "VenueStatus",
    "Village",
    # tracing
    "CaseContact",
    "CaseHold",
    "CaseSearch",
    "CaseStatus",
    "FollowUp",
    "PersonRequest",
    "SheetDestruction",
    "TracingCase",
]
