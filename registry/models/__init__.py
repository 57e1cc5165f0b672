"""The database models, one module per aggregate; importing this package registers them all."""
from registry.models.audit import AuditEvent
from registry.models.checkin import Checkin, CheckinDailyCount, CheckinSource, TimePrecision
from registry.models.commune import Commune, Village
from registry.models.declaration import DeclarationQuestion
from registry.models.poster import RetiredPointToken
from registry.models.paper import (BatchStatus, DoubleEntry, FormKind, LinkStatus, PaperBatch,
                                   PaperLine, PaperSheet, PersonLink, SheetStatus)
from registry.models.job import Job, JobStatus
from registry.models.resident import CardStatus, Resident, ResidentCard
from registry.models.report import (OutgoingDocument, Report, ReportDirective, ReportStatus,
                                    SignerKind, SigningMaterial)
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
    "RetiredPointToken",
    "OutgoingDocument",
    "Report",
    "ReportDirective",
    "ReportStatus",
    "SignerKind",
    "SigningMaterial",
    "Role",
    "TimePrecision",
    "User",
    "Venue",
    "VenueCategory",
    "VenueStatus",
    "Village",
    # paper
    "BatchStatus",
    "DoubleEntry",
    "FormKind",
    "LinkStatus",
    "PaperBatch",
    "PaperLine",
    "PaperSheet",
    "PersonLink",
    "SheetStatus",
    "CardStatus",
    "Job",
    "JobStatus",
    "Resident",
    "ResidentCard",
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
