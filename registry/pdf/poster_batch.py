"""Large poster batches as a background job: parts rendered by both workers, then joined."""
from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from registry.extensions import db
from registry.jobs import JobContext, JobError, merge_pdf_parts, register_job
from registry.models import CheckinPoint
from registry.pdf.posters import render_posters

# Posters per part: small enough that both worker processes share a batch and progress moves.
POSTERS_PER_PART = 20


def split_poster_job(params: dict) -> list[dict]:
    """Cut the point list into parts of POSTERS_PER_PART."""
    ids = params["point_ids"]
    return [{"point_ids": ids[i:i + POSTERS_PER_PART], "size": params["size"],
             "units": len(ids[i:i + POSTERS_PER_PART])}
            for i in range(0, len(ids), POSTERS_PER_PART)]


def render_poster_part(ctx: JobContext, part: dict) -> None:
    """Render one part's posters, in the order asked for, to the part file."""
    rows = {p.id: p for p in db.session.scalars(
        select(CheckinPoint).where(CheckinPoint.id.in_(part["point_ids"])))}
    points = [rows[i] for i in part["point_ids"] if i in rows]
    if not points:
        raise JobError(_("The check-in points to print no longer exist."))
    ctx.part_path.write_bytes(render_posters(points, part["size"]))


def merge_poster_parts(ctx: JobContext, params: dict, paths: list[Path]) -> tuple[Path, str]:
    """Join the parts page by page."""
    target = merge_pdf_parts(ctx, paths, "ma-qr.pdf")
    return target, f"ma-qr-{len(params['point_ids'])}-diem-{params['size']}.pdf"


register_job("poster_batch", render_poster_part, split=split_poster_job, merge=merge_poster_parts)
