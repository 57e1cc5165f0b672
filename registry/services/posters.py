"""QR posters: the check-in URL of a point, resolving and rotating its token, printing posters."""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from registry.caching import SnapshotCache, detached_copy
from registry.extensions import db
from registry.models import CheckinPoint, Commune, RetiredPointToken, Venue
from registry.models.checkins import new_point_token
from registry.services.audit import record_event
from registry.timeutil import utcnow

# Tokens are URL-safe base64 (secrets.token_urlsafe); anything else is refused before the
# database is asked, so a mangled scan or a probe never reaches a query with odd input.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

# Paper sizes: (CSS page size, side of the QR code itself in mm, without its quiet zone).
# The national rule asks for at least 15 x 15 cm on venue posters (A4 and A3); A5 is for a
# counter top where a 15 cm code does not fit, and is labelled as such in the clerk's menu.
POSTER_SIZES = {
    "A4": ("A4", 152.0),
    "A3": ("A3", 220.0),
    "A5": ("A5", 96.0),
}
DEFAULT_SIZE = "A4"


class TokenState(str, enum.Enum):
    """What a scanned token turned out to be."""

    OK = "ok"
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    WITHDRAWN = "withdrawn"


@dataclass
class ResolvedToken:
    """The outcome of looking up a scanned token."""

    state: TokenState
    point: CheckinPoint | None = None
    retired: RetiredPointToken | None = None
    commune: Commune | None = None  # the code's commune, when known (for its hotline)

    def attached(self) -> "ResolvedToken":
        """The same point and commune in the request's session: the kept copies join it
        without a query (objects already in it stay as they are)."""
        if self.point is None:
            return self
        return ResolvedToken(self.state, point=db.session.merge(self.point, load=False),
                             retired=self.retired,
                             commune=db.session.merge(self.commune, load=False))


def checkin_url(point: CheckinPoint) -> str:
    """The absolute URL printed in the point's QR: the public base URL + /c/<token>."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    # Built from the URL map, not url_for: posters are also rendered by the job worker, outside
    # any request; the public base URL carries any path prefix the site is served under.
    path = current_app.url_map.bind("").build("checkins.page", {"token": point.token})
    return base + path


# Every scan reads its point, venue and commune; they change a few times a year. Kept per
# process (registry/caching.py: emptied by any commit that writes these tables, and at most a
# few seconds stale for a change made in another process).
POINTS_BY_TOKEN = SnapshotCache("points_by_token",
                                ("checkin_points", "venues", "communes", "retired_point_tokens"))
_POINT_BY_TOKEN = (
    select(CheckinPoint, Commune).options(joinedload(CheckinPoint.venue))
    .join(Venue, Venue.id == CheckinPoint.venue_id)
    .join(Commune, Commune.id == Venue.commune_id)
    .where(CheckinPoint.token == bindparam("token")))


def _load_point(token: str, found: list):
    """The point, venue (with its points) and commune of `token` from the database, in the
    request's session (kept in `found`); returns their detached copies to keep, or None."""
    row = db.session.execute(_POINT_BY_TOKEN, {"token": token}).first()
    if row is None:
        return None
    point, commune = row
    found.append((point, commune))
    venue = point.venue
    points = [detached_copy(p) for p in venue.points]
    venue_copy = detached_copy(venue, {"points": points})
    for copy in points:
        set_committed_value(copy, "venue", venue_copy)
    point_copy = next(p for p in points if p.id == point.id)
    return point_copy, detached_copy(commune)


def resolve_token(token: str, *, attach: bool = True) -> ResolvedToken:
    """Find the point behind a scanned token, or say why there is none.

    With `attach=False` a found point and commune may be the process's kept copies, outside
    the request's session: their columns (and the point's venue) can be read, nothing else;
    `attached` puts them into the session when more is needed (a page to render)."""
    if not token or not TOKEN_PATTERN.match(token):
        return ResolvedToken(TokenState.MALFORMED)
    found: list = []
    # The venue and the commune come with the point: every scan needs them.
    kept = POINTS_BY_TOKEN.get(db.session, token, lambda: _load_point(token, found))
    if found:
        return ResolvedToken(TokenState.OK, point=found[0][0], commune=found[0][1])
    if kept is not None:
        if not attach:
            return ResolvedToken(TokenState.OK, point=kept[0], commune=kept[1])
        return ResolvedToken(TokenState.OK, point=kept[0], commune=kept[1]).attached()
    retired = db.session.scalars(
        select(RetiredPointToken).where(RetiredPointToken.token == token)).first()
    if retired is not None:
        return ResolvedToken(TokenState.WITHDRAWN, retired=retired,
                             commune=db.session.get(Commune, retired.point.venue.commune_id))
    return ResolvedToken(TokenState.UNKNOWN)


def rotate_token(point: CheckinPoint, user, reason: str | None = None) -> RetiredPointToken:
    """Withdraw the point's current QR (a leaked or lost poster): new token, version + 1.

    The old token is kept so that the old poster opens a "withdrawn" page, not "unknown".
    """
    retired = RetiredPointToken(point_id=point.id, token=point.token,
                                poster_version=point.poster_version,
                                retired_by_id=user.id if user is not None else None,
                                reason=reason)
    db.session.add(retired)
    old_version = point.poster_version
    point.token = new_point_token()
    point.poster_version = old_version + 1
    point.poster_printed_at = None
    db.session.flush()
    record_event("rotate_qr", point.venue, user=user, reason=reason,
                 details={"point": point.name, "poster_version": [old_version,
                                                                  point.poster_version]})
    return retired


def points_for_batch(commune_id: int, venue_ids: list[int],
                     point_ids: list[int]) -> list[CheckinPoint]:
    """The active points of the chosen venues plus the chosen points, of this commune only."""
    if not venue_ids and not point_ids:
        return []
    stmt = (select(CheckinPoint).join(Venue)
            .where(Venue.commune_id == commune_id, CheckinPoint.is_active.is_(True))
            .where(CheckinPoint.venue_id.in_(venue_ids) | CheckinPoint.id.in_(point_ids))
            .order_by(Venue.search_name, Venue.id, CheckinPoint.id))
    return list(db.session.scalars(stmt))


def mark_printed(points: list[CheckinPoint], user) -> None:
    """Note that posters were downloaded (the dashboard counts printed posters)."""
    now = utcnow()
    for point in points:
        point.poster_printed_at = now
    db.session.flush()
    if points:
        record_event("print_posters", object_type="checkin_points", object_id=points[0].id,
                     user=user, details={"points": len(points)})
