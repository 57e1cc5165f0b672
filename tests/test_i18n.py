"""Vietnamese by default and complete; English per user; Vietnamese dates and numbers."""
from __future__ import annotations

from datetime import date

from flask_babel import force_locale

from registry.extensions import db
from registry.formatting import long_date, number
from registry.i18n_check import missing_translations
from registry.models import Role


def test_vietnamese_catalog_is_complete_and_not_fuzzy():
    assert missing_translations("vi") == []


def test_catalog_template_is_up_to_date():
    """Every message in the code is in messages.pot (run `flask translate extract`)."""
    import io
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    with open(root / "translations" / "messages.pot", "rb") as fh:
        known = {m.id for m in read_po(fh) if m.id}
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(root / "registry"), method_map, keywords={
                "_": None, "_l": None, "gettext": None, "ngettext": (1, 2),
                "lazy_gettext": None, "pgettext": ((1, "c"), 2),
                "lazy_pgettext": ((1, "c"), 2)}):
        found.add(message if isinstance(message, str) else message[0])
    assert found - known == set(), "run `flask translate extract`"
    del io


def test_vietnamese_is_the_default(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "Đăng nhập" in page and 'lang="vi"' in page


def test_english_per_user(client, auth, make_user):
    user = make_user(Role.CLERK, locale="en")
    auth.login(user)
    page = client.get("/venues/").get_data(as_text=True)
    assert "Register a venue" in page and 'lang="en"' in page
    client.post("/language", data={"lang": "vi"})
    db.session.refresh(user)
    assert user.locale == "vi"
    assert "Đăng ký địa điểm" in client.get("/venues/").get_data(as_text=True)


def test_dates_and_numbers(app):
    with app.test_request_context():
        with force_locale("vi"):
            assert long_date(date(2021, 11, 10)) == "ngày 10 tháng 11 năm 2021"
            assert long_date(date(2026, 1, 5)) == "ngày 05 tháng 01 năm 2026"
            assert long_date(date(2026, 2, 28)) == "ngày 28 tháng 02 năm 2026"
            assert long_date(date(2026, 6, 29)) == "ngày 29 tháng 6 năm 2026"
            assert number(1250) == "1.250"
        with force_locale("en"):
            assert number(1250) == "1,250"
