"""The dashboard: figures of a period (live + purged), idle venues, drill-downs, exports."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from registry import signals
from registry.extensions import db
from registry.models import AuditEvent
from registry.services import dashboard as dashboard_service
from tests.scenes import START, TODAY, db_count

# --- helpers -----------------------------------------------------------------------------------


# The figures signal: this module answers it, as a feature would.


# The figures signal: this module answers it, as a feature would.
def dashboard_figures(commune_id, start_day, end_day):
    """A stand-in for the paper-sheet feature's figures."""
    return [{"key": "sheets_collected", "label": "Phiếu giấy đã thu", "value": 17,
             "url": "/sheets/?status=collected"}]


def only_these_figures(monkeypatch):
    """The dashboard's extra rows come from this module alone."""
    signal = signals.OrderedSignal()
    signal.connect(dashboard_figures)
    monkeypatch.setattr(signals, "dashboard_figures", signal)


def test_dashboard_figures_add_live_and_purged_counts(app, commune, data):
    """Live check-ins and purged daily counts add up, by category, source and local day."""
    board = dashboard_service.compute_dashboard(commune.id, START, TODAY)
    rows = {r.name: r for r in board.rows}
    school, market = rows["Trường học"], rows["Chợ"]
    assert school.by_source == {"self_scan": 3, "card_scan": 0, "paper": 1, "on_behalf": 1}
    assert market.by_source == {"self_scan": 0, "card_scan": 1, "paper": 4, "on_behalf": 0}
    assert (school.venues, school.posters, school.active) == (1, 1, 1)
    assert (market.posters, market.active) == (0, 1)
    assert rows["Hộ kinh doanh"].active == 0
    assert board.total.checkins == db_count(commune.id, START, TODAY) == 10
    assert board.total.non_digital == 6
    assert board.non_digital_share == pytest.approx(0.6)
    daily = dict(board.daily)
    assert daily[TODAY - timedelta(days=1)]["on_behalf"] == 1  # 23:00 local stays on its day
    assert daily[TODAY - timedelta(days=5)]["paper"] == 4
    assert len(board.daily) == 10


def test_idle_venues_lists_the_people_to_chase(app, commune, data):
    """Venues silent for N days, never-used first, with the last day seen."""
    idle = dashboard_service.idle_venues(commune.id, days=3)
    assert [i.venue.name for i in idle] == ["Tạp hóa Cô Lan"]
    idle = dashboard_service.idle_venues(commune.id, days=3, today=TODAY + timedelta(days=4))
    # Never checked in first, then the longest silent.
    assert [i.venue.name for i in idle] == ["Tạp hóa Cô Lan", "Trường Tiểu học Triệu Sơn",
                                            "Chợ Nưa"]
    assert idle[2].last_checkin_day == TODAY
    assert idle[1].last_checkin_day == TODAY - timedelta(days=1)


def test_dashboard_page(app, client, auth, commune, data, clerk, monkeypatch):
    """The page: SVG chart without inline style, extra figures, links, audited personal data."""
    only_these_figures(monkeypatch)
    auth.login(clerk)
    response = client.get(f"/dashboard/?start={START}&end={TODAY}&days=3")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<svg" in html and "<rect" in html and "style=" not in html
    assert re.search(r'<td>Phiếu giấy đã thu</td><td class="num"><a href="/sheets/\?status=collected">'
                     r'17</a></td>', html)
    assert "Tạp hóa Cô Lan" in html and "0911 222 333" in html and "Trần Thị Lan" in html
    # Each figure links to the records behind it.
    assert f'/dashboard/checkins?source=paper&amp;start={START}&amp;end={TODAY}' in html
    assert "kind=poster" in html and "kind=active" in html
    # Figures in the page equal the database.
    assert ">10</a>" in html
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "dashboard_idle_venues")) == 1


def test_dashboard_bad_period_gets_a_vietnamese_message(app, client, auth, data, clerk):
    """A bad period is explained in Vietnamese on the field."""
    auth.login(clerk)
    html = client.get("/dashboard/?start=abc&end=2026-01-01").get_data(as_text=True)
    assert "Ngày không hợp lệ." in html
    html = client.get(f"/dashboard/?start={TODAY}&end={START}").get_data(as_text=True)
    assert "Ngày cuối kỳ không được trước ngày đầu kỳ." in html


def test_drill_down_to_checkins_and_venues(app, client, auth, commune, data, clerk):
    """Figures lead to the check-ins and venues behind them."""
    auth.login(clerk)
    html = client.get(f"/dashboard/checkins?start={START}&end={TODAY}&source=paper"
                      ).get_data(as_text=True)
    assert "Nguyễn Văn Bình" in html
    assert "Còn 4 lượt khai báo" in html  # the purged day is explained, not listed
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "checkins", AuditEvent.action == "view")) == 1
    html = client.get(f"/dashboard/venues?kind=active&start={START}&end={TODAY}"
                      ).get_data(as_text=True)
    assert "Chợ Nưa" in html and "Tạp hóa Cô Lan" not in html
    assert client.get("/dashboard/checkins?source=bogus").status_code == 404


@pytest.mark.parametrize("table", ["categories", "figures", "daily", "idle"])
def test_exports(app, client, auth, commune, data, clerk, table, monkeypatch):
    """Every dashboard table exports to .xlsx with the same figures; exports are audited."""
    only_these_figures(monkeypatch)
    auth.login(clerk)
    response = client.get(f"/dashboard/export/{table}.xlsx?start={START}&end={TODAY}&days=3")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    if table == "categories":
        # Issue 12 defines the figures: through QR = self-scan + card scan, without a
        # smartphone = card scan + paper + on behalf; paper and on behalf stay columns of
        # their own (together the 6 declarations not made digitally).
        total = dict(zip(rows[0], rows[-1]))
        assert rows[-1][0] == "Tổng cộng" and total["Lượt khai báo"] == 10
        assert total["Phiếu giấy"] + total["Khai báo hộ"] == 6
        assert total["Qua mã QR"] == 4 and total["Tỷ lệ qua mã QR (%)"] == 40
        assert total["Không qua điện thoại thông minh"] == 7
    elif table == "figures":
        assert ("Phiếu giấy đã thu", 17) in rows
        assert ("Qua mã QR", 4) in rows and ("Không qua điện thoại thông minh", 7) in rows
    elif table == "daily":
        assert len(rows) == 11 and sum(r[-1] for r in rows[1:]) == 10
    else:
        assert rows[1][0] == "Tạp hóa Cô Lan" and rows[1][4] == "0911 222 333"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "export")) == 1
