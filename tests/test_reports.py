"""The report document, sign-off, PAdES signatures, verification."""
from __future__ import annotations

import hashlib
import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from pdfcheck import MM_PER_PT, decode_qr, font_names, page_sizes_mm, page_texts
from sqlalchemy import select

from registry.extensions import db
from registry.models import AuditEvent, Report, ReportStatus, Role
from registry.pdf.reports import draft_report_pdf as draft_pdf
from registry.pdf.reports import render_report_pdf
from registry.services.reports.drafting import (add_directive, create_report, default_recipients,
                                                submit_report)
from registry.services.reports.sign_off import sign_off, verify_pdf
from registry.timeutil import local_today
from tests.scenes import START, TODAY, checkin, db_count

# --- helpers -----------------------------------------------------------------------------------


# --- dashboard -----------------------------------------------------------------------------------


# --- the report document ------------------------------------------------------------------------

def make_report(commune, clerk, **overrides):
    """A draft report with long narrative (several pages) and one directive."""
    fields = dict(period_start=START, period_end=TODAY,
                  summary="Tình hình triển khai quét mã QR <b>trên địa bàn</b>",
                  deployment="Ủy ban nhân dân xã đã ban hành các văn bản chỉ đạo.\n"
                  + "Triển khai đến các thôn. " * 120,
                  results="Kết quả bước đầu khả quan. " * 100, shortcomings="Lực lượng mỏng.",
                  direction="Tiếp tục tuyên truyền.", proposals="Đề nghị hỗ trợ thiết bị.",
                  smartphones=1200, app_installs=300, recipients=default_recipients(commune),
                  signer_kind="chairman")
    fields.update(overrides)
    report = create_report(commune, clerk, **fields)
    add_directive(report, subject="V/v triển khai mã QR địa điểm",
                  number_date="817/UBND 01/4/2026", issuing_unit="UBND xã",
                  recipients="Các thôn, tổ dân phố")
    db.session.commit()
    return report


def signed_report(commune, clerk, chairman, today=None, **overrides):
    """A report submitted and signed off on `today`."""
    report = make_report(commune, clerk, **overrides)
    submit_report(report, clerk)
    sign_off(report, chairman, render_report_pdf, today=today or date(2026, 3, 5))
    db.session.commit()
    return report


def chars_of(pdf: bytes):
    """(page height, characters) of every page."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [(float(p.height), list(p.chars)) for p in doc.pages]


def line_chars(chars, text: str):
    """The characters of the first line containing `text`."""
    lines: dict = {}
    for c in chars:
        lines.setdefault(round(c["top"]), []).append(c)
    for top in sorted(lines):
        row = sorted(lines[top], key=lambda c: c["x0"])
        joined = "".join(c["text"] for c in row)
        start = joined.find(text)
        if start >= 0:
            return row[start:start + len(text)]
    raise AssertionError(f"{text!r} not found")


def embedded_fonts(pdf: bytes) -> dict:
    """{font name: embedded and Liberation 2.x} for every font used."""
    from pypdf import PdfReader

    found = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            descriptor = descriptor.get_object()
            program = next((descriptor[k] for k in ("/FontFile", "/FontFile2", "/FontFile3")
                            if k in descriptor), None)
            data = program.get_object().get_data() if program is not None else b""
            # Liberation 2.x (all Vietnamese letters), not 1.x: the name table says so.
            found[str(font["/BaseFont"]).split("+")[-1]] = "Version 2.".encode(
                "utf-16-be") in data
    return found


def test_signed_report_pdf_follows_decree_30(app, commune, data, clerk, chairman):
    """The signed PDF read back: page, margins, fonts, header, numbers, signature block, QR."""
    report = signed_report(commune, clerk, chairman)
    pdf = report.pdf
    texts = page_texts(pdf)
    assert len(texts) >= 2
    assert all(size == (210.0, 297.0) for size in page_sizes_mm(pdf))
    # Fonts: Liberation Serif 2.x only (the Sans is for the draft mark), embedded.
    assert font_names(pdf) == {"Liberation-Serif", "Liberation-Serif-Bold",
                               "Liberation-Serif-Italic", "Liberation-Serif-Bold-Italic"}
    fonts = embedded_fonts(pdf)
    assert fonts and all(fonts.values())
    first = texts[0]
    for expected in ("ỦY BAN NHÂN DÂN", "XÃ TRIỆU SƠN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc", "Số: 01/BC-UBND",
                     "Triệu Sơn, ngày 05 tháng 3 năm 2026", "BÁO CÁO",
                     "Tình hình triển khai quét mã QR <b>trên địa bàn</b>"):
        assert expected in first, expected
    assert not [c for _h, chars in chars_of(pdf) for c in chars if c["size"] > 50]  # no mark
    last = texts[-1]
    for expected in ("Nơi nhận:", "- Sở Khoa học và Công nghệ;", "- Lưu: VT, VHTT.",
                     "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Lê Văn Tiến"):
        assert expected in last, expected
    assert "KT. CHỦ TỊCH" not in last
    pages = chars_of(pdf)
    # Sizes and styles of the header cells.
    height, chars = pages[0]
    national = line_chars(chars, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert all(11.9 <= c["size"] <= 13.1 and "Bold" in c["fontname"] for c in national)
    motto = line_chars(chars, "Độc lập - Tự do - Hạnh phúc")
    assert all(12.9 <= c["size"] <= 14.1 and "Bold" in c["fontname"] for c in motto)
    number = line_chars(chars, "Số: 01/BC-UBND")
    assert all(abs(c["size"] - 13) < 0.1 and "Bold" not in c["fontname"] for c in number)
    place = line_chars(chars, "Triệu Sơn, ngày 05")
    assert all("Italic" in c["fontname"] for c in place)
    # The header is two columns: agency left, national title right, on the same band.
    assert line_chars(chars, "XÃ TRIỆU SƠN")[0]["x0"] < national[0]["x0"]
    # Margins: left 30, right 15, top and bottom 20 mm (body text inside them).
    for page_no, (height, chars) in enumerate(pages):
        body = [c for c in chars if c["top"] > 20 / MM_PER_PT - 1]
        assert min(c["x0"] for c in body) * MM_PER_PT >= 29.5
        assert max(c["x1"] for c in body) * MM_PER_PT <= 195.5
        assert max(c["bottom"] for c in body) * MM_PER_PT <= 277.5
        numbers = [c for c in chars if c["top"] * MM_PER_PT < 20]
        if page_no == 0:
            assert numbers == []  # no page number on page 1
        else:
            assert "".join(c["text"] for c in numbers) == str(page_no + 1)
            assert all(12.9 <= c["size"] <= 14.1 for c in numbers)
            mid = (numbers[0]["x0"] + numbers[-1]["x1"]) / 2 * MM_PER_PT
            assert abs(mid - (30 + 165 / 2)) < 3  # centred over the text block
    # Body: 14 pt justified text.
    body_line = line_chars(pages[0][1], "Ủy ban nhân dân xã đã ban hành")
    assert all(12.9 <= c["size"] <= 14.1 for c in body_line)
    # The verification QR leads to the public page.
    codes = decode_qr(pdf, page=len(texts) - 1, dpi=200)
    assert [c["text"] for c in codes] == [
        f"https://registry.example.vn/verify/{report.verify_token}"]


def test_pdf_figures_equal_database_counts(app, commune, data, clerk, chairman):
    """The totals printed in the PDF equal the database counts."""
    report = signed_report(commune, clerk, chairman)
    text = "\n".join(page_texts(report.pdf))
    total_line = next(line for line in text.splitlines() if line.startswith("Tổng cộng"))
    # The row since issue 12: QR codes, declarations, through QR, the QR share "40 %", paper,
    # on behalf.
    cells = total_line.split()[2:]
    assert cells[3:5] == ["40", "%"]  # 4 of 10 through QR
    numbers = [int(n.replace(".", "")) for n in cells[:3] + cells[5:]]
    qr_codes, checkins, by_qr, paper, on_behalf = numbers
    assert checkins == db_count(commune.id, START, TODAY) == 10
    assert by_qr == db_count(commune.id, START, TODAY, "self_scan") + db_count(
        commune.id, START, TODAY, "card_scan")
    assert paper == db_count(commune.id, START, TODAY, "paper") == 5
    assert on_behalf == db_count(commune.id, START, TODAY, "on_behalf") == 1
    assert qr_codes == 3
    assert "1.200" in text and "300" in text and "25 %" in text  # typed-in figures


def test_vice_chairman_signs_for_the_chairman(app, commune, data, clerk, chairman):
    """A vice-chairman signs "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"."""
    report = signed_report(commune, clerk, chairman, signer_kind="vice_chairman")
    last = page_texts(report.pdf)[-1]
    _height, chars = chars_of(report.pdf)[-1]
    authority = line_chars(chars, "TM. ỦY BAN NHÂN DÂN")
    deputy = line_chars(chars, "KT. CHỦ TỊCH")
    title = line_chars(chars, "PHÓ CHỦ TỊCH")
    assert authority[0]["top"] < deputy[0]["top"] < title[0]["top"]
    assert all("Bold" in c["fontname"] and 12.9 <= c["size"] <= 14.1
               for c in authority + deputy + title)
    assert "Lê Quang Trung" in last


def test_draft_is_watermarked_and_unnumbered(app, commune, data, clerk):
    """A draft carries DỰ THẢO on every page and no number or date."""
    report = make_report(commune, clerk)
    pdf = draft_pdf(report)
    for _height, chars in chars_of(pdf):
        # The big rotated mark, on every page.
        assert "".join(c["text"] for c in chars if c["size"] > 50) == "DỰ THẢO"
    first = page_texts(pdf)[0]
    assert re.search(r"Số:\s+/BC-UBND", first)
    assert re.search(r"Triệu Sơn, ngày\s+tháng\s+năm 2026", first)


def test_signed_report_is_frozen(app, client, auth, commune, data, clerk, chairman):
    """After sign-off the bytes, hash and figures never change."""
    report = signed_report(commune, clerk, chairman)
    digest, stored, figures = report.pdf_sha256, report.pdf, dict(report.figures)
    assert hashlib.sha256(stored).hexdigest() == digest
    # The data changes afterwards …
    for _ in range(5):
        checkin(data["shop"], "self_scan", TODAY)
    db.session.commit()
    auth.login(clerk)
    served = client.get(f"/reports/{report.id}/report.pdf")
    assert served.status_code == 200 and served.data == stored
    assert hashlib.sha256(served.data).hexdigest() == digest
    db.session.refresh(report)
    assert report.figures == figures and report.figures["total"]["checkins"] == 10
    # … and the report cannot be edited any more.
    assert client.post(f"/reports/{report.id}/edit", data={}).status_code == 302
    assert client.post(f"/reports/{report.id}/submit").status_code == 302
    db.session.refresh(report)
    assert report.status == ReportStatus.SIGNED and report.pdf == stored


def test_register_numbers_restart_each_year(app, client, auth, commune, data, clerk, chairman):
    """Register numbers run from 01 each calendar year."""
    numbers = [signed_report(commune, clerk, chairman, today=day).number_text
               for day in (date(2026, 3, 5), date(2026, 12, 31), date(2027, 1, 1),
                           date(2027, 1, 2))]
    assert numbers == ["01", "02", "01", "02"]
    auth.login(clerk)
    html = client.get("/reports/register?year=2027").get_data(as_text=True)
    assert "01/BC-UBND" in html and "02/BC-UBND" in html and "02/01/2027" in html
    assert "31/12/2026" not in html


def test_workflow_over_http(app, client, auth, commune, data, clerk, chairman):
    """Draft, directives, submit, return with a comment, resubmit, sign off."""
    auth.login(clerk)
    bad = client.post("/reports/new", data={
        "period_start": str(TODAY), "period_end": str(START), "summary": "",
        "recipients": "", "signer_kind": "chairman"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Ngày cuối kỳ không được trước ngày đầu kỳ." in html
    assert "Hãy nhập trích yếu của báo cáo." in html
    response = client.post("/reports/new", data={
        "period_start": str(START), "period_end": str(TODAY), "summary": "Báo cáo tháng",
        "recipients": "Sở Thông tin và Truyền thông\nLưu: VT, VHTT", "signer_kind": "chairman",
        "smartphones": "100", "app_installs": "40", "deployment": "Đoạn một.\nĐoạn hai."})
    assert response.status_code == 302
    report = db.session.scalar(select(Report))
    assert report.deployment == "Đoạn một.\nĐoạn hai."
    bad = client.post(f"/reports/{report.id}/directives", data={"subject": ""})
    assert bad.status_code == 400 and "Hãy nhập trích yếu của văn bản." in bad.get_data(
        as_text=True)
    assert client.post(f"/reports/{report.id}/directives", data={
        "subject": "V/v quét mã QR", "number_date": "12/UBND 02/01/2026",
        "issuing_unit": "UBND xã", "recipients": "Các thôn"}).status_code == 302
    assert client.get(f"/reports/{report.id}/report.pdf").data.startswith(b"%PDF")
    assert client.post(f"/reports/{report.id}/submit").status_code == 302
    auth.logout()
    auth.login(chairman)
    bad = client.post(f"/reports/{report.id}/return", data={"comment": ""})
    assert bad.status_code == 400 and "Hãy nêu nội dung cần sửa." in bad.get_data(as_text=True)
    client.post(f"/reports/{report.id}/return", data={"comment": "Bổ sung số liệu thôn Đông."})
    db.session.refresh(report)
    assert report.status == ReportStatus.RETURNED
    auth.logout()
    auth.login(clerk)
    assert "Bổ sung số liệu thôn Đông." in client.get(f"/reports/{report.id}").get_data(
        as_text=True)
    client.post(f"/reports/{report.id}/submit")
    auth.logout()
    auth.login(chairman)
    assert client.post(f"/reports/{report.id}/sign",
                       data={"confirmed": "1"}).status_code == 302
    db.session.refresh(report)
    assert report.status == ReportStatus.SIGNED and report.number == 1
    assert report.issued_on == local_today()
    assert client.post(f"/reports/{report.id}/sign").status_code == 302  # no second number
    db.session.refresh(report)
    assert report.number == 1
    actions = set(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "reports")))
    assert {"create", "submit", "return", "sign_off"} <= actions


# --- digital signatures -------------------------------------------------------------------------

def make_pkcs12(common_name: str, passphrase: bytes = b"mat-khau"):
    """A self-signed signing certificate as PKCS#12 bytes, and the certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    data = pkcs12.serialize_key_and_certificates(
        b"cert", key, cert, None, serialization.BestAvailableEncryption(passphrase))
    return data, cert


def png_bytes(colour) -> bytes:
    """A transparent PNG with a coloured ring (signature or seal stand-in)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 150), (255, 255, 255, 0))
    ImageDraw.Draw(image).ellipse((20, 20, 280, 130), outline=colour, width=8)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def validate(pdf: bytes, cert):
    """pyHanko's verdict on the last signature, trusting `cert`."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from registry.services.reports.signing import outside_event_loop

    root = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return outside_event_loop(validate_pdf_signature, reader.embedded_signatures[-1],
                              ValidationContext(trust_roots=[root]))


def external_sign(pdf: bytes, p12: bytes, passphrase: bytes = b"mat-khau") -> bytes:
    """What the USB-token signing tool does: an incremental PAdES signature."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    from registry.services.reports.signing import outside_event_loop

    signer = signers.SimpleSigner.load_pkcs12_data(p12, other_certs=[], passphrase=passphrase)
    out = io.BytesIO()
    outside_event_loop(signers.sign_pdf, IncrementalPdfFileWriter(io.BytesIO(pdf)),
                       signers.PdfSignatureMetadata(field_name="Token"), signer=signer,
                       output=out)
    return out.getvalue()


def tamper(pdf: bytes) -> bytes:
    """Change one digit of the issued figures inside the signed bytes."""
    data = bytearray(pdf)
    index = data.find(b"/MediaBox")
    data[index + 11:index + 12] = b"1" if data[index + 11:index + 12] != b"1" else b"2"
    return bytes(data)


@pytest.fixture(scope="module")
def commune_cert():
    """The commune's self-signed certificate, made once for the module."""
    return make_pkcs12("Lê Văn Tiến")


def test_server_pades_signature_validates(app, client, auth, commune, data, clerk, make_user,
                                          chairman, commune_cert):
    """Server PAdES signature validates with pyHanko; a tampered file fails."""
    p12, cert = commune_cert
    admin = make_user(Role.ADMIN)
    auth.login(admin)
    bad = client.post("/reports/signing", data={
        "pkcs12": (io.BytesIO(p12), "chutich.p12"), "passphrase": "sai"},
        content_type="multipart/form-data")
    assert "Không mở được chứng thư số với mật khẩu này." in bad.get_data(as_text=True)
    response = client.post("/reports/signing", data={
        "pkcs12": (io.BytesIO(p12), "chutich.p12"), "passphrase": "mat-khau",
        "signature_png": (io.BytesIO(png_bytes((0, 60, 200, 255))), "chuky.png"),
        "seal_png": (io.BytesIO(png_bytes((220, 0, 0, 255))), "condau.png")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    from registry.models import SigningMaterial

    material = db.session.scalar(select(SigningMaterial))
    assert p12 not in material.pkcs12_encrypted and b"mat-khau" not in (
        material.passphrase_encrypted)
    auth.logout()
    report = signed_report(commune, clerk, chairman)
    assert report.signed_pdf.startswith(report.pdf)
    status = validate(report.signed_pdf, cert)
    assert status.intact and status.valid and status.bottom_line
    assert report.signature_info["signatures"][0]["signer"] == "Lê Văn Tiến"
    # The issued bytes and hash are untouched by the signature.
    assert hashlib.sha256(report.pdf).hexdigest() == report.pdf_sha256
    tampered = tamper(report.signed_pdf)
    assert not validate(tampered, cert).intact
    assert not verify_pdf(report, tampered).matches


def test_externally_signed_upload(app, client, auth, commune, data, clerk, chairman):
    """A token-signed PDF of the issued file is stored; tampered or foreign ones are not."""
    report = signed_report(commune, clerk, chairman)
    token_p12, token_cert = make_pkcs12("LÊ VĂN TIẾN (CA Ban Cơ yếu Chính phủ)")
    signed = external_sign(report.pdf, token_p12)
    auth.login(clerk)
    # A tampered file and another PDF signed with the token are refused.
    for wrong in (tamper(signed), external_sign(draft_pdf(make_report(commune, clerk)),
                                                 token_p12)):
        response = client.post(f"/reports/{report.id}/signed.pdf",
                               data={"file": (io.BytesIO(wrong), "bc.pdf")},
                               content_type="multipart/form-data")
        assert response.status_code == 400
        assert "hệ thống không lưu tệp" in response.get_data(as_text=True)
    response = client.post(f"/reports/{report.id}/signed.pdf",
                           data={"file": (io.BytesIO(signed), "bc-ky-so.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(report)
    assert report.signed_pdf == signed
    assert validate(report.signed_pdf, token_cert).bottom_line
    assert client.get(f"/reports/{report.id}/signed.pdf").data == signed
    # The public verification page says who signed and that it is intact.
    auth.logout()
    html = client.get(f"/verify/{report.verify_token}").get_data(as_text=True)
    assert "LÊ VĂN TIẾN (CA Ban Cơ yếu Chính phủ)" in html and "toàn vẹn" in html


def test_public_verification_page(app, client, commune, data, clerk, chairman):
    """Anyone can check a PDF against the one on file."""
    report = signed_report(commune, clerk, chairman)
    assert client.get("/verify/not-a-token").status_code == 404
    url = f"/verify/{report.verify_token}"
    html = client.get(url).get_data(as_text=True)
    assert "01/BC-UBND" in html and report.pdf_sha256 in html
    ok = client.post(url, data={"file": (io.BytesIO(report.pdf), "bc.pdf")},
                     content_type="multipart/form-data").get_data(as_text=True)
    assert "Tệp PDF này đúng là văn bản đang lưu." in ok
    bad = client.post(url, data={"file": (io.BytesIO(tamper(report.pdf)), "bc.pdf")},
                      content_type="multipart/form-data").get_data(as_text=True)
    assert "Tệp PDF này KHÔNG phải văn bản đang lưu." in bad
    missing = client.post(url, data={}, content_type="multipart/form-data")
    assert missing.status_code == 400
    assert "Hãy chọn tệp PDF cần kiểm tra." in missing.get_data(as_text=True)


def test_other_commune_reports_are_not_found(app, client, auth, commune, other_commune,
                                             data, clerk, make_user):
    """Another commune's reports are 404."""
    theirs_clerk = make_user(Role.CLERK, commune_id=other_commune.id)
    report = make_report(other_commune, theirs_clerk)
    auth.login(clerk)
    for url in (f"/reports/{report.id}", f"/reports/{report.id}/report.pdf",
                f"/reports/{report.id}/edit"):
        assert client.get(url).status_code == 404
    assert client.post(f"/reports/{report.id}/submit").status_code == 404


# --- in the browser ------------------------------------------------------------------------------

@pytest.mark.browser
def test_dashboard_and_sign_off_in_the_browser(live_server, page):
    """The chart draws under the site's CSP, and a report goes from draft to signed by clicks."""
    app, base = live_server
    with app.app_context():
        from registry.services.communes import categories_for_code, create_commune
        from registry.services.users import create_user
        from registry.services.venues import register_venue

        commune = create_commune(15664)
        commune.chairman_name = "Lê Văn Tiến"
        clerk_user = create_user(commune.id, username="vanhoa", full_name="Nguyễn Thị Thúy",
                                 role=Role.CLERK, password="correct-horse-1")
        create_user(commune.id, username="chutich", full_name="Lê Văn Tiến",
                    role=Role.CHAIRMAN, password="correct-horse-1")
        venue = register_venue(commune.id, clerk_user, point_names=["Cổng"], name="Chợ Nưa",
                               category_id=categories_for_code(commune.id)["market"].id,
                               address=None, village_id=None, manager_name="Lê Thị Chợ",
                               manager_phone="+84987654321", notes=None)
        for source in ("self_scan", "paper", "paper"):
            checkin(venue, source, TODAY)
        db.session.commit()
    violations = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)

    def login(username):
        """Log in through the form."""
        page.goto(f"{base}/auth/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "correct-horse-1")
        page.click("form button[type=submit]")

    login("vanhoa")
    page.goto(f"{base}/dashboard/")
    assert page.locator(".chart svg rect").count() >= 2
    assert page.locator("table.figures tr.total td").nth(-1).inner_text() == "3"
    page.goto(f"{base}/reports/new")
    page.fill("#summary", "Báo cáo tình hình quét mã QR")
    page.click("form.form-grid button[type=submit]")
    page.click("text=Trình Chủ tịch")
    page.click("text=Đăng xuất")
    login("chutich")
    page.goto(f"{base}/reports/")
    page.click("text=Báo cáo tình hình quét mã QR")
    page.click("text=Ký duyệt")
    # Signing off asks first, on a page saying what will happen.
    assert "Báo cáo được lấy số tiếp theo" in page.inner_text("section.confirm")
    page.click("section.confirm button[type=submit]")
    assert "Đã ký duyệt báo cáo số 01/BC-UBND." in page.content()
    assert violations == []


def test_sign_off_takes_the_next_number_when_it_was_just_taken(app, client, auth, commune,
                                                               data, clerk, chairman,
                                                               monkeypatch):
    """Two sign-offs at the same moment: the second one to commit gets the next number."""
    from registry.services.reports import sign_off as reports_service

    report = make_report(commune, clerk)
    submit_report(report, clerk)
    db.session.commit()
    real = reports_service.next_document_number
    calls = []

    def stale(commune_id, year, symbol):
        """Let another document take the number just read."""
        calls.append(year)
        if len(calls) == 1:
            # Another report signs off between our read of the register and our commit.
            from registry.models import OutgoingDocument

            number = real(commune_id, year, symbol)
            db.session.add(OutgoingDocument(commune_id=commune_id, year=year, symbol=symbol,
                                            number=number, issued_on=local_today(),
                                            summary="Công văn khác"))
            db.session.flush()
            db.session.commit()
            return number
        return real(commune_id, year, symbol)

    monkeypatch.setattr(reports_service, "next_document_number", stale)
    auth.login(chairman)
    assert client.post(f"/reports/{report.id}/sign",
                       data={"confirmed": "1"}).status_code == 302
    db.session.expire_all()
    report = db.session.get(Report, report.id)
    assert report.status == ReportStatus.SIGNED and report.number == 2
    assert len(calls) == 2


# --- the report that writes itself (issue 12) ----------------------------------------------------

@pytest.fixture
def december(app, commune, make_venue):
    """December 2025 in the commune, with visits on both sides of local midnight at its edges,
    a shop whose QR nobody scans and November for the comparison."""
    from registry.timeutil import local_to_utc
    from tests.scenes import CARD, OB, PAPER, S, visit

    school = make_venue(name="Trường THCS Triệu Sơn")
    shop = make_venue(name="Tạp hóa Cô Lan", category="household_business")
    market = make_venue(name="Chợ Nưa", category="market")
    registered = local_to_utc(datetime(2025, 10, 1, 8))
    for venue in (school, shop, market):
        venue.created_at = registered
        venue.points[0].created_at = registered
    school.points[0].poster_printed_at = local_to_utc(datetime(2025, 11, 2, 9))
    shop.points[0].poster_printed_at = local_to_utc(datetime(2025, 11, 2, 9))
    gate, stall = school.points[0], market.points[0]
    visit(gate, S, "Nguyễn Văn An", datetime(2025, 12, 1, 0, 10))    # 30/11 17:10 UTC: counts
    visit(gate, S, "Lê Thị Bình", datetime(2025, 12, 31, 23, 50))    # counts
    visit(gate, S, "Trần Văn Cường", datetime(2026, 1, 1, 0, 20))    # 31/12 UTC: January
    visit(gate, CARD, "Phạm Thị Dung", datetime(2025, 12, 10, 8))
    visit(gate, PAPER, "Hoàng Văn Em", datetime(2025, 12, 11, 9))
    visit(gate, PAPER, "Vũ Thị Hoa", datetime(2025, 12, 11, 10))
    visit(gate, OB, "Đỗ Văn Giang", datetime(2025, 12, 12, 9))
    visit(stall, CARD, "Bùi Thị Hạnh", datetime(2025, 12, 15, 9))
    visit(gate, S, "Ngô Văn Ích", datetime(2025, 11, 30, 23, 59))    # November
    visit(stall, PAPER, "Đặng Thị Kim", datetime(2025, 11, 5, 9))    # November
    db.session.commit()
    return {"school": school, "shop": shop, "market": market}


def written_report(commune, clerk, **overrides):
    """A December report whose sections the registry pre-wrote."""
    from registry.services.reports.wording import GENERIC_SUMMARY

    fields = dict(period_start=date(2025, 12, 1), period_end=date(2025, 12, 31),
                  summary=GENERIC_SUMMARY, recipients=default_recipients(commune),
                  signer_kind="chairman")
    fields.update(overrides)
    report = create_report(commune, clerk, **fields)
    db.session.commit()
    return report


def test_report_writes_itself_in_the_seeds_style(app, commune, december, clerk, chairman):
    """The signed PDF read back: the period in title and opening, the QR-share sentence with the
    percentage the database gives, the per-category table with its QR share, the comparison,
    shortcomings from the facts, the closing naming the province, ./. and 05 tháng 01."""
    start, end = date(2025, 12, 1), date(2025, 12, 31)
    report = written_report(commune, clerk)
    submit_report(report, clerk)
    sign_off(report, chairman, render_report_pdf, today=date(2026, 1, 5))
    db.session.commit()
    lines = "\n".join(page_texts(report.pdf))
    text = " ".join(lines.split())
    total = db_count(commune.id, start, end)
    qr = db_count(commune.id, start, end, "self_scan") + db_count(commune.id, start, end,
                                                                  "card_scan")
    assert (total, qr) == (7, 4)
    share = f"{round(100 * qr / total, 1):.1f}".replace(".", ",")
    for expected in (
            "Triệu Sơn, ngày 05 tháng 01 năm 2026",
            "trên địa bàn xã tháng 12 năm 2025",  # the summary under BÁO CÁO
            "Ủy ban nhân dân xã Triệu Sơn báo cáo kết quả triển khai thực hiện từ ngày "
            "01/12/2025 đến ngày 31/12/2025 như sau:",
            f"toàn xã ghi nhận {total} lượt khai báo y tế",
            f"khai báo qua việc quét mã QR với khoảng {qr} lượt",
            f"đạt {share} % so với tổng khai báo y tế",
            "trên địa bàn xã có 3 cơ quan, đơn vị, cơ sở, địa điểm đã đăng ký",
            "2 địa điểm đã được in mã QR địa điểm",
            "So với kỳ trước (từ ngày 01/11/2025 đến ngày 30/11/2025), tổng số lượt khai báo "
            "tăng 250 %",
            "2. Kết quả thực hiện", "3. Tồn tại, hạn chế", "4. Phương hướng", "5. Kiến nghị",
            "1 hộ kinh doanh (Tạp hóa Cô Lan)",
            "báo cáo UBND tỉnh Thanh Hóa và Sở Khoa học và Công nghệ để tổng hợp theo quy "
            "định./."):
        assert expected in text, expected
    assert "Ủy ban nhân dân Xã" not in text and "UBND Tỉnh" not in text
    # The table: QR codes, declarations, through QR, QR share, paper, on behalf.
    total_line = next(line for line in lines.splitlines() if line.startswith("Tổng cộng"))
    assert total_line.split()[2:] == ["3", "7", "4", share, "%", "2", "1"]
    assert any(line.startswith("3 Hộ kinh") and line.endswith("1 0 0 – 0 0")
               for line in lines.splitlines())
    # The body ends with ./. right before Nơi nhận, and no line is a "label: number." entry.
    assert lines.split("Nơi nhận:")[0].rstrip().endswith("./.")
    bookkeeping = [line for line in lines.splitlines()
                   if re.fullmatch(r"[^:]{2,80}: ?\d[\d.,]*(?: ?%)?\.", line.strip())]
    assert bookkeeping == []


def test_every_sentence_is_editable_and_empty_sections_block_submission(
        app, client, auth, commune, december, clerk):
    """The clerk edits any pre-written sentence; a report with an empty required section is
    not submitted and says which section is missing."""
    report = written_report(commune, clerk)
    auth.login(clerk)
    form = {name: getattr(report, name) or "" for name in (
        "summary", "introduction", "deployment", "results", "shortcomings", "direction",
        "proposals", "closing", "recipients")}
    form.update(period_start="2025-12-01", period_end="2025-12-31", signer_kind="chairman")
    edited = dict(form, results=form["results"].replace("toàn xã ghi nhận",
                                                        "toàn xã đã ghi nhận được"),
                  shortcomings="")
    assert client.post(f"/reports/{report.id}/edit", data=edited).status_code == 302
    db.session.refresh(report)
    assert "toàn xã đã ghi nhận được 7 lượt" in report.results and report.shortcomings == ""
    response = client.post(f"/reports/{report.id}/submit", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Chưa thể trình báo cáo" in html and "3. Tồn tại, hạn chế" in html
    db.session.refresh(report)
    assert report.status == ReportStatus.DRAFT
    pdf_text = " ".join("\n".join(page_texts(draft_pdf(report))).split())
    assert "toàn xã đã ghi nhận được 7 lượt" in pdf_text


def test_untouched_sections_follow_new_figures_touched_ones_stay(app, client, auth, commune,
                                                                 december, clerk):
    """New check-ins after drafting: the page says so, the untouched sections are rewritten,
    the clerk's own text stays unless asked for."""
    from tests.scenes import S, visit

    report = written_report(commune, clerk)
    report.shortcomings = "Một số hộ kinh doanh chưa quét mã."
    visit(december["shop"].points[0], S, "Khách muộn", datetime(2025, 12, 20, 9))
    db.session.commit()
    auth.login(clerk)
    html = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "Số liệu đã thay đổi kể từ khi viết nội dung" in html
    assert client.post(f"/reports/{report.id}/redraft").status_code == 302
    db.session.refresh(report)
    assert "toàn xã ghi nhận 8 lượt" in report.results
    assert report.shortcomings == "Một số hộ kinh doanh chưa quét mã."
    client.post(f"/reports/{report.id}/redraft", data={"section": "shortcomings"})
    db.session.refresh(report)
    assert report.shortcomings.startswith("Còn 1 địa điểm đã đăng ký nhưng chưa in")
    assert client.post(f"/reports/{report.id}/redraft", data={"section": "bogus"}
                       ).status_code == 400


def test_signer_choices_are_vietnamese_whatever_the_screen_language(app, client, auth, commune,
                                                                    make_user):
    """The signer is chosen by the words the document prints, also on an English screen."""
    clerk = make_user(Role.CLERK, locale="en")
    auth.login(clerk)
    html = client.get("/reports/new").get_data(as_text=True)
    assert "New report" in html
    assert ">Lê Văn Tiến — Chủ tịch (TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH)</option>" in html
    assert ("Lê Quang Trung — Phó Chủ tịch, ký thay Chủ tịch (KT. CHỦ TỊCH / PHÓ CHỦ TỊCH)"
            in html)
    assert "Vice-chairman" not in html
