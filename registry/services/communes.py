"""Setting up a commune from the official list of administrative units."""
from __future__ import annotations

from vietnam_provinces import Province, Ward

from registry.extensions import db
from registry.models import Commune, VenueCategory, Village
from registry.services.declarations import add_default_questions
from registry.text import fold, nfc

# The venue categories seen in the seeds (domain.md); an admin can add more per commune.
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
    from sqlalchemy import select

    rows = db.session.scalars(select(VenueCategory).where(VenueCategory.commune_id == commune_id))
    return {c.code: c for c in rows}


def add_village(commune: Commune, name: str) -> Village:
    """Add a village or residential group to the commune's list."""
    village = Village(commune_id=commune.id, name=nfc(name))
    db.session.add(village)
    db.session.flush()
    return village
