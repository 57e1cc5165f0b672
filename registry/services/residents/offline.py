"""Scans a station sends with its own random id and time: live ones, and those it stored while
the network was down and sends in order once it is back.

Each id is stored once (`OfflineScan`, unique) with the answer the station got, so a retried
upload (the answer was lost on the way back) records nothing twice and gets the same answer. A
scan sent late is recorded at its own time and marked (`Checkin.offline_scan_id`); a device
clock running ahead is not trusted: the scan is recorded at the time it arrived, marked as an
approximate time, and the station is told to set its clock.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import delete, select

from registry.extensions import db
from registry.models import Checkin, CheckinPoint, Commune, OfflineScan, TimePrecision
from registry.services.residents.scan import ScanResult, hhmm, scan_card
from registry.timeutil import to_local, utcnow

SCAN_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# A device clock further ahead than this is wrong ("a few minutes").
CLOCK_TOLERANCE = timedelta(minutes=5)
# One upload carries at most this many scans (the station sends a long queue in parts).
MAX_BATCH = 100


@dataclass
class StationScan:
    """One scan as the station sent it."""

    scan_id: str
    code: str
    direction: str
    scanned_at: datetime | None  # naive UTC by the device's clock; None when unreadable
    # Sent at once when taken (not from the station's store): recorded at the server's time,
    # whatever the device's clock says.
    live: bool = False


def parse_station_scan(item) -> StationScan | None:
    """A scan from the station's JSON ({id, code, direction, at: milliseconds since 1970}), or
    None when it has no usable id."""
    if not isinstance(item, dict):
        return None
    scan_id = str(item.get("id") or "").lower()
    if not SCAN_ID.match(scan_id):
        return None
    try:
        millis = float(item.get("at"))
        scanned_at = datetime.fromtimestamp(millis / 1000, timezone.utc).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        scanned_at = None
    return StationScan(scan_id=scan_id, code=str(item.get("code") or "")[:300],
                       direction="exit" if item.get("direction") == "exit" else "entry",
                       scanned_at=scanned_at, live=item.get("live") is True)


def _stored_answer(row: OfflineScan) -> dict:
    """The answer given when the scan first arrived, for a retried upload."""
    answer = {"id": row.scan_key, "status": row.status, "ok": row.ok, "message": row.message,
              "kind": ScanResult(row.status, row.ok, "").kind, "name": None, "at": None,
              "birth_year": None, "village": None, "card_number": None, "household": [],
              "checkin_id": row.checkin_id, "already_received": True,
              # A live scan is stored with the time it arrived as its own.
              "late": row.scanned_at != row.received_at, "warning": None,
              "scanned_at": _when(row.scanned_at)}
    if row.card is not None:
        resident = row.card.resident
        answer.update(name=resident.full_name, birth_year=resident.birth_year,
                      village=resident.village.name if resident.village else None,
                      card_number=row.card.number)
    if row.checkin_id is not None:
        checkin = db.session.get(Checkin, row.checkin_id)
        if checkin is not None:
            answer["at"] = hhmm(checkin.checked_out_at if row.status == "exit"
                                else checkin.checked_in_at)
    return answer


def _when(value: datetime) -> str:
    """A scan's own time as the station lists it: local day and time."""
    return to_local(value).strftime("%d/%m %H:%M")


def receive_scan(point: CheckinPoint, scan: StationScan, *, user,
                 now: datetime | None = None) -> dict:
    """Record one scan sent with its id (once), and the answer for the station."""
    now = now or utcnow()
    row = db.session.scalar(select(OfflineScan).where(OfflineScan.scan_key == scan.scan_id))
    if row is not None:
        return _stored_answer(row)
    commune = db.session.get(Commune, point.venue.commune_id)
    scanned_at = now if scan.live else (scan.scanned_at or now)
    row = OfflineScan(commune_id=commune.id, point_id=point.id, scan_key=scan.scan_id,
                      direction=scan.direction, scanned_at=scanned_at, received_at=now,
                      status="pending", ok=False, message="", uploaded_by_id=user.id)
    db.session.add(row)
    db.session.flush()  # claims the id: a parallel upload of the same scan clashes here
    warning, late, at, precision = None, False, None, TimePrecision.EXACT
    if scan.live:
        pass  # the server's clock: the scan is happening now
    elif scan.scanned_at is None:
        warning = _("The scan's time could not be read: the visit was recorded at the time it "
                    "arrived, as an approximate time.")
        precision = TimePrecision.APPROXIMATE
    elif scanned_at - now > CLOCK_TOLERANCE:
        # A clock running ahead cannot say when the scan happened: keep the visit at the time it
        # arrived, as an approximate time, and tell the station.
        minutes = int((scanned_at - now).total_seconds() // 60)
        warning = _("The device's clock is %(minutes)s minutes ahead: the visit was recorded "
                    "at the time it arrived, as an approximate time. Set the clock.",
                    minutes=minutes)
        precision = TimePrecision.APPROXIMATE
    elif now - scanned_at > timedelta(days=commune.retention_days):
        result = ScanResult("too_old", False, _(
            "Scanned on %(day)s, longer ago than personal data is kept: not recorded.",
            day=to_local(scanned_at).strftime("%d/%m/%Y")))
        return _keep(row, result, late=True)
    else:
        # Kept on the station and sent later: its own time (a clock a little ahead is taken
        # as now).
        late, at = True, min(scanned_at, now)
    result = scan_card(point, scan.code, direction=scan.direction, user=user, at=at,
                       precision=precision)
    if result.status == "recorded" and late:
        db.session.get(Checkin, result.checkin_id).offline_scan_id = scan.scan_id
    return _keep(row, result, late=late, warning=warning)


def _keep(row: OfflineScan, result: ScanResult, *, late: bool, warning: str | None = None) -> dict:
    """Store the answer with the scan's id, and give it."""
    row.status, row.ok = result.status, result.ok
    row.message = (result.message if not warning else f"{result.message} {warning}")[:300]
    row.checkin_id, row.card_id = result.checkin_id, result.card_id
    db.session.flush()
    return {"id": row.scan_key, **result.as_dict(), "already_received": False, "late": late,
            "warning": warning, "scanned_at": _when(row.scanned_at)}


def receive_batch(point: CheckinPoint, items: list, *, user) -> list[dict]:
    """Record a station's stored scans in the order it took them; each answered once."""
    now = utcnow()
    answers = []
    for item in items[:MAX_BATCH]:
        scan = parse_station_scan(item)
        if scan is None:
            answers.append({"id": str((item or {}).get("id") if isinstance(item, dict)
                                      else "")[:36], "status": "invalid", "ok": False,
                            "kind": "bad", "message": _("This scan cannot be read.")})
            continue
        answers.append(receive_scan(point, scan, user=user, now=now))
    return answers


def purge_offline_scans(commune_id: int, *, cutoff_utc: datetime,
                        held_checkin_ids: set[int]) -> int:
    """Forget the scans older than the retention period (they name a card); a receiver of
    `signals.purge_personal_data`."""
    return db.session.execute(
        delete(OfflineScan).where(OfflineScan.commune_id == commune_id,
                                  OfflineScan.received_at < cutoff_utc)
        .execution_options(synchronize_session=False)).rowcount or 0
