"""The demo commune loaded by `flask seed-demo` (and `make run` on an empty database).

The commune, its villages, accounts and venues are made here; then every feature with demo data
adds it through the `seed_demo` signal (its seeder is in this package, under the feature's
name), in the order the features are set up.
"""
from __future__ import annotations

import random

from registry import signals
from registry.extensions import db
from registry.formatting import in_running_text
from registry.models import Commune, Role, User
from registry.services.communes import add_village, categories_for_code, create_commune
from registry.services.users import create_user
from registry.services.venues import register_venue

DEMO_UNIT_CODE = 15664  # Xã Triệu Sơn, Tỉnh Thanh Hóa (2025 scheme)
DEMO_PASSWORD = "demo12345"

DEMO_USERS = (
    ("admin", "Lê Văn Quản", Role.ADMIN),
    ("vanhoa", "Nguyễn Thị Thúy", Role.CLERK),
    ("nhaplieu", "Trần Văn Nhập", Role.DATA_ENTRY),
    ("nhaplieu2", "Phạm Thị Hai", Role.DATA_ENTRY),
    ("chutich", "Lê Quang Trung", Role.CHAIRMAN),
    ("tramyte", "Hoàng Thị Y", Role.TRACER),
    ("diadiem", "Đỗ Văn Cổng", Role.VENUE),
)

VILLAGES = ("Thôn Đông", "Thôn Tây", "Thôn Nam", "Thôn Bắc", "Thôn Trung", "Thôn Phú Thọ",
            "Thôn Văn Phú", "Tổ dân phố 1", "Tổ dân phố 2", "Tổ dân phố 3")

# (category code, venue name, check-in points)
VENUES = (
    ("state_office", "Ủy ban nhân dân xã Triệu Sơn", ["Bộ phận một cửa", "Cổng chính"]),
    ("state_office", "Công an xã Triệu Sơn", []),
    ("state_office", "Bưu điện văn hóa xã", []),
    ("state_office", "Nhà văn hóa Thôn Đông", []),
    ("school", "Trường Tiểu học Triệu Sơn", ["Cổng chính", "Cổng phụ"]),
    ("school", "Trường THCS Triệu Sơn", ["Cổng chính"]),
    ("school", "Trường Mầm non Hoa Sen", []),
    ("school", "Trường THPT Triệu Sơn 1", ["Cổng chính", "Nhà đa năng"]),
    ("health", "Trạm Y tế xã Triệu Sơn", ["Khu tiếp đón", "Khu tiêm chủng"]),
    ("health", "Phòng khám đa khoa Bình An", []),
    ("health", "Nhà thuốc Minh Châu", []),
    ("market", "Chợ Nưa", ["Cổng Đông", "Cổng Tây", "Khu hàng cá"]),
    ("market", "Chợ Đầu mối Triệu Sơn", []),
    ("enterprise", "Công ty TNHH May Triệu Sơn", ["Cổng bảo vệ"]),
    ("enterprise", "Công ty CP Gạch ngói Sơn Hà", []),
    ("enterprise", "HTX Nông nghiệp Dân Lực", []),
    ("enterprise", "Ngân hàng Agribank Chi nhánh Triệu Sơn", []),
    ("household_business", "Tạp hóa Cô Lan", []),
    ("household_business", "Quán phở Hùng Béo", []),
    ("household_business", "Cửa hàng điện thoại Tuấn Anh", []),
    ("household_business", "Tiệm cắt tóc Thanh Xuân", []),
    ("household_business", "Quán cà phê Góc Phố", []),
    ("household_business", "Cửa hàng vật liệu xây dựng Hòa Phát", []),
    ("public_place", "Sân vận động xã", []),
    ("public_place", "Bến xe khách Triệu Sơn", ["Phòng chờ", "Bãi đỗ"]),
    ("public_place", "Nhà văn hóa Tổ dân phố 2", []),
    ("public_place", "Công viên trung tâm", []),
    ("religious", "Chùa Linh Quang", []),
    ("religious", "Nhà thờ giáo xứ Triệu Sơn", []),
    ("religious", "Đền thờ Lê Lai", []),
    ("accommodation", "Nhà nghỉ Hoa Hồng", ["Lễ tân"]),
    ("accommodation", "Khách sạn Sao Mai", ["Lễ tân"]),
    ("accommodation", "Nhà nghỉ Bình Minh", []),
    ("other", "Bãi tập kết nông sản Thôn Nam", []),
    ("other", "Trạm cân Thôn Bắc", []),
    ("market", "Siêu thị mini Thành Đạt", []),
    ("household_business", "Tiệm vàng Kim Long", []),
    ("school", "Trung tâm học tập cộng đồng", []),
    ("health", "Phòng khám răng Nụ Cười", []),
    ("public_place", "Quảng trường xã", []),
    ("enterprise", "Xưởng mộc Đức Thịnh", []),
)

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Đặng", "Ngô")
GIVEN = ("Văn An", "Thị Bình", "Văn Cường", "Thị Dung", "Minh Đức", "Thị Hà", "Quang Huy",
         "Thị Lan", "Văn Long", "Thị Mai", "Hữu Nam", "Thị Oanh", "Văn Phúc", "Thị Quyên")

def demo_person(rng: random.Random) -> tuple[str, str]:
    """A plausible Vietnamese full name and mobile number."""
    name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
    phone = "+849" + "".join(str(rng.randint(0, 9)) for _ in range(8))
    return name, phone


def seed_demo(seed: int = 2021) -> Commune:
    """Create the demo commune with every role, ~40 venues and each feature's demo data."""
    rng = random.Random(seed)
    commune = create_commune(DEMO_UNIT_CODE, hotline="+842373868123")
    commune.chairman_name = "Lê Văn Tiến"
    commune.vice_chairman_name = "Lê Quang Trung"
    villages = [add_village(commune, name) for name in VILLAGES]
    categories = categories_for_code(commune.id)
    admin = create_user(commune.id, username="admin", full_name="Lê Văn Quản", role=Role.ADMIN,
                        password=DEMO_PASSWORD)
    venues = []
    for code, name, points in VENUES:
        manager, phone = demo_person(rng)
        village = rng.choice(villages)
        venues.append(register_venue(
            commune.id, admin, point_names=points, name=name, category_id=categories[code].id,
            address=f"{village.name}, {in_running_text(commune.name)}", village_id=village.id,
            manager_name=manager, manager_phone=phone, notes=None))
    users: dict[str, User] = {"admin": admin}
    for username, full_name, role in DEMO_USERS[1:]:
        users[username] = create_user(
            commune.id, username=username, full_name=full_name, role=role,
            password=DEMO_PASSWORD, venue_id=venues[8].id if role == Role.VENUE else None,
            by=admin)
    context = {"users": users, "venues": venues, "villages": villages}
    signals.seed_demo.send(commune, context=context, rng=rng)
    db.session.flush()
    return commune
