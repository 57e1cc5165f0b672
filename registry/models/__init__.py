"""The database models, one module per aggregate; importing this package registers them all."""
from registry.models.audit import AuditEvent
from registry.models.checkin import Checkin, CheckinSource
from registry.models.commune import Commune, Village
from registry.models.user import Role, User
from registry.models.venue import CheckinPoint, Venue, VenueCategory, VenueStatus

__all__ = [
    "AuditEvent",
    "Checkin",
    "CheckinPoint",
    "CheckinSource",
    "Commune",
    "Role",
    "User",
    "Venue",
    "VenueCategory",
    "VenueStatus",
    "Village",
]
