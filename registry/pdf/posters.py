"""Rendering QR posters of check-in points to PDF, always in Vietnamese."""
from __future__ import annotations

from flask_babel import force_locale

from registry.extensions import db
from registry.models import CheckinPoint, Commune
from registry.pdf import render_pdf
from registry.pdf.qr import qr_size_with_border, qr_svg_data_uri
from registry.services.posters import DEFAULT_SIZE, POSTER_SIZES, checkin_url
from registry.timeutil import local_today

# Q recovers ~25 % of a scuffed or rained-on poster; never Micro QR (qr_svg_data_uri).
POSTER_ERROR_LEVEL = "q"


def poster_items(points: list[CheckinPoint], size: str) -> list[dict]:
    """What each poster page shows: the point, its venue and commune, the QR and its size."""
    _page, code_mm = POSTER_SIZES[size]
    communes: dict[int, Commune] = {}
    items = []
    for point in points:
        venue = point.venue
        commune = communes.setdefault(venue.commune_id, db.session.get(Commune, venue.commune_id))
        url = checkin_url(point)
        items.append({
            "point": point, "venue": venue, "commune": commune, "url": url,
            "qr": qr_svg_data_uri(url, error=POSTER_ERROR_LEVEL),
            "qr_mm": round(qr_size_with_border(url, code_mm, error=POSTER_ERROR_LEVEL), 2),
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
