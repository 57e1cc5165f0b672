"""Registering venues and their check-in points (by hand or from a spreadsheet), their
categories, with the audit trail."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from registry.extensions import db
from registry.models import CheckinPoint, Venue, VenueCategory, VenueStatus
from registry.services.audit import record_event
from registry.services.imports import ImportOutcome, ImportResult
from registry.text import fold, like_pattern, nfc, nfc_multiline
from registry.timeutil import utcnow

# Fields of a venue a clerk edits; the audit trail records old → new for each.
EDITABLE_FIELDS = ("name", "category_id", "address", "village_id", "manager_name",
                   "manager_phone", "notes", "closing_time", "default_stay_minutes")


@dataclass
class VenueFilter:
    """What the venue list is narrowed to."""

    query: str = ""
    category_id: int | None = None
    village_id: int | None = None
    status: VenueStatus | None = None


def venue_query(commune_id: int, flt: VenueFilter) -> Select:
    """The commune's venues matching `flt`, ordered by name."""
    stmt = select(Venue).where(Venue.commune_id == commune_id)
    if flt.query:
        pattern = like_pattern(flt.query)
        stmt = stmt.where(Venue.search_name.like(pattern, escape="\\"))
    if flt.category_id:
        stmt = stmt.where(Venue.category_id == flt.category_id)
    if flt.village_id:
        stmt = stmt.where(Venue.village_id == flt.village_id)
    if flt.status:
        stmt = stmt.where(Venue.status == flt.status)
    return stmt.order_by(Venue.search_name, Venue.id)


def count_venues(commune_id: int, flt: VenueFilter) -> int:
    """How many venues `venue_query` would list."""
    sub = venue_query(commune_id, flt).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(sub))


def _clean(key: str, value):
    """NFC text; notes keep their line breaks."""
    if not isinstance(value, str):
        return value
    return nfc_multiline(value) if key == "notes" else nfc(value)


def _clean_points(point_names: list[str]) -> list[str]:
    names = [nfc(n) for n in point_names if n and nfc(n)]
    return names or ["Cổng chính"]


def _new_venue(commune_id: int, user, point_names: list[str], fields: dict
               ) -> tuple[Venue, dict]:
    """A venue with its check-in points, built but not yet added; and its cleaned fields."""
    values = {k: _clean(k, v) for k, v in fields.items()}
    venue = Venue(commune_id=commune_id, search_name=fold(values["name"]),
                  created_by_id=user.id, updated_by_id=user.id, **values)
    for name in _clean_points(point_names):
        venue.points.append(CheckinPoint(name=name))
    return venue, values


def _record_created(venue: Venue, values: dict, user) -> None:
    """The audit row of a venue just registered (its id known), with the fields it got."""
    record_event("create", venue, user=user,
                 details={k: [None, v] for k, v in values.items() if v not in (None, "")})


def register_venue(commune_id: int, user, *, point_names: list[str], **fields) -> Venue:
    """Create a venue with its check-in points (at least one, "Cổng chính" by default)."""
    venue, values = _new_venue(commune_id, user, point_names, fields)
    db.session.add(venue)
    db.session.flush()
    _record_created(venue, values, user)
    return venue


def update_venue(venue: Venue, user, *, point_names: list[str] | None = None,
                 flush: bool = True, **fields) -> dict:
    """Apply changed fields (and new point names) to `venue`; return {field: [old, new]}
    (`flush=False`: an import flushes all its rows at once)."""
    changes: dict = {}
    for key in EDITABLE_FIELDS:
        if key not in fields:
            continue
        new = _clean(key, fields[key])
        new = new or None if key != "name" else new
        old = getattr(venue, key)
        if old != new:
            changes[key] = [old, new]
            setattr(venue, key, new)
    if "name" in changes:
        venue.search_name = fold(venue.name)
    if point_names is not None:
        existing = {p.name for p in venue.points}
        for name in _clean_points(point_names):
            if name not in existing:
                venue.points.append(CheckinPoint(name=name))
                changes.setdefault("points_added", [None, []])[1].append(name)
        if "points_added" in changes:
            changes["points_added"][1] = ", ".join(changes["points_added"][1])
    if changes:
        venue.updated_by_id = user.id
        venue.updated_at = utcnow()
        if flush:
            db.session.flush()
        record_event("update", venue, user=user, details=changes)
    return changes


def set_venue_status(venue: Venue, user, status: VenueStatus, reason: str | None = None) -> None:
    """Suspend or reactivate a venue; a suspended venue's posters say so and take no check-ins."""
    if venue.status == status:
        return
    old = venue.status
    venue.status = status
    venue.updated_by_id = user.id
    venue.updated_at = utcnow()
    db.session.flush()
    action = "suspend" if status == VenueStatus.SUSPENDED else "reactivate"
    record_event(action, venue, user=user, details={"status": [old, status]}, reason=reason)


def categories_for(commune_id: int) -> list[VenueCategory]:
    """The commune's venue categories in display order."""
    return list(db.session.scalars(
        select(VenueCategory).where(VenueCategory.commune_id == commune_id)
        .order_by(VenueCategory.position, VenueCategory.name)))


class CategoryExists(ValueError):
    """The commune already has a category of that name."""


def add_category(commune_id: int, name: str) -> VenueCategory:
    """Add a venue category of the commune's own (after the defaults in the lists)."""
    name = nfc(name)
    code = fold(name).replace(" ", "_")[:40]
    if db.session.scalar(select(func.count()).select_from(VenueCategory).where(
            VenueCategory.commune_id == commune_id, VenueCategory.code == code)):
        raise CategoryExists(name)
    category = VenueCategory(commune_id=commune_id, code=code, name=name, position=1000)
    db.session.add(category)
    db.session.flush()
    return category


def venue_key(name: str | None, address: str | None) -> str:
    """What makes two venues the same for an import: the name and the address, without
    diacritics, case or extra spaces ("Chợ Nưa", "Thôn Đông" = "CHO NUA", "thon dong")."""
    return fold(name) + "|" + fold(address)


def venues_by_key(commune_id: int) -> dict[str, Venue]:
    """The commune's venues by `venue_key`, to mark import rows that are already registered."""
    return {venue_key(v.name, v.address): v for v in db.session.scalars(
        select(Venue).where(Venue.commune_id == commune_id).order_by(Venue.id))}


# What an import may change on a venue already registered: not its name and address, which
# are how the row found it.
_IMPORT_UPDATES = ("category_id", "village_id", "manager_name", "manager_phone", "notes")


def import_venues(commune_id: int, user, result: ImportResult, *,
                  update_existing: bool = False) -> ImportOutcome:
    """Register every new row of a valid import; rows matching a registered venue are skipped,
    or update it (filled cells only, new check-in points added) with `update_existing`. The
    request commits or rolls back all of them."""
    if not result.is_valid:
        raise ValueError("import has errors")
    outcome = ImportOutcome()
    # The registered venues the rows match, with their points, in one query per thousand.
    matched = [row.existing_id for row in result.data_rows if row.existing_id is not None]
    loaded = []  # held here: the session's identity map keeps only weak references
    if update_existing:
        for i in range(0, len(matched), 1000):
            loaded += db.session.scalars(select(Venue).options(selectinload(Venue.points))
                                         .where(Venue.id.in_(matched[i:i + 1000]))).all()
    added = []
    with db.session.no_autoflush:  # the rows are written together below, not one by one
        for row in result.data_rows:
            fields = dict(row.cleaned)
            point_names = fields.pop("point_names")
            if row.existing_id is None:
                added.append(_new_venue(commune_id, user, point_names, fields))
                continue
            venue = db.session.get(Venue, row.existing_id)
            if not update_existing or venue is None or venue.commune_id != commune_id:
                outcome.skipped += 1
                continue
            changes = update_venue(venue, user, point_names=point_names or None, flush=False,
                                   **{k: fields[k] for k in _IMPORT_UPDATES
                                      if fields.get(k) not in (None, "")})
            outcome.updated += bool(changes)
            outcome.skipped += not changes
    # One flush inserts the new venues and their points in batches, then their audit rows.
    db.session.add_all([venue for venue, _values in added])
    db.session.flush()
    for venue, values in added:
        _record_created(venue, values, user)
    outcome.added = len(added)
    db.session.flush()
    return outcome
