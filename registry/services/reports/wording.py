"""The report pre-written from its figures, in the style of the commune's own reports: every
figure sits in a sentence (or the per-category table), nothing reads "label: number.".

The text is the body of an official document, which Decree 30 has written in Vietnamese, so it
is written here in Vietnamese and stored with the report for the clerk to edit; it never goes
through the screen language. Numbers follow Vietnamese usage: 1.250 lượt, 64,7 %.
"""
from __future__ import annotations

from datetime import date, timedelta

from registry.formatting import in_running_text

GENERIC_SUMMARY = ("Kết quả triển khai quét mã QR để quản lý thông tin người ra, vào các "
                   "cơ quan, tổ chức, địa điểm trên địa bàn xã")
# The sections a report cannot be submitted without, and the one it may leave out.
REQUIRED_SECTIONS = ("introduction", "deployment", "results", "shortcomings", "direction",
                     "closing")
DRAFTED_SECTIONS = ("summary",) + REQUIRED_SECTIONS[:-1] + ("proposals", "closing")
CLOSING_MARK = "./."


def vn_number(value) -> str:
    """An integer with Vietnamese grouping: 1.250."""
    return f"{int(value or 0):,}".replace(",", ".")


def vn_percent(value: float | None) -> str:
    """A percentage as Vietnamese writes it: "64,7 %", "30 %"."""
    if value is None:
        return "0 %"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + " %"


def vn_date(value: date) -> str:
    """dd/mm/yyyy, as dates are cited in running text."""
    return value.strftime("%d/%m/%Y")


def period_phrase(start: date, end: date) -> str:
    """"từ ngày 01/01/2026 đến ngày 31/01/2026"."""
    return f"từ ngày {vn_date(start)} đến ngày {vn_date(end)}"


def whole_month(start: date, end: date) -> bool:
    """The period is one calendar month exactly."""
    return start.day == 1 and end.month == start.month and end.year == start.year and (
        (end + timedelta(days=1)).day == 1)


def summary_for(start: date, end: date) -> str:
    """The trích yếu with the period: "… tháng 01 năm 2026" for a whole month, else the dates
    (months 1 and 2 zero-padded, as in the date line)."""
    if whole_month(start, end):
        month = f"{start.month:02d}" if start.month <= 2 else str(start.month)
        return f"{GENERIC_SUMMARY} tháng {month} năm {start.year}"
    return f"{GENERIC_SUMMARY} {period_phrase(start, end)}"


def with_closing_mark(text: str) -> str:
    """The closing text ending with "./." as the body of a document must."""
    text = (text or "").rstrip()
    if text.endswith(CLOSING_MARK):
        return text
    return text.rstrip(".;, ") + CLOSING_MARK


def _lower_first(text: str) -> str:
    """A category name inside a sentence ("Hộ kinh doanh" → "hộ kinh doanh")."""
    return text[:1].lower() + text[1:] if text else text


def _names(names: list[str], total: int) -> str:
    """Up to three names, "…" when there are more."""
    shown = ", ".join(names[:3])
    return shown + (", …" if total > 3 else "")


def _change(old: int, new: int) -> str:
    """"tăng 12,5 %" / "giảm 40 %" / "không thay đổi"."""
    if old == new:
        return "không thay đổi"
    pct = round(100 * abs(new - old) / old, 1)
    return ("tăng " if new > old else "giảm ") + vn_percent(pct)


def province_in_text(name: str) -> str:
    """The province as running text writes it: "tỉnh Thanh Hóa", "thành phố Hà Nội" (the
    register may hold the name with or without its unit word)."""
    text = in_running_text(name)
    if text.startswith(("tỉnh ", "thành phố ")):
        return text
    return f"tỉnh {name}"


def _places(commune) -> tuple[str, str]:
    """The commune and its province as running text writes them."""
    return in_running_text(commune.name), province_in_text(commune.province_name)


def introduction(commune, f: dict) -> str:
    """The opening paragraph: on whose instruction, and the period."""
    own, province = _places(commune)
    start, end = (date.fromisoformat(d) for d in f["period"])
    return (f"Thực hiện chỉ đạo của Ủy ban nhân dân {province} về việc tăng cường tạo và sử "
            "dụng mã QR để quản lý thông tin người ra, vào các cơ quan, tổ chức, cơ sở, địa "
            f"điểm phục vụ phòng, chống dịch bệnh, Ủy ban nhân dân {own} báo cáo kết quả triển "
            f"khai thực hiện {period_phrase(start, end)} như sau:")


def deployment(commune, f: dict) -> str:
    """1. What the commune ordered and did: the standing instruction, reminders issued in the
    period, paper sheets handed out."""
    paragraphs = [
        "Ủy ban nhân dân xã đã chỉ đạo các thôn, tổ dân phố, cơ quan, trường học, cơ sở kinh "
        "doanh, dịch vụ trên địa bàn đăng ký điểm kiểm soát, niêm yết mã QR địa điểm tại lối "
        "ra, vào và tổ chức khai báo y tế cho người đến liên hệ, giao dịch. Với người có điện "
        "thoại thông minh, thực hiện quét mã QR; với người không có điện thoại thông minh, quét "
        "Thẻ kiểm soát dịch bệnh, khai báo trên phiếu giấy hoặc được cán bộ khai báo hộ."]
    reminders = f.get("reminders") or []
    if reminders:
        cited = "; ".join(
            f"Công văn số {r['number']}/{r['symbol']} ngày "
            f"{vn_date(date.fromisoformat(r['issued_on']))} đối với {vn_number(r['venues'])} "
            "cơ quan, đơn vị, cơ sở" for r in reminders)
        paragraphs.append("Trong kỳ, Ủy ban nhân dân xã đã ban hành văn bản đôn đốc triển khai "
                          f"quét mã QR tại các địa điểm chưa thực hiện tốt ({cited}).")
    handed = (f.get("coverage") or {}).get("paper_handed", 0)
    if handed:
        venues = f["coverage"].get("paper_handed_venues", 0)
        paragraphs.append(f"Trong kỳ, đã phát {vn_number(handed)} phiếu khai báo giấy cho "
                          f"{vn_number(venues)} địa điểm để phục vụ người không có điện thoại "
                          "thông minh.")
    return "\n".join(paragraphs)


def _extra(f: dict, key: str):
    """A figure another feature adds to the dashboard, by its key (None when absent)."""
    return next((row["value"] for row in f.get("extra", []) if row.get("key") == key), None)


def results(commune, f: dict) -> str:
    """2. The results in sentences: venues registered and scanning, the QR share, people
    without a smartphone, paper keyed, cards issued, the comparison with the previous period,
    and the lead into the per-category table."""
    t, c = f["total"], f.get("coverage") or {}
    end = date.fromisoformat(f["period"][1])
    paragraphs = [
        f"Đến ngày {vn_date(end)}, trên địa bàn xã có {vn_number(t['venues'])} cơ quan, đơn vị, "
        "cơ sở, địa điểm đã đăng ký điểm kiểm soát người ra, vào; trong đó "
        f"{vn_number(c.get('with_qr', 0))} địa điểm đã được in mã QR địa điểm "
        f"({vn_number(t['posters'])} mã QR) và {vn_number(c.get('qr_active', 0))} địa điểm đã tổ "
        "chức thực hiện quét mã QR (mã QR địa điểm hoặc Thẻ kiểm soát dịch bệnh) cho người ra, vào "
        "trong kỳ."]
    if t["checkins"]:
        s = t["by_source"]
        paragraphs.append(
            f"Trong kỳ, toàn xã ghi nhận {vn_number(t['checkins'])} lượt khai báo y tế khi ra, "
            "vào các địa điểm. Người dân đã khai báo qua việc quét mã QR với khoảng "
            f"{vn_number(t['through_qr'])} lượt ({vn_number(s['self_scan'])} lượt tự quét mã "
            f"bằng điện thoại thông minh, {vn_number(s['card_scan'])} lượt quét Thẻ kiểm soát "
            f"dịch bệnh), đạt {vn_percent(t['qr_share'])} so với tổng khai báo y tế.")
        paragraphs.append(
            "Người không có điện thoại thông minh được ghi nhận "
            f"{vn_number(t['without_smartphone'])} lượt khai báo, chiếm "
            f"{vn_percent(t['without_smartphone_share'])} tổng số, gồm "
            f"{vn_number(s['card_scan'])} lượt quét Thẻ kiểm soát dịch bệnh, "
            f"{vn_number(s['paper'])} lượt khai báo trên phiếu giấy và "
            f"{vn_number(s['on_behalf'])} lượt được cán bộ khai báo hộ.")
    else:
        paragraphs.append("Trong kỳ, chưa ghi nhận lượt khai báo y tế nào tại các địa điểm trên "
                          "địa bàn xã.")
    collected, keyed = _extra(f, "paper_collected"), _extra(f, "paper_keyed")
    if collected or keyed:
        paragraphs.append(
            f"Trong kỳ, cán bộ đã thu về {vn_number(collected)} phiếu khai báo giấy và nhập "
            f"liệu {vn_number(keyed)} phiếu vào hệ thống; số lượt khai báo trên giấy đã nhập là "
            f"{vn_number(t['by_source']['paper'])} lượt.")
    holders, issued = _extra(f, "residents_with_card"), _extra(f, "cards_issued")
    if holders:
        new = f" (trong kỳ cấp mới {vn_number(issued)} thẻ)" if issued else ""
        paragraphs.append(
            f"Đến nay đã cấp Thẻ kiểm soát dịch bệnh cho {vn_number(holders)} người dân{new}, "
            "giúp người không có điện thoại thông minh khai báo nhanh bằng quét thẻ.")
    paragraphs.append(comparison(f))
    paragraphs.append("Kết quả tạo, quản lý mã QR địa điểm và khai báo tại các địa điểm theo "
                      "từng loại địa điểm như sau:")
    return "\n".join(paragraphs)


def comparison(f: dict) -> str:
    """The sentence comparing the period with the previous one of the same length."""
    p, t = f["previous"], f["total"]
    start, end = (date.fromisoformat(d) for d in p["period"])
    phrase = period_phrase(start, end)
    if not p["checkins"]:
        return (f"Kỳ trước ({phrase}) chưa ghi nhận lượt khai báo nào nên chưa có cơ sở so "
                "sánh.")
    way = "lên" if t["checkins"] >= p["checkins"] else "xuống"
    text = (f"So với kỳ trước ({phrase}), tổng số lượt khai báo "
            f"{_change(p['checkins'], t['checkins'])} (từ {vn_number(p['checkins'])} lượt "
            f"{way} {vn_number(t['checkins'])} lượt)")
    if p["through_qr"]:
        text += f"; số lượt khai báo qua mã QR {_change(p['through_qr'], t['through_qr'])}"
    old, new = p["qr_share"] or 0, t["qr_share"] or 0
    if old == new:
        text += f"; tỷ lệ khai báo qua mã QR giữ ở mức {vn_percent(new)}."
    else:
        verb = "tăng từ" if new > old else "giảm từ"
        link = "lên" if new > old else "xuống"
        text += (f"; tỷ lệ khai báo qua mã QR {verb} {vn_percent(old)} {link} "
                 f"{vn_percent(new)}.")
    return text


def shortcomings(commune, f: dict) -> str:
    """3. Shortcomings from the facts: venues with QR but no check-in (by category), venues
    without a QR, paper not returned or not keyed, people without a smartphone."""
    c, t = f.get("coverage") or {}, f["total"]
    paragraphs = []
    silent = c.get("qr_no_checkin") or []
    if silent:
        n = sum(row["count"] for row in silent)
        parts = "; ".join(f"{vn_number(row['count'])} {_lower_first(row['category'])} "
                          f"({_names(row['names'], row['count'])})" for row in silent)
        paragraphs.append(
            "Việc quét mã QR tại một số cơ quan, đơn vị, cơ sở còn chưa thường xuyên: "
            f"{vn_number(n)} địa điểm đã được in mã QR nhưng trong kỳ không phát sinh lượt khai "
            f"báo nào, gồm {parts}.")
    if c.get("no_qr"):
        paragraphs.append(f"Còn {vn_number(c['no_qr'])} địa điểm đã đăng ký nhưng chưa in, niêm "
                          "yết mã QR địa điểm.")
    out = c.get("paper_out") or {}
    if out.get("sheets"):
        paragraphs.append(
            f"Còn {vn_number(out['sheets'])} phiếu khai báo giấy đã phát cho "
            f"{vn_number(out['count'])} địa điểm ({_names(out['names'], out['count'])}) chưa "
            "được thu về.")
    if c.get("paper_waiting"):
        paragraphs.append(f"Có {vn_number(c['paper_waiting'])} phiếu khai báo giấy đã thu về "
                          "nhưng chưa được nhập liệu vào hệ thống.")
    if t["checkins"]:
        paragraphs.append(
            "Nhiều người dân, nhất là người cao tuổi, chưa có điện thoại thông minh; số lượt "
            "khai báo không qua điện thoại thông minh (quét thẻ, phiếu giấy, khai báo hộ) còn "
            f"chiếm {vn_percent(t['without_smartphone_share'])} tổng số lượt khai báo.")
    paragraphs.append("Lực lượng cán bộ, công chức phải kiêm nhiệm nhiều việc; công tác kiểm "
                      "tra, giám sát việc quét mã QR tại các địa điểm chưa được thường xuyên.")
    return "\n".join(paragraphs)


def direction(commune, f: dict) -> str:
    """4. The starting text of the tasks ahead."""
    return "\n".join([
        "- Tiếp tục tuyên truyền, hướng dẫn người dân quét mã QR khi ra, vào các địa điểm; "
        "người không có điện thoại thông minh sử dụng Thẻ kiểm soát dịch bệnh hoặc khai báo "
        "trên phiếu giấy.",
        "- Đôn đốc, kiểm tra các địa điểm chưa phát sinh lượt quét mã QR; yêu cầu người đứng đầu "
        "cơ quan, đơn vị, cơ sở phân công người theo dõi, quản lý mã QR của đơn vị.",
        "- Thu hồi kịp thời phiếu khai báo giấy đã phát và nhập liệu đầy đủ vào hệ thống.",
        "- Nâng cao hiệu quả phối hợp giữa các ban, ngành, đoàn thể, thôn, tổ dân phố; đánh giá "
        "trách nhiệm của người đứng đầu cơ quan, đơn vị để kịp thời biểu dương hoặc phê bình, "
        "chấn chỉnh."])


def proposals(commune, f: dict) -> str:
    """5. The starting text of the proposals to the province."""
    _own, province = _places(commune)
    return (f"Đề nghị Ủy ban nhân dân {province}, Sở Khoa học và Công nghệ quan tâm hỗ trợ thiết "
            "bị quét mã, kinh phí in Thẻ kiểm soát dịch bệnh cho người dân chưa có điện thoại "
            "thông minh; tiếp tục hướng dẫn để địa phương hoàn thành tốt nhiệm vụ.")


def closing(commune, f: dict) -> str:
    """The closing sentence naming the recipient, as the commune's reports end."""
    own, province = _places(commune)
    start, end = (date.fromisoformat(d) for d in f["period"])
    return (f"Trên đây là kết quả triển khai quét mã QR để quản lý thông tin người ra, vào các "
            f"cơ quan, tổ chức, địa điểm trên địa bàn xã {period_phrase(start, end)}, Ủy ban "
            f"nhân dân {own} báo cáo UBND {province} và Sở Khoa học và Công nghệ để tổng hợp "
            "theo quy định./.")


def draft_sections(commune, figures: dict) -> dict[str, str]:
    """Every pre-written section of a report for these figures, by field name."""
    start, end = (date.fromisoformat(d) for d in figures["period"])
    writers = {"introduction": introduction, "deployment": deployment, "results": results,
               "shortcomings": shortcomings, "direction": direction, "proposals": proposals,
               "closing": closing}
    sections = {"summary": summary_for(start, end)}
    sections.update({name: write(commune, figures) for name, write in writers.items()})
    return sections
