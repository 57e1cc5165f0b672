"""Reports: draft, edit, directives, submit, return, sign off, PDFs, signing material, and the
public verification page."""
from __future__ import annotations

import io
from datetime import timedelta

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry import signals
from registry.demo.reports import seed_reports
from registry.extensions import db, limiter
from registry.forms.reports import (DirectiveForm, ReportForm, ReturnForm, SignedUploadForm,
                                    SigningMaterialForm, VerifyForm)
from registry.models import OutgoingDocument, Report, ReportDirective, ReportStatus, Role
from registry.pdf.reports import draft_report_pdf, render_report_pdf
from registry.security import get_scoped_or_404, roles_required
from registry.services.reports.drafting import (ReportIncomplete, ReportStateError,
                                                add_directive, create_report,
                                                default_recipients, missing_sections,
                                                outdated_sections, redraft, remove_directive,
                                                report_figures, return_report, submit_report,
                                                update_report)
from registry.services.reports.wording import DRAFTED_SECTIONS, GENERIC_SUMMARY
from registry.services.reports.sign_off import (accept_signed_upload, report_by_token, sign_off,
                                                verify_pdf)
from registry.services.reports.signing import SigningError, material_for, store_material
from registry.timeutil import local_today
from registry.transactions import retry_on_unique_clash

from registry.views.confirm import ask_first, confirmed

bp = Blueprint("reports", __name__)

VIEWERS = (Role.ADMIN, Role.CLERK, Role.CHAIRMAN)
WRITERS = (Role.ADMIN, Role.CLERK)
SIGNERS = (Role.CHAIRMAN,)
PDF_MIME = "application/pdf"


def _report(report_id: int) -> Report:
    """The report, 404 unless it is the user's commune's."""
    return get_scoped_or_404(Report, report_id)


def _state_error():
    """Tell the user the action does not fit the report's status."""
    flash(_("This cannot be done in the report's present status."), "danger")


@bp.get("/reports/")
@roles_required(*VIEWERS)
def index():
    """The commune's reports, newest first."""
    reports = db.session.scalars(select(Report).where(Report.commune_id == current_user.commune_id)
                                 .order_by(Report.created_at.desc(), Report.id.desc())).all()
    return render_template("reports/index.html", reports=reports,
                           can_write=current_user.has_role(*WRITERS))


def _form_fields(form: ReportForm) -> dict:
    """The report fields of a validated form, by name."""
    return {name: getattr(form, name).data for name in (
        "period_start", "period_end", "summary", "introduction", "deployment", "results",
        "shortcomings", "direction", "proposals", "closing", "smartphones", "app_installs",
        "recipients", "signer_kind")}


def section_labels(form: ReportForm | None = None) -> dict[str, str]:
    """The report's sections in words, as the form labels them."""
    form = form or ReportForm()
    return {name: str(getattr(form, name).label.text) for name in DRAFTED_SECTIONS}


def _figures_of(report: Report) -> dict:
    """The figures a page shows: frozen once submitted or signed, computed now for a draft."""
    if report.figures and not report.is_editable:
        return report.figures
    return report_figures(report)


def _detail(report: Report, status: int = 200, **forms):
    """The report page with its forms (those given replace the empty ones)."""
    figures = _figures_of(report)
    editable = report.is_editable
    context = {"directive_form": DirectiveForm(), "return_form": ReturnForm(),
               "upload_form": SignedUploadForm(), **forms}
    return render_template(
        "reports/detail.html", report=report, figures=figures,
        outdated=outdated_sections(report, figures) if editable else {},
        missing=missing_sections(report) if editable else [],
        labels=section_labels(), can_write=current_user.has_role(*WRITERS),
        can_sign=current_user.has_role(*SIGNERS), **context), status


@bp.get("/reports/register")
@roles_required(*VIEWERS)
def register():
    """The register of outgoing documents (sổ văn bản đi) of a year, numbers as assigned."""
    years = sorted(set(db.session.scalars(
        select(OutgoingDocument.year).where(
            OutgoingDocument.commune_id == current_user.commune_id))) | {local_today().year},
        reverse=True)
    year = request.args.get("year", type=int) or years[0]
    documents = db.session.scalars(
        select(OutgoingDocument).where(OutgoingDocument.commune_id == current_user.commune_id,
                                       OutgoingDocument.year == year)
        .order_by(OutgoingDocument.symbol, OutgoingDocument.number)).all()
    return render_template("reports/register.html", documents=documents, year=year,
                           years=years)


@bp.route("/reports/new", methods=["GET", "POST"])
@roles_required(*WRITERS)
def create():
    """Start a draft for a period (by default the previous calendar month)."""
    commune = current_user.commune
    form = ReportForm(commune=commune)
    if request.method == "GET":
        first = local_today().replace(day=1)
        form.period_end.data = first - timedelta(days=1)
        form.period_start.data = form.period_end.data.replace(day=1)
        # The registry adds the period to it and pre-writes the sections from the figures.
        form.summary.data = GENERIC_SUMMARY
        form.recipients.data = default_recipients(commune)
    if form.validate_on_submit():
        report = create_report(commune, current_user, **_form_fields(form))
        flash(_("Draft report created."), "success")
        return redirect(url_for("reports.detail", report_id=report.id))
    return render_template("reports/form.html", form=form, report=None)


@bp.route("/reports/<int:report_id>/edit", methods=["GET", "POST"])
@roles_required(*WRITERS)
def edit(report_id: int):
    """Change a draft or returned report."""
    report = _report(report_id)
    if not report.is_editable:
        _state_error()
        return redirect(url_for("reports.detail", report_id=report.id))
    form = ReportForm(obj=report, commune=report.commune)
    if request.method == "GET":
        form.signer_kind.data = report.signer_kind.value
    if form.validate_on_submit():
        changes = update_report(report, current_user, **_form_fields(form))
        flash(_("Changes saved.") if changes else _("Nothing was changed."), "success")
        return redirect(url_for("reports.detail", report_id=report.id))
    return render_template("reports/form.html", form=form, report=report)


@bp.get("/reports/<int:report_id>")
@roles_required(*VIEWERS)
def detail(report_id: int):
    """A report: status, figures (live for a draft, frozen once signed), actions."""
    return _detail(_report(report_id))


@bp.post("/reports/<int:report_id>/redraft")
@roles_required(*WRITERS)
def redraft_view(report_id: int):
    """Rewrite the sections the clerk did not touch from today's figures (and the one named in
    the form, even if touched)."""
    report = _report(report_id)
    section = request.form.get("section", "")
    if section and section not in DRAFTED_SECTIONS:
        abort(400)
    try:
        rewritten = redraft(report, current_user, (section,) if section else ())
    except ReportStateError:
        _state_error()
        return redirect(url_for("reports.detail", report_id=report.id))
    labels = section_labels()
    flash(_("Rewritten from today's figures: %(sections)s.",
            sections=", ".join(labels[n] for n in rewritten)) if rewritten
          else _("The text already matches today's figures."), "success")
    return redirect(url_for("reports.detail", report_id=report.id))


@bp.post("/reports/<int:report_id>/directives")
@roles_required(*WRITERS)
def add_directive_view(report_id: int):
    """Add a row to the table of directives."""
    report = _report(report_id)
    form = DirectiveForm()
    if not report.is_editable:
        _state_error()
    elif form.validate_on_submit():
        add_directive(report, subject=form.subject.data, number_date=form.number_date.data,
                      issuing_unit=form.issuing_unit.data, recipients=form.recipients.data)
        flash(_("Directive added."), "success")
        return redirect(url_for("reports.detail", report_id=report.id) + "#directives")
    else:
        return _detail(report, 400, directive_form=form)
    return redirect(url_for("reports.detail", report_id=report.id))


@bp.post("/reports/<int:report_id>/directives/<int:directive_id>/delete")
@roles_required(*WRITERS)
def delete_directive(report_id: int, directive_id: int):
    """Remove a row of the table of directives."""
    report = _report(report_id)
    directive = db.session.get(ReportDirective, directive_id)
    if directive is None or directive.report_id != report.id:
        abort(404)
    try:
        remove_directive(report, directive)
    except ReportStateError:
        _state_error()
        return redirect(url_for("reports.detail", report_id=report.id))
    flash(_("Directive removed."), "success")
    return redirect(url_for("reports.detail", report_id=report.id) + "#directives")


@bp.post("/reports/<int:report_id>/submit")
@roles_required(*WRITERS)
def submit(report_id: int):
    """The clerk submits the report to the chairman."""
    report = _report(report_id)
    try:
        submit_report(report, current_user)
    except ReportStateError:
        _state_error()
        return redirect(url_for("reports.detail", report_id=report.id))
    except ReportIncomplete as exc:
        labels = section_labels()
        flash(_("The report cannot be submitted: write the section(s) %(sections)s first.",
                sections=", ".join(labels[n] for n in exc.missing)), "danger")
        return redirect(url_for("reports.detail", report_id=report.id))
    flash(_("Report submitted to the chairman."), "success")
    return redirect(url_for("reports.detail", report_id=report.id))


@bp.post("/reports/<int:report_id>/return")
@roles_required(*SIGNERS)
def return_view(report_id: int):
    """The chairman returns the report with a comment."""
    report = _report(report_id)
    form = ReturnForm()
    if report.status != ReportStatus.SUBMITTED:
        _state_error()
        return redirect(url_for("reports.detail", report_id=report.id))
    if not form.validate_on_submit():
        return _detail(report, 400, return_form=form)
    return_report(report, current_user, form.comment.data)
    flash(_("Report returned to the clerk."), "success")
    return redirect(url_for("reports.detail", report_id=report.id))


@bp.post("/reports/<int:report_id>/sign")
@roles_required(*SIGNERS)
def sign(report_id: int):
    """The chairman signs the report off: number, frozen PDF, PAdES signature if configured."""
    report = _report(report_id)
    if report.status == ReportStatus.SUBMITTED and not confirmed():
        return ask_first(
            title=_("Sign off this report?"), record=report.summary,
            consequences=[
                _("The report takes the next number of the commune's register of outgoing "
                  "documents."),
                _("Its figures and text are frozen in the signed PDF: they can no longer be "
                  "changed or returned to the clerk."),
                _("It is signed in the name of %(signer)s.", signer=report.signer_name)],
            button=_("Sign off"), danger=False,
            cancel_url=url_for("reports.detail", report_id=report.id))
    try:
        # Another document may take the same register number at the same moment: the unique
        # (commune, year, symbol, number) then refuses ours, and we start again with the next.
        report = retry_on_unique_clash(
            lambda: sign_off(_report(report_id), current_user, render_report_pdf))
    except ReportStateError:
        _state_error()
        return redirect(url_for("reports.detail", report_id=report_id))
    except SigningError:
        db.session.rollback()
        flash(_("The commune's certificate could not be used to sign. Upload it again or "
                "remove it."), "danger")
        return redirect(url_for("reports.detail", report_id=report_id))
    flash(_("Report signed off as No. %(number)s/%(symbol)s.", number=report.number_text,
            symbol=report.symbol), "success")
    return redirect(url_for("reports.detail", report_id=report.id))


def _pdf_response(data: bytes, name: str):
    """PDF bytes as a response, never cached."""
    response = send_file(io.BytesIO(data), mimetype=PDF_MIME, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/reports/<int:report_id>/report.pdf")
@roles_required(*VIEWERS)
def pdf(report_id: int):
    """The PDF: a draft rendered now (DỰ THẢO), a signed report exactly as stored."""
    report = _report(report_id)
    if report.is_signed:
        return _pdf_response(report.pdf, f"BC-{report.number_text}-{report.issued_on.year}.pdf")
    return _pdf_response(draft_report_pdf(report), f"du-thao-bao-cao-{report.id}.pdf")


@bp.get("/reports/<int:report_id>/signed.pdf")
@roles_required(*VIEWERS)
def signed_pdf(report_id: int):
    """The digitally signed file, exactly as stored."""
    report = _report(report_id)
    if not report.is_signed or report.signed_pdf is None:
        flash(_("No digital signature stored yet."), "warning")
        return redirect(url_for("reports.detail", report_id=report.id))
    return _pdf_response(report.signed_pdf,
                         f"BC-{report.number_text}-{report.issued_on.year}-ky-so.pdf")


@bp.post("/reports/<int:report_id>/signed.pdf")
@roles_required(*VIEWERS)
def upload_signed(report_id: int):
    """Upload the PDF signed with the chairman's USB token; kept only if it is the issued PDF
    with intact signatures added."""
    report = _report(report_id)
    form = SignedUploadForm()
    if not report.is_signed:
        _state_error()
        return redirect(url_for("reports.detail", report_id=report.id))
    if form.validate_on_submit():
        result = accept_signed_upload(report, current_user, form.file.data.read())
        if result.matches and result.kind in ("signed", "signed_elsewhere"):
            flash(_("Signed file stored: the signature covers the issued PDF and is intact."),
                  "success")
            return redirect(url_for("reports.detail", report_id=report.id))
        form.file.errors.append(
            _("This file is not the issued PDF with an intact signature added; it was not "
              "stored."))
    return _detail(report, 400, upload_form=form)


@bp.route("/reports/signing", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.CHAIRMAN)
def signing():
    """The commune's certificate (PKCS#12), signature image and seal."""
    form = SigningMaterialForm()
    material = material_for(current_user.commune_id)
    if form.validate_on_submit():
        def read(f):
            """The uploaded bytes, or None when nothing was chosen."""
            return f.data.read() if f.data else None

        pkcs12_data = read(form.pkcs12)
        try:
            store_material(current_user.commune_id, current_user, pkcs12_data=pkcs12_data,
                           passphrase=form.passphrase.data,
                           signature_png=read(form.signature_png), seal_png=read(form.seal_png))
        except SigningError as exc:
            db.session.rollback()
            target = {"pkcs12": form.pkcs12, "image": form.signature_png}.get(exc.code,
                                                                             form.pkcs12)
            if exc.code == "image":
                target.errors.append(_("This is not a PNG image the registry can use."))
            else:
                target.errors.append(_("The certificate cannot be opened with this passphrase."))
        else:
            flash(_("Signing settings saved."), "success")
            return redirect(url_for("reports.signing"))
    return render_template("reports/signing.html", form=form, material=material)


@bp.route("/verify/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PUBLIC_RATE_LIMIT"])
def verify(token: str):
    """Public: the report on file and a check of a PDF someone holds against it."""
    report = report_by_token(token)
    if report is None:
        abort(404)
    form = VerifyForm()
    result = None
    if form.validate_on_submit():
        result = verify_pdf(report, form.file.data.read())
    return render_template("reports/verify.html", report=report, form=form, result=result,
                           info=report.signature_info or {}), (400 if form.errors else 200)


def init_app(app) -> None:
    """The report pages and the public verification page; the demo's reports."""
    app.register_blueprint(bp)
    signals.seed_demo.connect(seed_reports)
