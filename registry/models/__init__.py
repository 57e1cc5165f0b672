"""The database models, one module per feature; importing this package registers them all."""
from registry.models.audit import AuditEvent
from registry.models.checkins import (Checkin, CheckinDailyCount, CheckinPoint, CheckinSource,
                                      CheckoutReason, TimePrecision)
from registry.models.communes import Commune, Village
from registry.models.declarations import DeclarationQuestion, Sex
from registry.models.imports import ImportReceipt
from registry.models.jobs import Job, JobStatus, ScheduledRun
from registry.models.notices import ExposureNotice, NoticeChannel
from registry.models.paper import (BatchStatus, DoubleEntry, FormKind, PaperBatch, PaperLine,
                                   PaperSheet, SheetStatus)
from registry.models.person_links import LinkReason, LinkStatus, PersonLink
from registry.models.posters import RetiredPointToken
from registry.models.privacy import PersonRequest
from registry.models.reminders import FollowUpKind, Reminder, ReminderVenue, VenueFollowUp
from registry.models.reports import (OutgoingDocument, Report, ReportDirective, ReportStatus,
                                     SignerKind, SigningMaterial)
from registry.models.residents import CardStatus, OfflineScan, Resident, ResidentCard
from registry.models.retention import SheetDestruction
from registry.models.storage import StoredFile, StoredFileChunk
from registry.models.tallies import CheckinTally
from registry.models.tracing import (CaseContact, CaseHold, CaseSearch, CaseStatus, FollowUp,
                                     IndexDateKind, TracingCase)
from registry.models.users import Role, User
from registry.models.venues import Venue, VenueCategory, VenueStatus

__all__ = [
    "AuditEvent",
    "BatchStatus", "CardStatus", "CaseContact", "CaseHold", "CaseSearch", "CaseStatus",
    "Checkin", "CheckinDailyCount", "CheckinPoint", "CheckinSource", "CheckinTally",
    "CheckoutReason", "Commune",
    "DeclarationQuestion", "DoubleEntry", "ExposureNotice", "FollowUp", "FollowUpKind",
    "FormKind", "ImportReceipt", "IndexDateKind", "Job", "JobStatus",
    "LinkReason", "LinkStatus", "NoticeChannel", "OfflineScan", "OutgoingDocument", "PaperBatch",
    "PaperLine", "PaperSheet", "PersonLink", "PersonRequest", "Reminder", "ReminderVenue",
    "Report", "ReportDirective", "ReportStatus", "Resident",
    "ResidentCard", "RetiredPointToken", "Role", "ScheduledRun", "Sex", "SheetDestruction",
    "SheetStatus", "SignerKind", "SigningMaterial", "StoredFile", "StoredFileChunk",
    "TimePrecision", "TracingCase", "User", "Venue",
    "VenueCategory", "VenueFollowUp", "VenueStatus", "Village",
]
