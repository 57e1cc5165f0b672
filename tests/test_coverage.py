"""Coverage of every venue: figures per venue that equal the database across local midnight,
the ready-made lists holding exactly the right venues, the page, the export, the dashboard's
counts and the default period (issue 12)."""
from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import (AuditEvent, Checkin, CheckinDailyCount, FormKind, SheetStatus,
                             VenueStatus)
from registry.services import coverage as cov
from registry.services.dashboard import compute_dashboard
from registry.services.paper.custody import collect_batch, create_batch, hand_batch
from registry.timeutil import local_to_utc, local_today
from tests.scenes import CARD, OB, PAPER, S, kept_count, visit

TODAY = local_today()
START, END = TODAY - timedelta(days=9), TODAY - timedelta(days=2)  # 8 days, not a month
PREV_START, PREV_END = START - timedelta(days=8), START - timedelta(days=1)


def at(day, hour, minute=0):
    """A local time on a day."""
    return datetime.combine(day, time(hour, minute))


def venue_count(venue_id, start, end, sources=None) -> int:
    """Live plus purged check-ins of a venue over the local days start..end, from the tables."""
    lo = local_to_utc(datetime.combine(start, time.min))
    hi = local_to_utc(datetime.combine(end + timedelta(days=1), time.min))
    live = select(func.count()).select_from(Checkin).where(
        Checkin.venue_id == venue_id, Checkin.checked_in_at >= lo, Checkin.checked_in_at < hi)
    kept = select(func.coalesce(func.sum(CheckinDailyCount.count), 0)).where(
        CheckinDailyCount.venue_id == venue_id, CheckinDailyCount.day >= start,
        CheckinDailyCount.day <= end)
    if sources:
        live = live.where(Checkin.source.in_(sources))
        kept = kept.where(CheckinDailyCount.source.in_(sources))
    return db.session.scalar(live) + db.session.scalar(kept)


@pytest.fixture
def laggards(app, commune, make_venue, clerk):
    """A school that scans (visits on both sides of local midnight), a shop with a poster and
    no visit holding paper sheets, a market without a poster whose visits dropped, a suspended
    temple, and a school batch returned but mostly not keyed."""
    school = make_venue(name="Trường THCS Triệu Sơn")
    shop = make_venue(name="Tạp hóa Cô Lan", category="household_business",
                      manager_name="Trần Thị Lan", manager_phone="+84911222333")
    market = make_venue(name="Chợ Nưa", category="market", manager_name="Lê Thị Chợ",
                        manager_phone="+84987654321")
    temple = make_venue(name="Chùa Linh Quang", category="religious")
    registered = local_to_utc(at(START - timedelta(days=30), 8))
    for venue in (school, shop, market, temple):
        venue.created_at = registered
        for point in venue.points:
            point.created_at = registered
    printed = local_to_utc(at(START - timedelta(days=20), 10))
    school.points[0].poster_printed_at = printed
    shop.points[0].poster_printed_at = printed
    shop.points[0].poster_version = 2
    temple.status = VenueStatus.SUSPENDED
    gate = school.points[0]
    # In the period: 00:10 on its first local day (17:10 UTC the day before) and 23:50 on its
    # last (16:50 UTC) count; 00:20 local the day after it (still the last day in UTC) does not.
    visit(gate, S, "Nguyễn Văn An", at(START, 0, 10))
    visit(gate, S, "Lê Thị Bình", at(END, 23, 50))
    visit(gate, S, "Trần Văn Cường", at(END + timedelta(days=1), 0, 20))
    visit(gate, CARD, "Phạm Thị Dung", at(START + timedelta(days=2), 8))
    visit(gate, PAPER, "Hoàng Văn Em", at(START + timedelta(days=3), 9))
    visit(gate, OB, "Vũ Thị Hoa", at(START + timedelta(days=3), 10))
    visit(gate, S, "Đỗ Văn Giang", at(START - timedelta(days=1), 23, 59))  # previous period
    kept_count(school, "paper", START + timedelta(days=1), 3)  # purged, still counted
    # The market: six visits the period before, two now (dropped by more than half).
    for i in range(6):
        visit(market.points[0], CARD, f"Khách {i}", at(PREV_START + timedelta(days=i), 9))
    visit(market.points[0], CARD, "Khách mới", at(START + timedelta(days=4), 9))
    visit(market.points[0], OB, "Khách cũ", at(START + timedelta(days=5), 9))
    # Paper: ten sheets at the shop, never collected; four of the school's came back, one keyed.
    out = create_batch(shop.points[0], FormKind.SLIP, 10, clerk)
    hand_batch(out, clerk, START, "Chị Lan")
    back = create_batch(gate, FormKind.LOG, 5, clerk)
    hand_batch(back, clerk, START - timedelta(days=3), "Anh Bảo")
    collect_batch(back, clerk, START + timedelta(days=1), "Nguyễn Thị Thúy", 4)
    keyed = back.sheets[0]
    keyed.status, keyed.keyed_at = SheetStatus.KEYED, local_to_utc(at(START + timedelta(days=2),
                                                                      15))
    db.session.commit()
    return {"school": school, "shop": shop, "market": market, "temple": temple}


def test_venue_figures_equal_the_database_across_midnight(app, commune, laggards):
    """Every venue's figures by source, previous period and paper equal counts from the
    tables for a period whose edges cross local midnight."""
    coverage = cov.compute_coverage(commune.id, START, END)
    rows = {r.venue.name: r for r in coverage.rows}
    school = rows["Trường THCS Triệu Sơn"]
    assert school.by_source == {"self_scan": 2, "card_scan": 1, "paper": 4, "on_behalf": 1}
    for row in coverage.rows:
        assert row.total == venue_count(row.venue.id, START, END)
        assert row.previous_total == venue_count(row.venue.id, PREV_START, PREV_END)
        assert row.figures["through_qr"] == venue_count(row.venue.id, START, END,
                                                        (S, CARD))
        assert row.figures["without_smartphone"] == venue_count(row.venue.id, START, END,
                                                                (CARD, PAPER, OB))
    assert school.previous_total == 1 and school.total == 8
    assert (school.paper_handed, school.paper_returned, school.paper_keyed) == (0, 4, 1)
    assert (school.paper_out, school.paper_waiting) == (0, 3)
    shop = rows["Tạp hóa Cô Lan"]
    assert (shop.posters, shop.points, shop.poster_version) == (1, 1, 2)
    assert (shop.paper_handed, shop.paper_out) == (10, 10)
    assert school.last_day == END and school.last_is_exact
    market = rows["Chợ Nưa"]
    assert market.change == pytest.approx(-66.7)
    # The same functions feed the dashboard: its totals are the sum of the venues.
    board = compute_dashboard(commune.id, START, END, with_extra=False)
    assert board.figures["total"] == sum(r.total for r in coverage.rows) == 10
    assert board.figures["through_qr"] == sum(r.figures["through_qr"] for r in coverage.rows)


def test_lists_hold_exactly_the_right_venues(app, commune, laggards, clerk):
    """Each ready-made list holds its venues and no other; a suspended venue is in none."""
    coverage = cov.compute_coverage(commune.id, START, END)
    names = {key: {r.venue.name for r in coverage.in_list(key)} for key in cov.LIST_KEYS}
    assert names == {
        cov.QR_NO_CHECKIN: {"Tạp hóa Cô Lan"},
        cov.NO_QR: {"Chợ Nưa"},
        cov.PAPER_NOT_RETURNED: {"Tạp hóa Cô Lan"},
        cov.PAPER_NOT_KEYED: {"Trường THCS Triệu Sơn"},
        cov.DROPPED: {"Chợ Nưa"},
    }
    assert coverage.counts == {key: 1 for key in cov.LIST_KEYS}
    # Filters: a category, a status.
    markets = cov.compute_coverage(commune.id, START, END, category_id=laggards[
        "market"].category_id)
    assert [r.venue.name for r in markets.rows] == ["Chợ Nưa"]
    suspended = cov.compute_coverage(commune.id, START, END, status="suspended")
    assert [r.venue.name for r in suspended.rows] == ["Chùa Linh Quang"]
    # Once the shop's sheets come back (after the period) they still count as out at its end.
    collect_batch(_shop_batch(laggards["shop"]), clerk, TODAY, "Chị Lan", 10)
    db.session.commit()
    later = cov.compute_coverage(commune.id, START, END)
    assert {r.venue.name for r in later.in_list(cov.PAPER_NOT_RETURNED)} == {"Tạp hóa Cô Lan"}
    now = cov.compute_coverage(commune.id, TODAY - timedelta(days=1), TODAY)
    assert now.in_list(cov.PAPER_NOT_RETURNED) == []


def _shop_batch(shop):
    """The batch of sheets handed to the shop."""
    from registry.models import PaperBatch

    return db.session.scalars(select(PaperBatch).where(PaperBatch.venue_id == shop.id)).one()


def test_coverage_page_lists_and_export(app, client, auth, commune, laggards, chairman):
    """The page shows every venue's figures and the lists with their counts, a phone link per
    venue, and exports the same figures; views and exports are audited."""
    auth.login(chairman)
    query = f"start={START}&end={END}"
    html = client.get(f"/coverage/?{query}").get_data(as_text=True)
    assert "Độ phủ các địa điểm" in html and "Trường THCS Triệu Sơn" in html
    assert 'href="tel:+84911222333"' in html and "0911 222 333" in html
    for key in cov.LIST_KEYS:
        assert re.search(rf'list={key}&amp;start={START}&amp;end={END}">[^<]+<span '
                         r'class="value">1</span>', html), key
    listed = client.get(f"/coverage/?{query}&list=qr_no_checkin").get_data(as_text=True)
    assert "Tạp hóa Cô Lan" in listed and "Chợ Nưa" not in listed
    assert "Trường THCS Triệu Sơn" not in listed
    assert "Soạn công văn" not in listed  # the chairman reads; the clerk drafts
    response = client.get(f"/coverage/export.xlsx?{query}")
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    by_name = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    school = by_name["Trường THCS Triệu Sơn"]
    assert school["Lượt khai báo"] == 8 == venue_count(laggards["school"].id, START, END)
    assert school["Qua mã QR"] == 3 and school["Không qua điện thoại thông minh"] == 6
    assert school["Kỳ trước"] == 1 and school["Số tờ đã nộp, chưa nhập"] == 3
    assert by_name["Tạp hóa Cô Lan"]["Điện thoại"] == "0911 222 333"
    assert by_name["Chợ Nưa"]["Thay đổi (%)"] == pytest.approx(-66.7)
    events = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "coverage")).all()
    assert sorted(events) == ["export", "view", "view"]


def test_default_period_is_the_last_30_days(app, client, auth, commune, laggards, clerk):
    """Without a period the coverage page and the dashboard show the last 30 days, and offer
    this month and last month as one click; a wrong filter is explained, not a 500."""
    auth.login(clerk)
    first = TODAY.replace(day=1)
    last_month_end = first - timedelta(days=1)
    for url in ("/coverage/", "/dashboard/"):
        html = client.get(url).get_data(as_text=True)
        # The boxes read day first (issue 13: whatever the browser's language); links stay ISO.
        assert f'value="{TODAY - timedelta(days=29):%d/%m/%Y}"' in html
        assert f'value="{TODAY:%d/%m/%Y}"' in html
        assert "30 ngày qua" in html and "Tháng này" in html
        assert (f"start={last_month_end.replace(day=1)}&amp;end={last_month_end}") in html
    bad = client.get("/coverage/?status=bogus")
    assert bad.status_code == 200 and "Lựa chọn không hợp lệ." in bad.get_data(as_text=True)


def test_dashboard_shows_defined_figures_and_list_counts(app, client, auth, commune, laggards,
                                                         clerk):
    """The dashboard counts through QR and without a smartphone as defined, writes the
    definitions under them and links each list's count to the coverage page."""
    auth.login(clerk)
    html = client.get(f"/dashboard/?start={START}&end={END}").get_data(as_text=True)
    # 10 declarations: through QR 2 self-scans + 2 card scans; without a smartphone 2 card
    # scans + 4 paper + 2 on behalf.
    assert re.search(r'source=through_qr[^"]*">4</a>', html)
    assert re.search(r'source=no_smartphone[^"]*">8</a>', html)
    assert "40 % tổng số lượt khai báo" in html
    assert "tự quét mã + quét thẻ" in html and "quét thẻ + phiếu giấy + khai báo hộ" in html
    for key in cov.LIST_KEYS:
        assert f'/coverage/?list={key}&amp;start={START}&amp;end={END}' in html
    # The drill-down of a group lists exactly its check-ins.
    drill = client.get(f"/dashboard/checkins?source=no_smartphone&start={START}&end={END}")
    text = drill.get_data(as_text=True)
    assert "Phạm Thị Dung" in text and "Nguyễn Văn An" not in text
