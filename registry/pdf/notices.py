"""Exposure notices of a tracing case, printed for delivery by hand: for each village or
residential group a cover sheet its head signs the deliveries on, then one letter (giấy thông
báo, laid out as Decree 30/2020/NĐ-CP sets out) per person; always in Vietnamese."""
from __future__ import annotations

from datetime import date

from flask_babel import force_locale

from registry.models import Commune, TracingCase
from registry.pdf import render_pdf
from registry.services.tracing.notices import NoticeGroup, watch_until


def decree_date(day: date) -> str:
    """The date line's date as Decree 30 writes it: day below 10 and months 1–2 with a
    leading zero ("ngày 05 tháng 01 năm 2026", "ngày 29 tháng 6 năm 2026")."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def render_notices(case: TracingCase, commune: Commune, groups: list[NoticeGroup],
                   issued_on: date) -> bytes:
    """The cover sheets and letters of `groups` as one PDF."""
    with force_locale("vi"):
        return render_pdf("pdf/notices.html", stylesheets=("base.css", "notices.css"),
                          case=case, commune=commune, groups=groups, issued_on=issued_on,
                          decree_date=decree_date, watch_until=watch_until)
