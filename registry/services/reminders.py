"""Following up the laggards: a reminder (công văn đôn đốc) drafted from a coverage list, its
venues as a table, submitted and signed off through the register of outgoing documents like a
report (number, frozen PDF, PAdES when the commune has a certificate); and what was done at each
venue afterwards.

The letter's text is an official document's body, written in Vietnamese (Decree 30) and kept
with the reminder for the clerk to edit, like a report's pre-written sections.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select

from registry.extensions import db
from registry.formatting import in_running_text, phone_national
from registry.models import (FollowUpKind, Reminder, ReminderVenue, ReportStatus, SignerKind,
                             Venue, VenueFollowUp)
from registry.models.reminders import REMINDER_SYMBOL
from registry.services.audit import record_event
from registry.services.coverage import (DROPPED, NO_QR, PAPER_NOT_RETURNED, QR_NO_CHECKIN,
                                        compute_coverage)
from registry.services.reports.drafting import ReportStateError, nfc_lines, signer_name_for
from registry.services.reports.sign_off import (freeze_document, sign_with_commune_certificate,
                                                take_register_number)
from registry.services.reports.wording import period_phrase, vn_date, vn_number, vn_percent
from registry.text import nfc
from registry.timeutil import local_today, utcnow

SUMMARY = "V/v đôn đốc triển khai quét mã QR"
REMINDABLE = (QR_NO_CHECKIN, NO_QR, PAPER_NOT_RETURNED, DROPPED)
EDIT_FIELDS = ("summary", "addressees", "body", "recipients", "signer_kind")
# How a signed reminder's PDF is made: (reminder, draft=False) -> bytes, passed in by the view.
RenderReminder = Callable[..., bytes]
DEADLINE_DAYS = 7


class ReminderError(ValueError):
    """The reminder cannot be drafted or submitted as asked; `code` says why."""

    def __init__(self, code: str):
        """Remember why."""
        super().__init__(code)
        self.code = code


def situation(row, list_key: str, start: date, end: date) -> str:
    """What the list says about one venue, in the letter's words."""
    if list_key == QR_NO_CHECKIN:
        printed = f"Đã in {vn_number(row.posters)} mã QR"
        if row.poster_printed_at:
            printed += f" (ngày {vn_date(row.poster_printed_at.date())})"
        return f"{printed}; không có lượt khai báo {period_phrase(start, end)}"
    if list_key == NO_QR:
        return f"Chưa in mã QR địa điểm; {vn_number(row.total)} lượt khai báo trong kỳ"
    if list_key == PAPER_NOT_RETURNED:
        return f"Còn {vn_number(row.paper_out)} phiếu khai báo giấy đã nhận chưa nộp lại"
    drop = round(100 * (row.previous_total - row.total) / row.previous_total, 1)
    return (f"Lượt khai báo giảm từ {vn_number(row.previous_total)} (kỳ trước) xuống "
            f"{vn_number(row.total)} (giảm {vn_percent(drop)})")


def _opening(commune, list_key: str, count: int, start: date, end: date) -> str:
    """The first paragraph: the instruction followed and the fact found."""
    province = in_running_text(commune.province_name)
    if not province.startswith(("tỉnh ", "thành phố ")):
        province = f"tỉnh {commune.province_name}"
    fact = {
        QR_NO_CHECKIN: "đã được in mã QR địa điểm nhưng không phát sinh lượt khai báo nào",
        NO_QR: "chưa in, niêm yết mã QR địa điểm",
        PAPER_NOT_RETURNED: "chưa nộp lại phiếu khai báo giấy đã nhận",
        DROPPED: "có số lượt khai báo giảm hơn một nửa so với kỳ trước",
    }[list_key]
    return (f"Thực hiện chỉ đạo của Ủy ban nhân dân {province} về việc tăng cường tạo và sử "
            "dụng mã QR để quản lý thông tin người ra, vào các cơ quan, tổ chức, cơ sở, địa "
            f"điểm; qua theo dõi {period_phrase(start, end)}, trên địa bàn xã còn "
            f"{vn_number(count)} cơ quan, đơn vị, cơ sở {fact} (danh sách dưới đây).")


def draft_body(commune, list_key: str, count: int, start: date, end: date,
               today: date) -> str:
    """The letter pre-written for the list, one paragraph a line."""
    deadline = vn_date(today + timedelta(days=DEADLINE_DAYS))
    own = in_running_text(commune.name)
    paper = ("2. Nộp lại Ủy ban nhân dân xã (bộ phận Văn hóa - Thông tin) các phiếu khai báo "
             "giấy đã nhận, kể cả phiếu chưa sử dụng, để nhập liệu và lưu trữ theo quy định."
             if list_key == PAPER_NOT_RETURNED else
             "2. Với người không có điện thoại thông minh, bố trí cán bộ quét Thẻ kiểm soát dịch "
             "bệnh, khai báo hộ hoặc cung cấp phiếu khai báo giấy; phiếu đã sử dụng gửi về Ủy "
             "ban nhân dân xã để nhập liệu.")
    return "\n".join([
        _opening(commune, list_key, count, start, end),
        "Để nâng cao hiệu quả quét mã QR nhằm kiểm soát người ra, vào các địa điểm, phục vụ "
        "truy vết nhanh khi cần thiết, Ủy ban nhân dân xã đề nghị các cơ quan, đơn vị, cơ sở "
        "có tên trong danh sách khẩn trương thực hiện các nội dung sau:",
        "1. Niêm yết mã QR địa điểm tại vị trí dễ thấy ở lối ra, vào; yêu cầu tất cả người đến "
        "liên hệ, giao dịch thực hiện quét mã QR để khai báo y tế.",
        paper,
        "3. Phân công người phụ trách mã QR của đơn vị theo dõi, đôn đốc việc khai báo hằng "
        f"ngày; hoàn thành trước ngày {deadline}.",
        f"Ủy ban nhân dân xã sẽ tổ chức kiểm tra việc thực hiện tại các địa điểm. Trong quá "
        f"trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị liên hệ Ủy ban nhân dân {own}"
        + (f" (điện thoại: {phone_national(commune.hotline)})" if commune.hotline else "")
        + " để được hướng dẫn.",
        "Ủy ban nhân dân xã đề nghị các cơ quan, đơn vị, cơ sở nghiêm túc triển khai thực "
        "hiện./."])


def draft_reminder(commune, user, list_key: str, start: date, end: date,
                   venue_ids: set[int], signer_kind=SignerKind.CHAIRMAN,
                   today: date | None = None) -> Reminder:
    """A new draft addressed to the chosen venues of a coverage list (only those the list
    still holds), its text and table pre-written (the deadline a week after `today`)."""
    if list_key not in REMINDABLE:
        raise ReminderError("list")
    rows = [r for r in compute_coverage(commune.id, start, end, list_key=list_key).shown
            if r.venue.id in venue_ids]
    if not rows:
        raise ReminderError("empty")
    kind = SignerKind(signer_kind)
    addressees = ([r.venue.name for r in rows] if len(rows) <= 3 else
                  ["Các cơ quan, đơn vị, cơ sở có tên trong danh sách kèm theo"])
    reminder = Reminder(
        commune_id=commune.id, status=ReportStatus.DRAFT, list_key=list_key,
        period_start=start, period_end=end, summary=SUMMARY, addressees="\n".join(addressees),
        body=draft_body(commune, list_key, len(rows), start, end, today or local_today()),
        recipients="Như trên\nChủ tịch, các Phó Chủ tịch UBND xã\nCông an xã\nLưu: VT, VHTT",
        signer_kind=kind, signer_name=signer_name_for(commune, kind), created_by_id=user.id)
    for position, row in enumerate(rows, start=1):
        venue = row.venue
        reminder.venues.append(ReminderVenue(
            venue_id=venue.id, position=position, venue_name=venue.name,
            address=venue.address or (venue.village.name if venue.village else None),
            manager_name=venue.manager_name, manager_phone=venue.manager_phone,
            situation=situation(row, list_key, start, end)[:300]))
    db.session.add(reminder)
    db.session.flush()
    record_event("create", reminder, user=user, details={"list": list_key,
                                                         "venues": len(rows)})
    return reminder


def update_reminder(reminder: Reminder, user, **fields) -> dict:
    """Change a draft (or returned) reminder; returns {field: [old, new]} of what changed."""
    if not reminder.is_editable:
        raise ReportStateError(reminder.status.value)
    changes = {}
    for name, value in fields.items():
        if name not in EDIT_FIELDS:
            continue
        if name == "signer_kind":
            value = SignerKind(value)
        elif name in ("addressees", "body", "recipients"):
            value = nfc_lines(value)
        else:
            value = nfc(value)
        if getattr(reminder, name) != value:
            changes[name] = [getattr(reminder, name), value]
            setattr(reminder, name, value)
    reminder.signer_name = signer_name_for(reminder.commune, reminder.signer_kind)
    if changes:
        record_event("update", reminder, user=user,
                     details={"changed": ", ".join(sorted(changes))})
    return changes


def remove_venue(reminder: Reminder, listed: ReminderVenue) -> None:
    """Take a venue off a draft's list."""
    if not reminder.is_editable or listed.reminder_id != reminder.id:
        raise ReportStateError(reminder.status.value)
    reminder.venues.remove(listed)
    db.session.flush()


def submit_reminder(reminder: Reminder, user) -> None:
    """The clerk hands the reminder to the chairman: it needs a text and at least one venue."""
    if not reminder.is_editable:
        raise ReportStateError(reminder.status.value)
    if not reminder.venues or not (reminder.body or "").strip() or not reminder.addressee_lines():
        raise ReminderError("incomplete")
    reminder.status = ReportStatus.SUBMITTED
    reminder.submitted_at = utcnow()
    reminder.return_comment = None
    record_event("submit", reminder, user=user)


def return_reminder(reminder: Reminder, user, comment: str) -> None:
    """The chairman sends it back to the clerk with a comment."""
    if reminder.status != ReportStatus.SUBMITTED:
        raise ReportStateError(reminder.status.value)
    reminder.status = ReportStatus.RETURNED
    reminder.return_comment = nfc_lines(comment)
    record_event("return", reminder, user=user, reason=reminder.return_comment[:255])


def sign_off_reminder(reminder: Reminder, user, render: RenderReminder,
                      today: date | None = None) -> Reminder:
    """Number the reminder from the register (its own symbol, from 01 each year), freeze its
    PDF with the SHA-256, sign it when the commune has a certificate, and note at each listed
    venue that it was reminded."""
    if reminder.status != ReportStatus.SUBMITTED:
        raise ReportStateError(reminder.status.value)
    today = today or local_today()
    reminder.number = take_register_number(reminder.commune_id, REMINDER_SYMBOL,
                                           reminder.summary, today, reminder_id=reminder.id)
    reminder.symbol, reminder.issued_on = REMINDER_SYMBOL, today
    reminder.signer_name = signer_name_for(reminder.commune, reminder.signer_kind)
    pdf = render(reminder, draft=False)
    freeze_document(reminder, user, pdf)
    sign_with_commune_certificate(
        reminder, pdf, f"Ký ban hành Công văn số {reminder.number_text}/{REMINDER_SYMBOL}")
    for listed in reminder.venues:
        db.session.add(VenueFollowUp(
            commune_id=reminder.commune_id, venue_id=listed.venue_id, reminder_id=reminder.id,
            kind=FollowUpKind.REMINDED, done_on=today, done_by=reminder.signer_name,
            result=f"Công văn số {reminder.number_text}/{REMINDER_SYMBOL}",
            recorded_by_id=user.id))
    db.session.flush()
    record_event("sign_off", reminder, user=user, details={
        "number": f"{reminder.number_text}/{REMINDER_SYMBOL}", "sha256": reminder.pdf_sha256})
    return reminder


def record_follow_up(venue: Venue, user, *, kind: FollowUpKind, done_on: date, done_by: str,
                     result: str | None) -> VenueFollowUp:
    """Note one thing done at a venue: when, by whom, and what came of it."""
    follow_up = VenueFollowUp(commune_id=venue.commune_id, venue_id=venue.id,
                              kind=FollowUpKind(kind), done_on=done_on, done_by=nfc(done_by),
                              result=nfc(result) if result else None, recorded_by_id=user.id)
    db.session.add(follow_up)
    db.session.flush()
    record_event("venue_follow_up", venue, user=user,
                 details={"kind": follow_up.kind.value, "on": done_on.isoformat()})
    return follow_up


def follow_ups_of(venue: Venue) -> list[VenueFollowUp]:
    """What was done at a venue, newest first."""
    return list(db.session.scalars(
        select(VenueFollowUp).where(VenueFollowUp.venue_id == venue.id)
        .order_by(VenueFollowUp.done_on.desc(), VenueFollowUp.id.desc())))


def reminders_of(commune_id: int) -> list[Reminder]:
    """The commune's reminders, newest first."""
    return list(db.session.scalars(
        select(Reminder).where(Reminder.commune_id == commune_id)
        .order_by(Reminder.created_at.desc(), Reminder.id.desc())))
