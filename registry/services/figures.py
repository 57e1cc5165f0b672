"""The figures the commune reports, defined once: the dashboard, its exports, the coverage page
and the report all count through these definitions (docs/reports.md, "The figures"); and the
periods a person means (the last 30 days, this month, last month, the period before).
"""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from registry.models import CheckinSource
from registry.timeutil import local_today

SOURCES = tuple(CheckinSource)
# The figures the commune reports, defined once here; the dashboard, its exports, the coverage
# page and the report all count through these tuples (docs/reports.md, "The figures").
# Declarations through a QR code: the visitor scanned the poster, or staff scanned their card.
QR_SOURCES = (CheckinSource.SELF_SCAN, CheckinSource.CARD_SCAN)
# Declarations of people without a smartphone: their card scanned, a paper slip, or staff
# typing it for them.
NO_SMARTPHONE_SOURCES = (CheckinSource.CARD_SCAN, CheckinSource.PAPER, CheckinSource.ON_BEHALF)
# Declarations not made through any QR code: paper and on behalf (each also shown on its own).
NON_DIGITAL_SOURCES = (CheckinSource.PAPER, CheckinSource.ON_BEHALF)
NOT_DIGITAL = "not_digital"  # the drill-down filter for both of them
THROUGH_QR = "through_qr"  # the drill-down filter of QR_SOURCES
NO_SMARTPHONE = "no_smartphone"  # the drill-down filter of NO_SMARTPHONE_SOURCES
SOURCE_GROUPS = {NOT_DIGITAL: NON_DIGITAL_SOURCES, THROUGH_QR: QR_SOURCES,
                 NO_SMARTPHONE: NO_SMARTPHONE_SOURCES}
# A default period a person means: the last 30 days, today included.
DEFAULT_PERIOD_DAYS = 30


def share(part: int, whole: int) -> float | None:
    """`part` as a percentage of `whole`, one decimal; None when there is nothing to divide."""
    if not whole:
        return None
    return round(100 * part / whole, 1)


def source_figures(by_source: dict) -> dict:
    """The reported figures of a {source value: count} mapping: the total, each source, through
    QR, without a smartphone, paper + on behalf, and the two shares (percent of the total)."""
    total = sum(by_source.get(s.value, 0) for s in SOURCES)
    qr = sum(by_source.get(s.value, 0) for s in QR_SOURCES)
    no_phone = sum(by_source.get(s.value, 0) for s in NO_SMARTPHONE_SOURCES)
    return {**{s.value: by_source.get(s.value, 0) for s in SOURCES},
            "total": total, "through_qr": qr, "without_smartphone": no_phone,
            "non_digital": sum(by_source.get(s.value, 0) for s in NON_DIGITAL_SOURCES),
            "qr_share": share(qr, total), "without_smartphone_share": share(no_phone, total)}


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last 30 days, today included: never a period of one or two days."""
    today = today or local_today()
    return today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today


def previous_period(start_day: date, end_day: date) -> tuple[date, date]:
    """The period just before start_day..end_day: the previous calendar month when the period
    is one whole month (a person compares November with October), else the same number of
    days just before."""
    if start_day.day == 1 and (end_day + timedelta(days=1)).day == 1 and (
            start_day.year, start_day.month) == (end_day.year, end_day.month):
        last = start_day - timedelta(days=1)
        return last.replace(day=1), last
    length = (end_day - start_day).days + 1
    return start_day - timedelta(days=length), start_day - timedelta(days=1)


def period_presets(today: date | None = None) -> list[tuple[str, date, date]]:
    """(key, start, end) of the periods offered as one click: the last 30 and 7 days, this
    month so far, last month."""
    today = today or local_today()
    first = today.replace(day=1)
    last_month_end = first - timedelta(days=1)
    return [("last30", *default_period(today)),
            ("last7", today - timedelta(days=6), today),
            ("this_month", first, today),
            ("last_month", last_month_end.replace(day=1), last_month_end)]


def figure_definitions() -> list[tuple[str, str]]:
    """(figure, how it is counted) as written under the figures on the dashboard."""
    return [
        (_l("Through QR"), _l("self-scan + card scan: the visitor scanned the venue's QR "
                              "poster, or the venue scanned the resident's card QR.")),
        (_l("Not through a smartphone"), _l("card scan + paper + on behalf: declarations of "
                                        "people who did not use a phone of their own.")),
        (_l("Paper"), _l("slips and visitor log sheets keyed by the commune.")),
        (_l("On behalf"), _l("declarations typed by staff for the visitor.")),
        (_l("Share"), _l("of all declarations of the period (every source).")),
    ]


# The one-click periods of `period_presets`, in words.
PRESET_LABELS = {"last30": _l("Last 30 days"), "last7": _l("Last 7 days"),
                 "this_month": _l("This month"), "last_month": _l("Last month")}
