"""The commune's report in the Decree 30 layout: a draft watermarked DỰ THẢO, or the signed
issue with the QR of its public verification page. Always Vietnamese (an official document),
whatever the screen language."""
from __future__ import annotations

from datetime import date

from flask_babel import force_locale

from registry.models import CheckinSource, Report
from registry.pdf import render_pdf
from registry.pdf.qr import qr_size_with_border, qr_svg_data_uri
from registry.services.reports.drafting import report_figures
from registry.services.reports.sign_off import verify_url
from registry.services.reports.wording import with_closing_mark

VERIFY_QR_MM = 16


def render_report_pdf(report: Report, figures: dict, *, draft: bool,
                      issued_on: date | None = None) -> bytes:
    """The report's PDF from `figures` (computed now for a draft, frozen at sign-off)."""
    qr = None
    if not draft and report.verify_token:
        url = verify_url(report)
        qr = {"uri": qr_svg_data_uri(url, error="m"), "url": url,
              "size_mm": round(qr_size_with_border(url, VERIFY_QR_MM, error="m"), 2)}
    with force_locale("vi"):
        return render_pdf("pdf/report.html", stylesheets=("report.css",), report=report,
                          commune=report.commune, figures=figures, draft=draft,
                          issued_on=issued_on, qr=qr, sources=[s.value for s in CheckinSource],
                          closing_mark=with_closing_mark)


def draft_report_pdf(report: Report) -> bytes:
    """A draft's PDF, watermarked DỰ THẢO (never stored): from today's data, or from the
    figures frozen at submission once the chairman has it."""
    figures = report.figures if report.figures and not report.is_editable else None
    return render_report_pdf(report, figures or report_figures(report), draft=True)
