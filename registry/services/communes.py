"""A commune: set up from the official list of administrative units, its settings, and its
list of villages and residential groups."""
from __future__ import annotations

from sqlalchemy import select
from vietnam_provinces import Province, Ward

from registry.extensions import db
from registry.models import Commune, VenueCategory, Village
from registry.services.audit import record_event
from registry.services.declarations import add_default_questions
from registry.text import fold, nfc

# The venue categories the districts listed in 2021; an admin can add more per commune.
# Category names are commune data (editable, printed in Vietnamese reports), not UI strings.
DEFAULT_CATEGORIES = (
    ("state_office", "Cơ quan, đơn vị nhà nước"),
    ("school", "Trường học"),
    ("health", "Cơ sở y tế"),
    ("market", "Chợ"),
    ("enterprise", "Doanh nghiệp"),
    ("household_business", "Hộ kinh doanh"),
    ("public_place", "Điểm công cộng"),
    ("religious", "Cơ sở tôn giáo, tín ngưỡng"),
    ("accommodation", "Cơ sở lưu trú"),
    ("other", "Khác"),
)


class UnknownUnit(ValueError):
    """No commune/ward with that code in the official list."""


def find_units(query: str, limit: int = 20) -> list[tuple[Ward, Province]]:
    """Official communes/wards whose name matches `query` (diacritics and case ignored)."""
    key = fold(query)
    provinces = {p.code: p for p in Province.iter_all()}
    found = []
    for ward in Ward.iter_all():
        province = provinces[ward.province_code]
        if key in fold(ward.name) or key in fold(f"{ward.name} {province.name}"):
            found.append((ward, province))
            if len(found) >= limit:
                break
    return found


def _place_name(ward_name: str) -> str:
    """"Xã Triệu Sơn" → "Triệu Sơn": the place on a document's date line."""
    for prefix in ("Đặc khu ", "Phường ", "Xã "):
        if ward_name.startswith(prefix):
            return ward_name[len(prefix):]
    return ward_name


def create_commune(unit_code: int, *, hotline: str | None = None) -> Commune:
    """A commune for an official unit code (2025 scheme), with the default venue categories."""
    try:
        ward = Ward.from_code(unit_code)
    except (KeyError, ValueError) as exc:
        raise UnknownUnit(unit_code) from exc
    province = Province.from_code(ward.province_code)
    commune = Commune(
        unit_code=int(ward.code),
        unit_scheme="2025",
        name=ward.name,
        province_code=int(province.code),
        province_name=province.name,
        place_name=_place_name(ward.name),
        hotline=hotline,
    )
    db.session.add(commune)
    db.session.flush()
    for position, (code, name) in enumerate(DEFAULT_CATEGORIES):
        db.session.add(VenueCategory(commune_id=commune.id, code=code, name=name,
                                     position=position))
    db.session.flush()
    add_default_questions(commune.id)
    return commune


def categories_for_code(commune_id: int) -> dict[str, VenueCategory]:
    """The commune's venue categories by code."""
    rows = db.session.scalars(select(VenueCategory).where(VenueCategory.commune_id == commune_id))
    return {c.code: c for c in rows}


def add_village(commune: Commune, name: str) -> Village:
    """Add a village or residential group to the commune's list."""
    village = Village(commune_id=commune.id, name=nfc(name))
    db.session.add(village)
    db.session.flush()
    return village


# Settings an admin or clerk changes on the settings page; the audit trail keeps old → new.
SETTINGS = ("place_name", "hotline", "chairman_name", "vice_chairman_name", "retention_days",
            "checkin_merge_minutes", "default_closing_time")


def update_settings(commune: Commune, user, **values) -> dict:
    """Change the commune's settings; returns {name: [old, new]} of what changed."""
    changes = {}
    for name in SETTINGS:
        if name not in values:
            continue
        new = values[name]
        if isinstance(new, str):
            new = nfc(new)
        new = new or (None if name != "place_name" else "")
        if getattr(commune, name) != new:
            changes[name] = [getattr(commune, name), new]
            setattr(commune, name, new)
    if changes:
        record_event("update", commune, user=user, details=changes)
    return changes


def villages_for(commune_id: int, active_only: bool = True) -> list[Village]:
    """The commune's villages/residential groups by name (retired ones too, when asked)."""
    stmt = select(Village).where(Village.commune_id == commune_id)
    if active_only:
        stmt = stmt.where(Village.is_active.is_(True))
    return list(db.session.scalars(stmt.order_by(Village.name)))


class VillageExists(ValueError):
    """The commune's list already has a village of that name (diacritics and case ignored)."""


def register_village(commune: Commune, user, name: str) -> Village:
    """Add a village to the list, unless it is there already under another spelling."""
    if any(fold(v.name) == fold(name) for v in villages_for(commune.id, active_only=False)):
        raise VillageExists(name)
    village = add_village(commune, name)
    record_event("create", village, user=user, commune_id=commune.id)
    return village


def toggle_village(village: Village, user) -> None:
    """Retire a village from the choice lists, or bring it back (records keep their village)."""
    village.is_active = not village.is_active
    record_event("update", village, user=user, commune_id=village.commune_id,
                 details={"is_active": [not village.is_active, village.is_active]})
