"""Time helpers: we store UTC (naive, in the database) and show Asia/Ho_Chi_Minh."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Vietnam has kept UTC+7 without daylight saving since 1975, so the local day of a stored UTC
# time is a fixed shift in SQL on both databases.
LOCAL_OFFSET_HOURS = 7


def utcnow() -> datetime:
    """The current time in UTC, naive, as stored in the database."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_local(value: datetime) -> datetime:
    """A stored naive-UTC datetime as an aware Vietnamese local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(LOCAL_TZ)


def local_to_utc(value: datetime) -> datetime:
    """A naive Vietnamese local time (as typed by a user) as naive UTC for storage."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def local_today() -> date:
    """Today's date in Vietnam."""
    return datetime.now(LOCAL_TZ).date()


def local_day_bounds_utc(day: date) -> tuple[datetime, datetime]:
    """The UTC start (inclusive) and end (exclusive) of a Vietnamese calendar day."""
    start = local_to_utc(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)
