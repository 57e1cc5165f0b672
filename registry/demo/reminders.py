"""Demo reminder: the venues that printed a QR poster but had no check-in last month get a
signed công văn đôn đốc, and one of them a phone call afterwards."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from registry.extensions import db
from registry.models import FollowUpKind, Venue
from registry.pdf.reminders import render_reminder_pdf
from registry.services.coverage import QR_NO_CHECKIN
from registry.services.reminders import (draft_reminder, record_follow_up, sign_off_reminder,
                                         submit_reminder)
from registry.timeutil import local_to_utc


def seed_reminder(commune, clerk, chairman, period, venue_ids: set[int]):
    """Draft, submit and sign a reminder for `period` to those of `venue_ids` on the list of
    venues with a QR but no check-in; it is dated the day after the period. Returns the ids of
    the venues it went to and its date."""
    start, end = period
    issued = end + timedelta(days=1)
    reminder = draft_reminder(commune, clerk, QR_NO_CHECKIN, start, end, venue_ids,
                              today=issued)
    submit_reminder(reminder, clerk)
    sign_off_reminder(reminder, chairman, render_reminder_pdf, today=issued)
    # Signed on its date (the demo is seeded later): check-ins count as "after the reminder"
    # from that morning on.
    reminder.signed_at = local_to_utc(datetime.combine(issued, time(8, 0)))
    listed = [v.venue_id for v in reminder.venues]
    venue = db.session.get(Venue, listed[-1])
    record_follow_up(venue, clerk, kind=FollowUpKind.PHONED, done_on=issued,
                     done_by=clerk.full_name,
                     result="Người phụ trách hẹn niêm yết lại mã QR ở cổng trong tuần.")
    db.session.flush()
    return set(listed), issued
