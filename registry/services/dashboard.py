"""The dashboard's figures: venues, posters, activity and check-ins by source, per category.

Counting rule: the figures of any period are the live `checkins` plus `checkin_daily_counts`
(a daily count holds only check-ins the purge deleted, so the two are added, never overlap).
Days are Vietnamese calendar days (UTC+7, no daylight saving).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app, has_request_context
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from registry import signals
from registry.extensions import db
from registry.models import (Checkin, CheckinDailyCount, CheckinPoint, CheckinSource, Venue,
                             VenueCategory, VenueStatus)
from registry.timeutil import local_day_bounds_utc, local_today, to_local

from registry.services import tallies
from registry.services.figures import (NON_DIGITAL_SOURCES, SOURCE_GROUPS, SOURCES,
                                      source_figures)


@dataclass
class CategoryRow:
    """One line of the per-category table."""

    category_id: int | None
    name: str
    venues: int = 0
    posters: int = 0
    points: int = 0
    active: int = 0
    by_source: dict = field(default_factory=lambda: {s.value: 0 for s in SOURCES})

    @property
    def checkins(self) -> int:
        """All check-ins of the row, every source."""
        return sum(self.by_source.values())

    @property
    def non_digital(self) -> int:
        """Paper and on-behalf check-ins."""
        return sum(self.by_source[s.value] for s in NON_DIGITAL_SOURCES)

    @property
    def figures(self) -> dict:
        """The reported figures of the row (`source_figures`)."""
        return source_figures(self.by_source)


@dataclass
class Dashboard:
    """Everything the dashboard page, its exports and the report show for one period."""

    start_day: date
    end_day: date
    rows: list[CategoryRow]
    total: CategoryRow
    daily: list[tuple[date, dict]]  # (day, {source: count}) for every day of the period
    extra: list[dict]
    # {(venue_id, source value): count} of the period, for the coverage lists beside it.
    by_venue: dict = field(default_factory=dict)

    @property
    def non_digital_share(self) -> float | None:
        """Paper and on-behalf declarations as a fraction of all, None without any check-in."""
        if not self.total.checkins:
            return None
        return self.total.non_digital / self.total.checkins

    @property
    def figures(self) -> dict:
        """The reported figures of the whole commune (`source_figures`)."""
        return self.total.figures


def period_bounds_utc(start_day: date, end_day: date) -> tuple[datetime, datetime]:
    """UTC start (inclusive) and end (exclusive) of the local days start_day..end_day."""
    return local_day_bounds_utc(start_day)[0], local_day_bounds_utc(end_day)[1]


def _as_date(value) -> date:
    """A date from the database (SQLite may return text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def venue_source_counts(commune_id: int, start_day: date, end_day: date) -> dict:
    """{(venue_id, source value): count} over the period, live check-ins plus purged counts.
    Closed days come from the daily roll-up (services/tallies.py), the days after them (today)
    from the covering (commune, time, venue, source) index."""
    closed, open_from = tallies.split_period(commune_id, start_day, end_day)
    counts: dict = tallies.venue_counts(commune_id, *closed) if closed else {}
    parts = []
    if open_from is not None:
        start, end = period_bounds_utc(open_from, end_day)
        parts.append(db.session.execute(
            select(Checkin.venue_id, Checkin.source, func.count())
            .where(Checkin.commune_id == commune_id, Checkin.checked_in_at >= start,
                   Checkin.checked_in_at < end)
            .group_by(Checkin.venue_id, Checkin.source)))
    parts.append(db.session.execute(
        select(CheckinDailyCount.venue_id, CheckinDailyCount.source,
               func.sum(CheckinDailyCount.count))
        .where(CheckinDailyCount.commune_id == commune_id, CheckinDailyCount.day >= start_day,
               CheckinDailyCount.day <= end_day)
        .group_by(CheckinDailyCount.venue_id, CheckinDailyCount.source)))
    for part in parts:
        for venue_id, source, n in part:
            key = (venue_id, CheckinSource(source).value)
            counts[key] = counts.get(key, 0) + int(n or 0)
    return counts


def daily_series(commune_id: int, start_day: date, end_day: date) -> list[tuple[date, dict]]:
    """Check-ins per local day and source, every day of the period present (zeros included).

    Closed days come from the daily roll-up in one grouped query; each open day (today) is one
    small query (an index range grouped by source), which needs no date arithmetic in SQL."""
    closed, open_from = tallies.split_period(commune_id, start_day, end_day)
    rolled = tallies.day_counts(commune_id, *closed) if closed else {}
    by_day: dict[date, dict] = {}
    day = start_day
    while day <= end_day:
        counts = {s.value: 0 for s in SOURCES}
        if open_from is not None and day >= open_from:
            lo, hi = local_day_bounds_utc(day)
            for source, n in db.session.execute(
                    select(Checkin.source, func.count())
                    .where(Checkin.commune_id == commune_id, Checkin.checked_in_at >= lo,
                           Checkin.checked_in_at < hi)
                    .group_by(Checkin.source)):
                counts[CheckinSource(source).value] += int(n)
        else:
            for key, n in rolled.get(day, {}).items():
                counts[key] += n
        by_day[day] = counts
        day += timedelta(days=1)
    for value, source, n in db.session.execute(
            select(CheckinDailyCount.day, CheckinDailyCount.source,
                   func.sum(CheckinDailyCount.count))
            .where(CheckinDailyCount.commune_id == commune_id,
                   CheckinDailyCount.day >= start_day, CheckinDailyCount.day <= end_day)
            .group_by(CheckinDailyCount.day, CheckinDailyCount.source)):
        bucket = by_day.get(_as_date(value))
        if bucket is not None:
            bucket[CheckinSource(source).value] += int(n or 0)
    return sorted(by_day.items())


def extra_figures(commune_id: int, start_day: date, end_day: date) -> list[dict]:
    """The rows other features add (receivers of `signals.dashboard_figures`), in feature order.

    Rows carry links; outside a request (sign-off from a job, the CLI, benchmarks) they are
    built against the public base URL.
    """
    rows: list[dict] = []
    context = (contextlib.nullcontext() if has_request_context() else
               current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]))
    with context:
        for answer in signals.collect(signals.dashboard_figures, commune_id,
                                      start_day=start_day, end_day=end_day):
            for row in answer:
                rows.append({"key": row["key"], "label": str(row["label"]),
                             "value": row["value"], "url": row.get("url")})
    return rows


def compute_dashboard(commune_id: int, start_day: date, end_day: date,
                      with_extra: bool = True) -> Dashboard:
    """All figures of the dashboard for the local days start_day..end_day."""
    _start, end = period_bounds_utc(start_day, end_day)
    categories = db.session.scalars(
        select(VenueCategory).where(VenueCategory.commune_id == commune_id)
        .order_by(VenueCategory.position, VenueCategory.name)).all()
    rows = {c.id: CategoryRow(c.id, c.name) for c in categories}
    # Venues registered by the end of the period, and which category each is in.
    venue_category = dict(db.session.execute(
        select(Venue.id, Venue.category_id)
        .where(Venue.commune_id == commune_id, Venue.created_at < end)).all())
    for category_id in venue_category.values():
        rows[category_id].venues += 1
    points = db.session.execute(
        select(Venue.category_id, func.count(CheckinPoint.id),
               func.count(CheckinPoint.poster_printed_at))
        .join(Venue, CheckinPoint.venue_id == Venue.id)
        .where(Venue.commune_id == commune_id, CheckinPoint.created_at < end)
        .group_by(Venue.category_id))
    for category_id, n_points, n_posters in points:
        rows[category_id].points = int(n_points)
        rows[category_id].posters = int(n_posters)
    active: dict[int, set] = {}
    all_categories = dict(db.session.execute(
        select(Venue.id, Venue.category_id).where(Venue.commune_id == commune_id)).all())
    by_venue = venue_source_counts(commune_id, start_day, end_day)
    for (venue_id, source), n in by_venue.items():
        category_id = all_categories[venue_id]
        rows[category_id].by_source[source] += n
        if n:
            active.setdefault(category_id, set()).add(venue_id)
    for category_id, ids in active.items():
        rows[category_id].active = len(ids)
    total = CategoryRow(None, "")
    for row in rows.values():
        total.venues += row.venues
        total.points += row.points
        total.posters += row.posters
        total.active += row.active
        for key, n in row.by_source.items():
            total.by_source[key] += n
    return Dashboard(start_day=start_day, end_day=end_day, rows=list(rows.values()), total=total,
                     daily=daily_series(commune_id, start_day, end_day),
                     extra=extra_figures(commune_id, start_day, end_day) if with_extra else [],
                     by_venue=by_venue)


@dataclass
class IdleVenue:
    """A venue with no check-in in the last N days, for the clerk to chase."""

    venue: Venue
    last_checkin_day: date | None


def idle_venues(commune_id: int, days: int, today: date | None = None) -> list[IdleVenue]:
    """Active venues with no check-in in the last `days` local days (today included), those that
    never had one first, then the longest silent; each with its last check-in day."""
    today = today or local_today()
    since_day = today - timedelta(days=days - 1)
    # Closed days from the daily roll-up, every later moment live (as "since", unbounded).
    closed, open_from = tallies.split_period(commune_id, since_day, date.max)
    recent = tallies.venues_with_checkins(commune_id, *closed) if closed else set()
    if open_from is not None:
        recent |= set(db.session.scalars(
            select(Checkin.venue_id).where(Checkin.commune_id == commune_id,
                                           Checkin.checked_in_at >= local_day_bounds_utc(
                                               open_from)[0]).distinct()))
    recent |= set(db.session.scalars(
        select(CheckinDailyCount.venue_id).where(CheckinDailyCount.commune_id == commune_id,
                                                 CheckinDailyCount.day >= since_day).distinct()))
    # Correlated max() per venue: both databases answer it from the (venue, time) index.
    last_live = (select(func.max(Checkin.checked_in_at)).where(Checkin.venue_id == Venue.id)
                 .correlate(Venue).scalar_subquery())
    # The purged days: one grouped pass over the (small) daily-count table.
    last_kept = dict(db.session.execute(
        select(CheckinDailyCount.venue_id, func.max(CheckinDailyCount.day))
        .where(CheckinDailyCount.commune_id == commune_id)
        .group_by(CheckinDailyCount.venue_id)).all())
    rows = db.session.execute(
        select(Venue, last_live)
        .options(selectinload(Venue.category))
        .where(Venue.commune_id == commune_id, Venue.status == VenueStatus.ACTIVE)
        .order_by(Venue.search_name, Venue.id)).all()
    idle = []
    for venue, live in rows:
        if venue.id in recent:
            continue
        days_seen = []
        if live is not None:
            live_dt = live if isinstance(live, datetime) else datetime.fromisoformat(str(live))
            days_seen.append(to_local(live_dt).date())
        if last_kept.get(venue.id) is not None:
            days_seen.append(_as_date(last_kept[venue.id]))
        idle.append(IdleVenue(venue, max(days_seen) if days_seen else None))
    idle.sort(key=lambda i: (i.last_checkin_day is not None, i.last_checkin_day or date.min))
    return idle


def venues_behind(commune_id: int, kind: str, start_day: date, end_day: date,
                  category_id: int | None = None) -> list[Venue]:
    """The venues behind a figure: registered, with a poster printed, or active in the period."""
    _start, end = period_bounds_utc(start_day, end_day)
    stmt = (select(Venue).options(selectinload(Venue.category), selectinload(Venue.points))
            .where(Venue.commune_id == commune_id))
    if category_id:
        stmt = stmt.where(Venue.category_id == category_id)
    if kind == "registered":
        stmt = stmt.where(Venue.created_at < end)
    elif kind == "poster":
        stmt = stmt.where(Venue.id.in_(
            select(CheckinPoint.venue_id).where(CheckinPoint.poster_printed_at.is_not(None),
                                                CheckinPoint.created_at < end)))
    elif kind == "active":
        ids = {v for (v, _s), n in venue_source_counts(commune_id, start_day, end_day).items()
               if n}
        stmt = stmt.where(Venue.id.in_(ids or {-1}))
    else:
        raise ValueError(kind)
    return list(db.session.scalars(stmt.order_by(Venue.search_name, Venue.id)))


def checkins_behind(commune_id: int, start_day: date, end_day: date,
                    category_id: int | None = None, source: str | None = None):
    """The live check-ins behind a figure (newest first), as a select to page through."""
    start, end = period_bounds_utc(start_day, end_day)
    stmt = select(Checkin).where(Checkin.commune_id == commune_id,
                                 Checkin.checked_in_at >= start, Checkin.checked_in_at < end)
    if category_id:
        stmt = stmt.where(Checkin.venue_id.in_(
            select(Venue.id).where(Venue.category_id == category_id)))
    if source in SOURCE_GROUPS:
        stmt = stmt.where(Checkin.source.in_(SOURCE_GROUPS[source]))
    elif source:
        stmt = stmt.where(Checkin.source == CheckinSource(source))
    return stmt.order_by(Checkin.checked_in_at.desc(), Checkin.id.desc())


def purged_count(commune_id: int, start_day: date, end_day: date,
                 category_id: int | None = None, source: str | None = None) -> int:
    """How many check-ins of the period survive only as daily counts (personal data purged)."""
    stmt = select(func.coalesce(func.sum(CheckinDailyCount.count), 0)).where(
        CheckinDailyCount.commune_id == commune_id, CheckinDailyCount.day >= start_day,
        CheckinDailyCount.day <= end_day)
    if category_id:
        stmt = stmt.where(CheckinDailyCount.venue_id.in_(
            select(Venue.id).where(Venue.category_id == category_id)))
    if source in SOURCE_GROUPS:
        stmt = stmt.where(CheckinDailyCount.source.in_(SOURCE_GROUPS[source]))
    elif source:
        stmt = stmt.where(CheckinDailyCount.source == CheckinSource(source))
    return int(db.session.scalar(stmt) or 0)


# Bar colours by source, as SVG presentation attributes (the CSP forbids inline styles).
SOURCE_COLOURS = {"self_scan": "#1d4ed8", "card_scan": "#0f766e", "paper": "#b45309",
                  "on_behalf": "#9b1c1c"}


def chart_geometry(daily: list[tuple[date, dict]], width: int = 900, height: int = 260) -> dict:
    """Stacked bars of check-ins per day by source, laid out for an SVG (server-rendered)."""
    left, right, top, bottom = 48, 8, 10, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([sum(c.values()) for _d, c in daily] + [1])
    # A round top for the axis: 1, 2 or 5 times a power of ten.
    scale = 1
    while scale * 10 <= peak:
        scale *= 10
    axis_max = next(m * scale for m in (1, 2, 5, 10) if m * scale >= peak)
    slot = plot_w / max(len(daily), 1)
    bar_w = max(slot * 0.7, 1)
    bars = []
    label_every = max(1, round(len(daily) / 12))
    for i, (day, counts) in enumerate(daily):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        for source in SOURCES:
            n = counts[source.value]
            if not n:
                continue
            h = plot_h * n / axis_max
            y -= h
            bars.append({"x": round(x, 2), "y": round(y, 2), "w": round(bar_w, 2),
                         "h": round(h, 2), "fill": SOURCE_COLOURS[source.value],
                         "day": day, "source": source.value, "count": n})
    ticks = [{"y": round(top + plot_h - plot_h * k / 4, 2), "value": axis_max * k // 4}
             for k in range(5)]
    labels = [{"x": round(left + i * slot + slot / 2, 2), "day": day}
              for i, (day, _c) in enumerate(daily) if i % label_every == 0]
    return {"width": width, "height": height, "left": left, "top": top, "plot_w": plot_w,
            "plot_h": plot_h, "bars": bars, "ticks": ticks, "labels": labels,
            "baseline": top + plot_h}
