"""The database models, one module per aggregate; importing this package registers them all."""
from registry.models.audit import AuditEvent
from registry.models.checkin import Checkin, CheckinDailyCount, CheckinSource, TimePrecision
from registry.models.commune import Commune, Village
from registry.models.declaration import DeclarationQuestion
from registry.models.job import Job, JobStatus
from registry.models.resident import CardStatus, Resident, ResidentCard
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
    "CardStatus",
    "Job",
    "JobStatus",
    "Resident",
    "ResidentCard",
]
