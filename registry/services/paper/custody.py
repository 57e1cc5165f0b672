"""Batches of printed sheets and their custody: printed, handed to the venue, collected, keyed,
verified, destroyed; the backlog of what waits, and the paper figures of the dashboard."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import (BatchStatus, CheckinPoint, Commune, DoubleEntry, FormKind,
                             PaperBatch, PaperSheet, SheetStatus)
from registry.services.audit import record_event
from registry.services.paper import PaperError
from registry.services.paper.serials import make_serial
from registry.text import nfc
from registry.timeutil import local_to_utc, local_today, utcnow

MAX_SHEETS_PER_BATCH = 2000


def create_batch(point: CheckinPoint, kind: FormKind, count: int, by, *,
                 double_entry: DoubleEntry = DoubleEntry.NONE, sample_percent: int = 0,
                 ignore_diacritics: bool = True, skip_free_text: bool = False,
                 rng: random.Random | None = None) -> PaperBatch:
    """Print run: a batch of `count` sheets with fresh serials for one check-in point."""
    if not 1 <= count <= MAX_SHEETS_PER_BATCH:
        raise PaperError(_("Print between 1 and %(max)s sheets.", max=MAX_SHEETS_PER_BATCH))
    rng = rng or random.Random()
    venue = point.venue
    batch = PaperBatch(commune_id=venue.commune_id, venue_id=venue.id, point_id=point.id,
                       kind=kind, sheet_count=count, double_entry=double_entry,
                       sample_percent=sample_percent if double_entry == DoubleEntry.SAMPLE else 0,
                       ignore_diacritics=ignore_diacritics, skip_free_text=skip_free_text,
                       printed_by_id=by.id if by is not None else None)
    db.session.add(batch)
    db.session.flush()
    if double_entry == DoubleEntry.FULL:
        chosen = set(range(1, count + 1))
    elif double_entry == DoubleEntry.SAMPLE:
        # At least one sheet, so that every sampled batch really gets checked.
        size = max(1, round(count * sample_percent / 100))
        chosen = set(rng.sample(range(1, count + 1), size))
    else:
        chosen = set()
    sheets = [PaperSheet(commune_id=batch.commune_id, batch_id=batch.id, number=n,
                         needs_second_entry=n in chosen) for n in range(1, count + 1)]
    db.session.add_all(sheets)
    db.session.flush()
    for sheet in sheets:
        sheet.serial = make_serial(kind, sheet.id)
    db.session.flush()
    record_event("print", batch, user=by, details={"sheets": count, "kind": kind.value,
                                                   "point": point.name})
    return batch


def hand_batch(batch: PaperBatch, by, on: date, to_whom: str) -> None:
    """The clerk hands the printed sheets to the venue."""
    if batch.status != BatchStatus.PRINTED:
        raise PaperError(_("This batch has already been handed over."))
    batch.handed_on, batch.handed_to, batch.status = on, nfc(to_whom), BatchStatus.HANDED
    record_event("hand_over", batch, user=by, details={"on": on.isoformat(), "to": to_whom})


def collect_batch(batch: PaperBatch, by, on: date, collected_by: str, returned: int) -> None:
    """The clerk collects the filled sheets: when, by whom, how many came back."""
    if batch.status not in (BatchStatus.PRINTED, BatchStatus.HANDED):
        raise PaperError(_("This batch has already been collected."))
    if returned > batch.sheet_count:
        raise PaperError(_("At most %(count)s sheets can come back.", count=batch.sheet_count))
    if batch.handed_on and on < batch.handed_on:
        raise PaperError(_("The sheets cannot be collected before they were handed over."))
    batch.collected_on, batch.collected_by = on, nfc(collected_by)
    batch.returned_count, batch.status = returned, BatchStatus.COLLECTED
    record_event("collect", batch, user=by, details={"on": on.isoformat(), "by": collected_by,
                                                     "returned": returned})
    refresh_batch_status(batch)


def destroy_batch(batch: PaperBatch, by, on: date) -> None:
    """The sheets were shredded: the batch is closed and its serials are refused from now on."""
    if batch.status == BatchStatus.DESTROYED:
        raise PaperError(_("This batch has already been destroyed."))
    if batch.status in (BatchStatus.PRINTED, BatchStatus.HANDED):
        raise PaperError(_("Collect the sheets before destroying them."))
    batch.destroyed_on, batch.destroyed_by_id = on, by.id
    batch.status = BatchStatus.DESTROYED
    record_event("destroy", batch, user=by, details={"on": on.isoformat()})


def refresh_batch_status(batch: PaperBatch) -> None:
    """Move a collected batch on to keyed / verified once all its filled sheets are."""
    if batch.status not in (BatchStatus.COLLECTED, BatchStatus.KEYED, BatchStatus.VERIFIED):
        return
    started = [s for s in batch.sheets if s.status != SheetStatus.BLANK]
    expected = batch.returned_count or 0
    if expected == 0 or len(started) < expected:
        return
    if all(s.status == SheetStatus.VERIFIED for s in started):
        batch.status = BatchStatus.VERIFIED
        batch.verified_at = batch.verified_at or utcnow()
        batch.keyed_at = batch.keyed_at or utcnow()
    elif all(s.status in (SheetStatus.KEYED, SheetStatus.VERIFIED) for s in started):
        batch.status = BatchStatus.KEYED
        batch.keyed_at = batch.keyed_at or utcnow()


def destruction_due_on(batch: PaperBatch, retention_days: int) -> date | None:
    """The day the paper may be destroyed: retention after the last day it can hold."""
    if batch.collected_on is None:
        return None
    return batch.collected_on + timedelta(days=retention_days)


def backlog(commune: Commune, start: date | None = None, end: date | None = None) -> dict:
    """What is waiting: sheets collected but not keyed, keyed but not verified, batches due for
    destruction, and sheets that never came back. `start`/`end` filter on the collection day."""
    batches = db.session.scalars(
        select(PaperBatch).where(PaperBatch.commune_id == commune.id)
        .order_by(PaperBatch.printed_at.desc(), PaperBatch.id.desc())).all()
    today = local_today()

    def in_period(b):
        if start is None and end is None:
            return True
        if b.collected_on is None:
            return False
        return (start is None or b.collected_on >= start) and (end is None or b.collected_on <= end)

    result = {"not_keyed": [], "not_verified": [], "to_destroy": [], "missing": [],
              "out": [], "counts": {}}
    counts = _sheet_counts(commune.id)
    for b in batches:
        if not in_period(b):
            continue
        started, keyed, verified = counts.get(b.id, (0, 0, 0))
        b.figures = {"started": started, "keyed": keyed, "verified": verified}
        if b.status == BatchStatus.DESTROYED:
            continue
        if b.status in (BatchStatus.PRINTED, BatchStatus.HANDED):
            result["out"].append(b)
            continue
        returned = b.returned_count or 0
        if keyed < returned:
            result["not_keyed"].append((b, returned - keyed))
        if verified < keyed:
            result["not_verified"].append((b, keyed - verified))
        if b.missing_count:
            result["missing"].append((b, b.missing_count))
        due = destruction_due_on(b, commune.retention_days)
        if due is not None and due <= today:
            result["to_destroy"].append((b, due))
    result["counts"] = {
        "not_keyed": sum(n for _, n in result["not_keyed"]),
        "not_verified": sum(n for _, n in result["not_verified"]),
        "to_destroy": len(result["to_destroy"]),
        "missing": sum(n for _, n in result["missing"]),
    }
    return result


def _sheet_counts(commune_id: int) -> dict[int, tuple[int, int, int]]:
    """Per batch: sheets started, keyed (finished), verified."""
    rows = db.session.execute(
        select(PaperSheet.batch_id, PaperSheet.status, func.count())
        .where(PaperSheet.commune_id == commune_id, PaperSheet.status != SheetStatus.BLANK)
        .group_by(PaperSheet.batch_id, PaperSheet.status)).all()
    out: dict[int, list[int]] = {}
    for batch_id, status, n in rows:
        entry = out.setdefault(batch_id, [0, 0, 0])
        entry[0] += n
        if status in (SheetStatus.KEYED, SheetStatus.VERIFIED):
            entry[1] += n
        if status == SheetStatus.VERIFIED:
            entry[2] += n
    return {k: tuple(v) for k, v in out.items()}


def dashboard_figures(commune_id: int, start_day: date, end_day: date) -> list[dict]:
    """Paper figures for the dashboard: sheets collected and keyed in the period, and backlog."""
    commune = db.session.get(Commune, commune_id)
    collected = db.session.scalar(
        select(func.coalesce(func.sum(PaperBatch.returned_count), 0))
        .where(PaperBatch.commune_id == commune_id, PaperBatch.collected_on >= start_day,
               PaperBatch.collected_on <= end_day)) or 0
    start_utc = local_to_utc(datetime.combine(start_day, time.min))
    end_utc = local_to_utc(datetime.combine(end_day + timedelta(days=1), time.min))
    keyed = db.session.scalar(
        select(func.count()).select_from(PaperSheet)
        .where(PaperSheet.commune_id == commune_id, PaperSheet.keyed_at >= start_utc,
               PaperSheet.keyed_at < end_utc)) or 0
    pending = backlog(commune)["counts"]
    url = url_for("paper.backlog_page", start=start_day.isoformat(), end=end_day.isoformat())
    return [
        {"key": "paper_collected", "label": _("Paper sheets collected"), "value": int(collected),
         "url": url},
        {"key": "paper_keyed", "label": _("Paper sheets keyed"), "value": int(keyed), "url": url},
        {"key": "paper_not_keyed", "label": _("Sheets waiting to be keyed"),
         "value": pending["not_keyed"], "url": url_for("paper.backlog_page")},
        {"key": "paper_to_destroy", "label": _("Batches due for destruction"),
         "value": pending["to_destroy"], "url": url_for("paper.backlog_page")},
    ]
