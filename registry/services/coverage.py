"""Coverage of every venue for a period: posters printed, check-ins by source against the
previous period of the same length, paper sheets handed out / returned / keyed, the last
activity and the last reminder; and the ready-made lists of venues to follow up.

Every figure is counted for all venues at once (grouped queries, never one query per venue).
Check-ins are live rows plus the purge's daily counts, as on the dashboard; days are Vietnamese
calendar days.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from registry.extensions import db
from registry.models import (BatchStatus, Checkin, CheckinDailyCount, CheckinPoint, PaperBatch,
                             PaperSheet, Reminder, ReminderVenue, ReportStatus, Venue,
                             VenueStatus)
from registry.services.dashboard import period_bounds_utc, venue_source_counts
from registry.services.figures import SOURCES, previous_period, source_figures
from registry.timeutil import to_local

# The ready-made lists, in the order the dashboard shows them.
QR_NO_CHECKIN = "qr_no_checkin"
NO_QR = "no_qr"
PAPER_NOT_RETURNED = "paper_not_returned"
PAPER_NOT_KEYED = "paper_not_keyed"
DROPPED = "dropped"
LIST_KEYS = (QR_NO_CHECKIN, NO_QR, PAPER_NOT_RETURNED, PAPER_NOT_KEYED, DROPPED)
LIST_TITLES = {
    QR_NO_CHECKIN: _l("QR printed but no check-in in the period"),
    NO_QR: _l("No QR printed at all"),
    PAPER_NOT_RETURNED: _l("Paper handed out but not returned"),
    PAPER_NOT_KEYED: _l("Paper returned but not keyed"),
    DROPPED: _l("Activity dropped by more than half"),
}


def _as_datetime(value) -> datetime | None:
    """A datetime from the database (SQLite may return text for an aggregate)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _as_date(value) -> date | None:
    """A date from the database (SQLite may return text for an aggregate)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass
class VenueCoverage:
    """One venue's row of the coverage page."""

    venue: Venue
    points: int = 0
    posters: int = 0  # check-in points whose poster was printed by the end of the period
    poster_version: int | None = None  # the latest version printed
    poster_printed_at: datetime | None = None
    by_source: dict = field(default_factory=lambda: {s.value: 0 for s in SOURCES})
    previous: dict = field(default_factory=lambda: {s.value: 0 for s in SOURCES})
    paper_handed: int = 0  # sheets handed to the venue in the period
    paper_returned: int = 0  # sheets that came back in the period
    paper_keyed: int = 0  # sheets keyed in the period
    paper_out: int = 0  # sheets at the venue, not returned by the end of the period
    paper_waiting: int = 0  # sheets returned but not keyed by the end of the period
    last_checkin_at: datetime | None = None
    last_kept_day: date | None = None
    last_reminder: dict | None = None  # {id, number, symbol, issued_on, signed_at}
    since_reminder: int | None = None  # check-ins since the last reminder was signed
    lists: set = field(default_factory=set)

    @property
    def figures(self) -> dict:
        """The reported figures of the period (`source_figures`)."""
        return source_figures(self.by_source)

    @property
    def total(self) -> int:
        """Check-ins of the period, every source."""
        return sum(self.by_source.values())

    @property
    def previous_total(self) -> int:
        """Check-ins of the previous period of the same length."""
        return sum(self.previous.values())

    @property
    def change(self) -> float | None:
        """The change against the previous period in percent (None without a previous one)."""
        if not self.previous_total:
            return None
        return round(100 * (self.total - self.previous_total) / self.previous_total, 1)

    @property
    def last_day(self) -> date | None:
        """The local day of the last check-in up to the end of the period."""
        days = [d for d in (self.last_checkin_at and to_local(self.last_checkin_at).date(),
                            self.last_kept_day) if d]
        return max(days) if days else None

    @property
    def last_is_exact(self) -> bool:
        """The last activity is a live check-in (its time is known), not a purged day."""
        return self.last_checkin_at is not None and self.last_day == to_local(
            self.last_checkin_at).date()

    @property
    def came_back(self) -> bool | None:
        """Whether check-ins came after the last reminder (None without a reminder)."""
        if self.last_reminder is None:
            return None
        return bool(self.since_reminder)


@dataclass
class Coverage:
    """Every venue's coverage for one period, with the ready-made lists."""

    start_day: date
    end_day: date
    previous_start: date
    previous_end: date
    rows: list[VenueCoverage]
    list_key: str | None = None

    def in_list(self, key: str) -> list[VenueCoverage]:
        """The venues of one ready-made list."""
        return [row for row in self.rows if key in row.lists]

    @property
    def counts(self) -> dict[str, int]:
        """How many venues each list holds."""
        return {key: len(self.in_list(key)) for key in LIST_KEYS}

    @property
    def shown(self) -> list[VenueCoverage]:
        """The rows of the chosen list, or every row."""
        if self.list_key is None:
            return self.rows
        rows = self.in_list(self.list_key)
        if self.list_key == DROPPED:
            rows.sort(key=lambda r: (r.change if r.change is not None else 0))
        return rows


def _venues(commune_id: int, end, category_id, village_id, status) -> list[Venue]:
    """The venues registered by the end of the period, filtered."""
    stmt = (select(Venue).options(selectinload(Venue.category), selectinload(Venue.village))
            .where(Venue.commune_id == commune_id, Venue.created_at < end))
    if category_id:
        stmt = stmt.where(Venue.category_id == category_id)
    if village_id:
        stmt = stmt.where(Venue.village_id == village_id)
    if status:
        stmt = stmt.where(Venue.status == VenueStatus(status))
    return list(db.session.scalars(stmt.order_by(Venue.search_name, Venue.id)))


def _posters(commune_id: int, end) -> dict[int, tuple]:
    """{venue: (points, posters printed, latest printed version, latest print)} by the end."""
    printed = and_(CheckinPoint.poster_printed_at.is_not(None),
                   CheckinPoint.poster_printed_at < end)
    rows = db.session.execute(
        select(CheckinPoint.venue_id, func.count(CheckinPoint.id),
               func.count(case((printed, CheckinPoint.id))),
               func.max(case((printed, CheckinPoint.poster_version))),
               func.max(case((printed, CheckinPoint.poster_printed_at))))
        .join(Venue, Venue.id == CheckinPoint.venue_id)
        .where(Venue.commune_id == commune_id, CheckinPoint.created_at < end)
        .group_by(CheckinPoint.venue_id))
    return {v: (int(n), int(p), version, _as_datetime(at)) for v, n, p, version, at in rows}


def _paper(commune_id: int, start_day: date, end_day: date, start, end) -> dict[int, dict]:
    """{venue: {handed, returned, keyed, out, waiting}} of paper sheets (see VenueCoverage)."""
    out: dict[int, dict] = {}

    def add(venue_id, key, n):
        entry = out.setdefault(venue_id, {"handed": 0, "returned": 0, "keyed": 0, "out": 0,
                                          "waiting": 0})
        entry[key] += int(n or 0)

    base = PaperBatch.commune_id == commune_id
    for venue_id, n in db.session.execute(
            select(PaperBatch.venue_id, func.sum(PaperBatch.sheet_count))
            .where(base, PaperBatch.handed_on >= start_day, PaperBatch.handed_on <= end_day)
            .group_by(PaperBatch.venue_id)):
        add(venue_id, "handed", n)
    for venue_id, n in db.session.execute(
            select(PaperBatch.venue_id, func.sum(PaperBatch.returned_count))
            .where(base, PaperBatch.collected_on >= start_day,
                   PaperBatch.collected_on <= end_day)
            .group_by(PaperBatch.venue_id)):
        add(venue_id, "returned", n)
    for venue_id, n in db.session.execute(
            select(PaperBatch.venue_id, func.count(PaperSheet.id))
            .join(PaperBatch, PaperBatch.id == PaperSheet.batch_id)
            .where(base, PaperSheet.keyed_at >= start, PaperSheet.keyed_at < end)
            .group_by(PaperBatch.venue_id)):
        add(venue_id, "keyed", n)
    # At the venue at the end of the period: handed by then, not collected by then.
    for venue_id, n in db.session.execute(
            select(PaperBatch.venue_id, func.sum(PaperBatch.sheet_count))
            .where(base, PaperBatch.handed_on <= end_day,
                   PaperBatch.status != BatchStatus.DESTROYED,
                   or_(PaperBatch.collected_on.is_(None), PaperBatch.collected_on > end_day))
            .group_by(PaperBatch.venue_id)):
        add(venue_id, "out", n)
    # Returned by the end of the period, less the sheets keyed by then, batch by batch.
    keyed_by_end = func.count(case((and_(PaperSheet.keyed_at.is_not(None),
                                         PaperSheet.keyed_at < end), PaperSheet.id)))
    for venue_id, returned, keyed in db.session.execute(
            select(PaperBatch.venue_id, PaperBatch.returned_count, keyed_by_end)
            .outerjoin(PaperSheet, PaperSheet.batch_id == PaperBatch.id)
            .where(base, PaperBatch.collected_on <= end_day)
            .group_by(PaperBatch.id, PaperBatch.venue_id, PaperBatch.returned_count)):
        if (returned or 0) > keyed:
            add(venue_id, "waiting", returned - keyed)
    return out


def _last_activity(commune_id: int, end, end_day: date) -> tuple[dict, dict]:
    """({venue: last live check-in before the end}, {venue: last purged day by the end})."""
    last_live = (select(func.max(Checkin.checked_in_at))
                 .where(Checkin.venue_id == Venue.id, Checkin.checked_in_at < end)
                 .correlate(Venue).scalar_subquery())
    live = {v: _as_datetime(at) for v, at in db.session.execute(
        select(Venue.id, last_live).where(Venue.commune_id == commune_id))}
    kept = {v: _as_date(d) for v, d in db.session.execute(
        select(CheckinDailyCount.venue_id, func.max(CheckinDailyCount.day))
        .where(CheckinDailyCount.commune_id == commune_id, CheckinDailyCount.day <= end_day)
        .group_by(CheckinDailyCount.venue_id))}
    return live, kept


def last_reminders(commune_id: int) -> tuple[dict[int, dict], dict[int, int]]:
    """({venue: its last signed reminder}, {venue: check-ins since that reminder was signed})."""
    latest: dict[int, dict] = {}
    for venue_id, rid, number, symbol, issued_on, signed_at in db.session.execute(
            select(ReminderVenue.venue_id, Reminder.id, Reminder.number, Reminder.symbol,
                   Reminder.issued_on, Reminder.signed_at)
            .join(Reminder, Reminder.id == ReminderVenue.reminder_id)
            .where(Reminder.commune_id == commune_id, Reminder.status == ReportStatus.SIGNED)
            .order_by(Reminder.signed_at.desc(), Reminder.id.desc())):
        latest.setdefault(venue_id, {"id": rid, "number": f"{number:02d}", "symbol": symbol,
                                     "issued_on": issued_on, "signed_at": signed_at})
    if not latest:
        return latest, {}
    since = (select(ReminderVenue.venue_id.label("venue_id"),
                    func.max(Reminder.signed_at).label("at"))
             .join(Reminder, Reminder.id == ReminderVenue.reminder_id)
             .where(Reminder.commune_id == commune_id, Reminder.status == ReportStatus.SIGNED)
             .group_by(ReminderVenue.venue_id).subquery())
    counts = {v: int(n) for v, n in db.session.execute(
        select(since.c.venue_id, func.count(Checkin.id))
        .join(Checkin, and_(Checkin.venue_id == since.c.venue_id,
                            Checkin.checked_in_at >= since.c.at))
        .group_by(since.c.venue_id))}
    return latest, counts


def compute_coverage(commune_id: int, start_day: date, end_day: date, *,
                     category_id: int | None = None, village_id: int | None = None,
                     status: str | None = None, list_key: str | None = None,
                     counts: dict | None = None) -> Coverage:
    """Every venue's coverage for the local days start_day..end_day, filtered by category,
    village and status; `list_key` picks one ready-made list for `Coverage.shown`. `counts`:
    the period's `venue_source_counts` when the caller has them already (the dashboard)."""
    start, end = period_bounds_utc(start_day, end_day)
    prev_start, prev_end = previous_period(start_day, end_day)
    venues = _venues(commune_id, end, category_id, village_id, status)
    current = counts if counts is not None else venue_source_counts(commune_id, start_day,
                                                                    end_day)
    before = venue_source_counts(commune_id, prev_start, prev_end)
    posters = _posters(commune_id, end)
    paper = _paper(commune_id, start_day, end_day, start, end)
    live, kept = _last_activity(commune_id, end, end_day)
    reminders, since = last_reminders(commune_id)
    rows = []
    for venue in venues:
        row = VenueCoverage(venue)
        row.points, row.posters, row.poster_version, row.poster_printed_at = posters.get(
            venue.id, (0, 0, None, None))
        for s in SOURCES:
            row.by_source[s.value] = current.get((venue.id, s.value), 0)
            row.previous[s.value] = before.get((venue.id, s.value), 0)
        sheets = paper.get(venue.id, {})
        row.paper_handed, row.paper_returned = sheets.get("handed", 0), sheets.get("returned", 0)
        row.paper_keyed, row.paper_out = sheets.get("keyed", 0), sheets.get("out", 0)
        row.paper_waiting = sheets.get("waiting", 0)
        row.last_checkin_at, row.last_kept_day = live.get(venue.id), kept.get(venue.id)
        row.last_reminder = reminders.get(venue.id)
        row.since_reminder = since.get(venue.id, 0) if row.last_reminder else None
        row.lists = lists_of(row)
        rows.append(row)
    return Coverage(start_day, end_day, prev_start, prev_end, rows,
                    list_key if list_key in LIST_KEYS else None)


def lists_of(row: VenueCoverage) -> set[str]:
    """The ready-made lists a venue belongs to. A suspended venue takes no check-ins and is
    chased for none of them."""
    if row.venue.status != VenueStatus.ACTIVE:
        return set()
    found = set()
    if row.posters and not row.total:
        found.add(QR_NO_CHECKIN)
    if not row.posters:
        found.add(NO_QR)
    if row.paper_out:
        found.add(PAPER_NOT_RETURNED)
    if row.paper_waiting:
        found.add(PAPER_NOT_KEYED)
    # Dropped by more than half: fewer than half of the previous period's check-ins.
    if row.previous_total and row.total * 2 < row.previous_total:
        found.add(DROPPED)
    return found
