"""The command line: accounts, communes, the demo commune."""
from __future__ import annotations

from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Commune, Role, User, Venue, VenueCategory


def test_user_create(runner, commune):
    result = runner.invoke(args=["user", "create", "thuy", "--full-name", "Nguyễn Thị Thúy",
                                 "--role", "clerk", "--password", "hoa-sen-vang-tren-song"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "thuy"))
    assert user.role == Role.CLERK and user.check_password("hoa-sen-vang-tren-song")
    again = runner.invoke(args=["user", "create", "thuy", "--full-name", "X", "--role", "clerk",
                                "--password", "hoa-sen-vang-tren-song"])
    assert again.exit_code != 0 and "taken" in again.output


def test_commune_create_and_find(runner):
    found = runner.invoke(args=["commune", "find", "trieu son"])
    assert "15664" in found.output and "Xã Triệu Sơn" in found.output
    result = runner.invoke(args=["commune", "create", "15664", "--hotline", "0237 3868 123"])
    assert result.exit_code == 0, result.output
    commune = db.session.scalar(select(Commune))
    assert commune.name == "Xã Triệu Sơn" and commune.place_name == "Triệu Sơn"
    assert commune.hotline == "+842373868123"
    bad = runner.invoke(args=["commune", "create", "999999"])
    assert bad.exit_code != 0


def test_seed_demo_has_every_role_and_venues_of_every_category(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    roles = set(db.session.scalars(select(User.role)))
    assert roles == set(Role)
    assert db.session.scalar(select(func.count()).select_from(Venue)) >= 40
    used = set(db.session.scalars(select(Venue.category_id).distinct()))
    assert used == set(db.session.scalars(select(VenueCategory.id)))
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output
