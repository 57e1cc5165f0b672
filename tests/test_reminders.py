"""Following up the laggards: a reminder drafted from a coverage list, numbered and frozen
through the register like a report, the venues' follow-ups, and the coverage page showing
whether activity came back (issue 12)."""
from __future__ import annotations

import hashlib
from datetime import date, timedelta

from pdfcheck import page_texts
from sqlalchemy import select

from registry.extensions import db
from registry.models import (FollowUpKind, OutgoingDocument, Reminder, ReportStatus, Role,
                             VenueFollowUp)
from registry.pdf.reminders import render_reminder_pdf
from registry.pdf.reports import render_report_pdf
from registry.services import coverage as cov
from registry.services.reminders import draft_reminder, sign_off_reminder, submit_reminder
from registry.services.reports.drafting import create_report, default_recipients, submit_report
from registry.services.reports.sign_off import sign_off
from registry.services.checkins import record_checkin
from registry.services.declarations import Declaration
from tests.scenes import S, visit
from tests.test_coverage import END, START, TODAY, at
from tests.test_coverage import laggards as laggards  # noqa: F401  (the shared fixture)


def signed_reminder(commune, clerk, chairman, venue_ids, today=date(2026, 1, 5),
                    list_key=cov.QR_NO_CHECKIN):
    """A reminder drafted from a list, submitted and signed off on `today`."""
    reminder = draft_reminder(commune, clerk, list_key, START, END, venue_ids)
    submit_reminder(reminder, clerk)
    sign_off_reminder(reminder, chairman, render_reminder_pdf, today=today)
    db.session.commit()
    return reminder


def test_reminder_is_drafted_from_a_list_over_http(app, client, auth, commune, laggards, clerk):
    """The clerk ticks the list's venues and gets a pre-written công văn addressed to them;
    venues not on the list are ignored, and nothing ticked is refused."""
    auth.login(clerk)
    shop, school = laggards["shop"], laggards["school"]
    listed = client.get(f"/coverage/?start={START}&end={END}&list=qr_no_checkin")
    assert "Soạn công văn đôn đốc các địa điểm đã đánh dấu" in listed.get_data(as_text=True)
    refused = client.post("/reminders/new", data={
        "list_key": "qr_no_checkin", "period_start": str(START), "period_end": str(END)})
    assert refused.status_code == 303 and db.session.scalar(select(Reminder)) is None
    response = client.post("/reminders/new", data={
        "list_key": "qr_no_checkin", "period_start": str(START), "period_end": str(END),
        "venue_ids": [str(shop.id), str(school.id)]})
    assert response.status_code == 302
    reminder = db.session.scalar(select(Reminder))
    assert [v.venue_name for v in reminder.venues] == ["Tạp hóa Cô Lan"]  # school scans
    assert reminder.summary == "V/v đôn đốc triển khai quét mã QR"
    assert reminder.addressee_lines() == ["Tạp hóa Cô Lan"]
    assert "1 cơ quan, đơn vị, cơ sở đã được in mã QR địa điểm nhưng không phát sinh" in (
        reminder.body)
    assert reminder.venues[0].situation.startswith("Đã in 1 mã QR")
    page = client.get(f"/reminders/{reminder.id}").get_data(as_text=True)
    assert "Dự thảo công văn" in page and 'href="tel:+84911222333"' in page
    # Every sentence is the clerk's to change before submission.
    edited = client.post(f"/reminders/{reminder.id}/edit", data={
        "summary": reminder.summary, "addressees": "Tạp hóa Cô Lan",
        "body": reminder.body + "\nĐề nghị báo cáo kết quả về UBND xã./.",
        "recipients": reminder.recipients, "signer_kind": "vice_chairman"})
    assert edited.status_code == 302
    db.session.refresh(reminder)
    assert reminder.body.endswith("về UBND xã./.") and reminder.signer_name == "Lê Quang Trung"
    bad = client.post(f"/reminders/{reminder.id}/edit", data={"summary": "", "body": ""})
    assert bad.status_code == 200 and "Hãy viết nội dung công văn." in bad.get_data(
        as_text=True)


def test_reminder_is_numbered_and_frozen_like_a_report(app, client, auth, commune, laggards,
                                                      clerk, chairman):
    """Sign-off takes the next number of the register under UBND-VHTT (from 01, apart from the
    reports' BC-UBND), freezes the PDF and its hash, and records the reminder at each venue."""
    shop, market = laggards["shop"], laggards["market"]
    report = create_report(commune, clerk, period_start=START, period_end=END,
                           summary="Báo cáo", recipients=default_recipients(commune),
                           signer_kind="chairman")
    submit_report(report, clerk)
    sign_off(report, chairman, render_report_pdf, today=date(2026, 1, 4))
    first = signed_reminder(commune, clerk, chairman, {shop.id})
    second = signed_reminder(commune, clerk, chairman, {market.id}, list_key=cov.NO_QR)
    assert (report.number_text, report.symbol) == ("01", "BC-UBND")
    assert [(r.number_text, r.symbol) for r in (first, second)] == [("01", "UBND-VHTT"),
                                                                   ("02", "UBND-VHTT")]
    register = db.session.scalars(select(OutgoingDocument).where(
        OutgoingDocument.symbol == "UBND-VHTT").order_by(OutgoingDocument.number)).all()
    assert [(d.number, d.reminder_id) for d in register] == [(1, first.id), (2, second.id)]
    assert hashlib.sha256(first.pdf).hexdigest() == first.pdf_sha256
    lines = "\n".join(page_texts(first.pdf))
    text = " ".join(lines.split())  # sentences wrap across lines
    for expected in ("ỦY BAN NHÂN DÂN", "XÃ TRIỆU SƠN", "Số: 01/UBND-VHTT",
                     "V/v đôn đốc triển khai quét mã QR", "Triệu Sơn, ngày 05 tháng 01 năm 2026",
                     "Kính gửi: Tạp hóa Cô Lan.", "Tạp hóa Cô Lan", "0911 222 333",
                     "nghiêm túc triển khai thực hiện./.", "TM. ỦY BAN NHÂN DÂN", "Lê Văn Tiến",
                     "- Lưu: VT, VHTT."):
        assert expected in text, expected
    assert "Số: 01/UBND-VHTT" in lines.splitlines()[2]
    assert "DỰ THẢO" not in text
    follow = db.session.scalars(select(VenueFollowUp).where(
        VenueFollowUp.reminder_id == first.id)).all()
    assert [(f.venue_id, f.kind, f.done_on) for f in follow] == [
        (shop.id, FollowUpKind.REMINDED, date(2026, 1, 5))]
    # Frozen: new data, the same bytes; no edit, no second number.
    stored, digest = first.pdf, first.pdf_sha256
    visit(shop.points[0], S, "Khách mới", at(TODAY, 0, 5))
    db.session.commit()
    auth.login(clerk)
    served = client.get(f"/reminders/{first.id}/letter.pdf")
    assert served.data == stored and hashlib.sha256(served.data).hexdigest() == digest
    assert client.post(f"/reminders/{first.id}/edit", data={"body": "x"}).status_code == 302
    assert client.post(f"/reminders/{first.id}/submit").status_code == 302
    auth.logout()
    auth.login(chairman)
    assert client.post(f"/reminders/{first.id}/sign").status_code == 302
    db.session.refresh(first)
    assert first.pdf == stored and first.number == 1 and first.status == ReportStatus.SIGNED
    assert "Đã in 1 mã QR" in client.get(f"/reminders/{first.id}").get_data(as_text=True)


def test_follow_ups_and_whether_activity_came_back(app, client, auth, commune, laggards, clerk,
                                                  chairman):
    """The coverage page shows each venue's last reminder and whether check-ins came after
    it; the clerk records what was done, with a clear message for a wrong entry."""
    shop = laggards["shop"]
    reminder = signed_reminder(commune, clerk, chairman, {shop.id}, today=TODAY)
    auth.login(clerk)
    query = f"start={START}&end={TODAY}"
    html = client.get(f"/coverage/?{query}&list=qr_no_checkin").get_data(as_text=True)
    assert "Công văn số 01/UBND-VHTT" in html and "chưa có lượt khai báo nào" in html
    record_checkin(shop.points[0], S, Declaration(full_name="Khách mới"),
                   at=_after(reminder.signed_at))
    db.session.commit()
    html = client.get(f"/coverage/?{query}").get_data(as_text=True)
    assert "1 lượt từ đó đến nay" in html
    url = f"/reminders/venues/{shop.id}"
    bad = client.post(url, data={"kind": "", "done_on": str(TODAY + timedelta(days=1)),
                                 "done_by": ""})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400
    for message in ("Hãy chọn việc đã làm.", "Ngày không được ở tương lai.",
                    "Hãy nhập người thực hiện."):
        assert message in text, message
    assert client.post(url, data={"kind": "inspected", "done_on": str(TODAY),
                                  "done_by": "Nguyễn Thị Thúy",
                                  "result": "Đã niêm yết lại mã QR ở quầy"}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Đã kiểm tra tại chỗ" in page and "Đã niêm yết lại mã QR ở quầy" in page
    assert "Đã đôn đốc bằng văn bản (công văn)" in page and "01/UBND-VHTT" in page
    auth.logout()
    auth.login(chairman)
    assert client.post(url, data={"kind": "phoned", "done_on": str(TODAY),
                                  "done_by": "x"}).status_code == 403


def _after(signed_at):
    """A moment just after the reminder was signed (never in the future)."""
    from registry.timeutil import utcnow

    return min(signed_at + timedelta(seconds=1), utcnow())


def test_chairman_returns_a_reminder_and_other_communes_see_nothing(
        app, client, auth, commune, other_commune, laggards, clerk, chairman, make_user):
    """A submitted reminder goes back with a comment; another commune's reminder is 404."""
    reminder = draft_reminder(commune, clerk, cov.QR_NO_CHECKIN, START, END,
                              {laggards["shop"].id})
    submit_reminder(reminder, clerk)
    db.session.commit()
    auth.login(chairman)
    bad = client.post(f"/reminders/{reminder.id}/return", data={"comment": ""})
    assert bad.status_code == 400 and "Hãy nêu nội dung cần sửa." in bad.get_data(as_text=True)
    client.post(f"/reminders/{reminder.id}/return", data={"comment": "Thêm hạn báo cáo."})
    db.session.refresh(reminder)
    assert reminder.status == ReportStatus.RETURNED and reminder.number is None
    auth.logout()
    theirs = make_user(Role.CLERK, commune_id=other_commune.id)
    auth.login(theirs)
    for url in (f"/reminders/{reminder.id}", f"/reminders/{reminder.id}/letter.pdf",
                f"/reminders/venues/{laggards['shop'].id}"):
        assert client.get(url).status_code == 404
