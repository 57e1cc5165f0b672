"""QR posters of check-in points, always in Vietnamese; large batches as a background job whose
parts both workers render, then joined."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from registry.extensions import db
from registry.models import CheckinPoint, Commune
from registry.pdf import merge_pdfs, render_pdf
from registry.pdf.qr import qr_svg_sized
from registry.services.jobs import JobContext, JobError, JobKind
from registry.services.posters import DEFAULT_SIZE, POSTER_SIZES, checkin_url
from registry.text import fold
from registry.timeutil import local_today

# Q recovers ~25 % of a scuffed or rained-on poster; never Micro QR (qr_svg_data_uri).
POSTER_ERROR_LEVEL = "q"


def address_line(venue, commune: Commune) -> str:
    """Where the venue is, each place named once: its address, then its village, commune and
    province unless the address already says them ("Thôn Đông, Xã Triệu Sơn" is followed by
    "Thanh Hóa" only, not by "Xã Triệu Sơn" again)."""
    parts = [venue.address] if venue.address else []
    for place in (venue.village.name if venue.village else None, commune.name,
                  commune.province_name):
        if place and not any(fold(place) in fold(part) for part in parts):
            parts.append(place)
    return ", ".join(parts)


def poster_items(points: list[CheckinPoint], size: str) -> list[dict]:
    """What each poster page shows: the point, its venue and commune, the QR and its size."""
    _page, code_mm = POSTER_SIZES[size]
    communes: dict[int, Commune] = {}
    items = []
    for point in points:
        venue = point.venue
        commune = communes.setdefault(venue.commune_id, db.session.get(Commune, venue.commune_id))
        url = checkin_url(point)
        qr, qr_mm = qr_svg_sized(url, code_mm, error=POSTER_ERROR_LEVEL)
        items.append({
            "point": point, "venue": venue, "commune": commune, "url": url,
            "address": address_line(venue, commune),
            "qr": qr, "qr_mm": round(qr_mm, 2),
            # Several points of one venue each get a poster; name the point only then.
            "show_point": len(venue.points) > 1,
        })
    return items


def render_posters(points: list[CheckinPoint], size: str = DEFAULT_SIZE) -> bytes:
    """One PDF with a poster page per check-in point (Vietnamese, whatever the clerk's language)."""
    if size not in POSTER_SIZES:
        size = DEFAULT_SIZE
    with force_locale("vi"):
        return render_pdf("pdf/poster.html", stylesheets=("base.css", "posters.css"),
                          items=poster_items(points, size), size=size,
                          page_size=POSTER_SIZES[size][0], printed_on=local_today())


def warm_up_posters(size: str = DEFAULT_SIZE) -> None:
    """Lay out one poster of made-up data and throw it away.

    The first poster of a process paid for what every later one reuses: the font configuration
    and the fonts it opens (fontconfig, Pango), the parsed print stylesheets, the compiled
    template, the SVG and font-subsetting code WeasyPrint loads on first use. A web worker and
    a job worker do this once when they start (wsgi.py, consumer.py), so that no clerk waits
    for it. Needs an app context; writes nothing.
    """
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/c/" + "W" * 27
    commune = SimpleNamespace(name="Xã Mẫu", province_name="Tỉnh Mẫu", hotline="+842373868123")
    venue = SimpleNamespace(name="Điểm mẫu Ướt Ẩm Ỷ", address="Thôn Đông", is_suspended=False)
    point = SimpleNamespace(name="Cổng chính", poster_version=1)
    _page, code_mm = POSTER_SIZES[size]
    qr, qr_mm = qr_svg_sized(url, code_mm, error=POSTER_ERROR_LEVEL)
    item = {"point": point, "venue": venue, "commune": commune, "url": url, "qr": qr,
            "qr_mm": round(qr_mm, 2), "show_point": True}
    with force_locale("vi"):
        render_pdf("pdf/poster.html", stylesheets=("base.css", "posters.css"), items=[item],
                   size=size, page_size=POSTER_SIZES[size][0], printed_on=local_today())


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
    target = merge_pdfs(paths, ctx.workdir / "ma-qr.pdf")
    return target, f"ma-qr-{len(params['point_ids'])}-diem-{params['size']}.pdf"


def poster_job_kind(_app) -> JobKind:
    """The poster batch job (a receiver of `signals.job_kinds`)."""
    return JobKind("poster_batch", render_poster_part, split=split_poster_job,
                   merge=merge_poster_parts)
