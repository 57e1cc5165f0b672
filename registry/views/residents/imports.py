"""Importing the register from a spreadsheet: the template, the preview, the confirmation."""
from __future__ import annotations

import io

from flask import flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _

from registry.forms import ActionForm
from registry.forms.imports import template_xlsx
from registry.forms.residents import (ResidentImportForm, import_header, parse_resident_rows,
                                      preview_columns)
from registry.security import roles_required
from registry.services.imports import ImportOutcome
from registry.services.residents.register import import_residents
from registry.views.imports import confirm_upload, outcome_message, preview_upload
from registry.views.residents.blueprint import EDITORS, XLSX, bp


@bp.get("/residents/import/template.xlsx")
@roles_required(*EDITORS)
def import_template():
    """An empty spreadsheet with the import columns and one sample row (marked as a sample,
    never imported)."""
    example = ["Nguyễn Văn An", "1980", "Nam", "038080001234", "0912345678", "Thôn Đông", "",
               "HK00123", "Chủ hộ"]
    data = template_xlsx(_("Residents"), import_header(), example)
    return send_file(io.BytesIO(data), as_attachment=True, download_name="mau-nhap-nhan-khau.xlsx",
                     mimetype=XLSX)


@bp.route("/residents/import", methods=["GET", "POST"])
@roles_required(*EDITORS)
def import_upload():
    """Upload a spreadsheet; show a preview with every error, or a button to import."""
    form = ResidentImportForm()
    result, token = preview_upload(form, "residents", parse_resident_rows)
    return render_template("residents/import.html", form=form, result=result, token=token,
                           header=import_header(), columns=preview_columns())


@bp.post("/residents/import/confirm")
@roles_required(*EDITORS)
def import_confirm():
    """Import a previewed file: every row or none."""
    outcome = confirm_upload(ActionForm(), "residents", parse_resident_rows,
                             import_residents, "residents.import_upload")
    if not isinstance(outcome, ImportOutcome):
        return outcome
    flash(outcome_message(outcome, _("%(count)s residents imported", count=outcome.added)),
          "success")
    return redirect(url_for("residents.index"))
