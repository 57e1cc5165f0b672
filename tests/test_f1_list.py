"""The F1 list: card-scan contacts filled from the resident register, both agency lines of
the header bold (issue 12)."""
from __future__ import annotations

import io

import pdfplumber
from pdfcheck import page_texts

from registry.extensions import db
from registry.models import CheckinSource
from registry.pdf.f1_list import render_f1_list
from registry.services.checkins import record_checkin
from registry.services.declarations import Declaration
from registry.services.tracing import cases
from registry.timeutil import local_today


def test_card_scan_contacts_come_with_the_register_details(app, commune, make_venue,
                                                          make_resident):
    """A card scan names only the card's holder; the F1 list adds their year of birth, sex and
    address from the register, keeps what a declaration gave, and prints the agency bold."""
    venue = make_venue(name="Chợ Nưa", category="market")
    holder = make_resident(full_name="Lê Thị Mai", birth_year=1958, sex="female",
                           address="Số 5 ngõ Chợ")
    card_visit = record_checkin(venue.points[0], CheckinSource.CARD_SCAN,
                                Declaration(full_name=holder.full_name), resident=holder)
    paper_visit = record_checkin(venue.points[0], CheckinSource.PAPER, Declaration(
        full_name="Trần Văn Bình", birth_year=1990, sex="male", address="Thôn Tây"))
    anonymous = record_checkin(venue.points[0], CheckinSource.CARD_SCAN,
                               Declaration(full_name="Không rõ thẻ"))
    case = cases.create_case(commune.id, None, index_label="BN 7", index_date=local_today(),
                             index_date_kind="test", notes=None)
    cases.add_contacts(case, None, {card_visit.id, paper_visit.id, anonymous.id})
    db.session.commit()
    rows = {row[1]: row for row in cases.f1_rows(case)}
    assert rows["Lê Thị Mai"][2:5] == [1958, "Nữ", ""] and rows["Lê Thị Mai"][6] == (
        "Số 5 ngõ Chợ, Thôn Đông")
    assert rows["Trần Văn Bình"][2] == 1990 and rows["Trần Văn Bình"][6] == "Thôn Tây"
    assert rows["Không rõ thẻ"][2] == "" and rows["Không rõ thẻ"][6] == ""
    with app.test_request_context():
        pdf = render_f1_list(case, commune)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        table = doc.pages[0].extract_table()
    printed = {" ".join(row[1].split()): [" ".join((c or "").split()) for c in row]
               for row in table[1:]}
    assert printed["Lê Thị Mai"][2:4] == ["1958", "Nữ"]
    assert printed["Lê Thị Mai"][6] == "Số 5 ngõ Chợ, Thôn Đông"
    assert "Lê Thị Mai" in page_texts(pdf)[0]
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        words = doc.pages[0].extract_words(extra_attrs=["fontname"])
    header = [w for w in words if w["top"] < 60 and w["text"] in ("ỦY", "BAN", "NHÂN", "DÂN",
                                                                  "XÃ", "TRIỆU", "SƠN")]
    assert {w["text"] for w in header} >= {"ỦY", "BAN", "NHÂN", "DÂN", "XÃ", "TRIỆU", "SƠN"}
    assert all("Bold" in w["fontname"] for w in header), [(w["text"], w["fontname"])
                                                         for w in header]
