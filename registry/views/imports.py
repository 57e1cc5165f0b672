"""The two steps every spreadsheet import shares (venues, residents): preview, then confirm.

Not a blueprint: helpers the import views call with their own form, parser and importer.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry import spreadsheets
from registry.extensions import db
from registry.formatting import number
from registry.services.imports import (ImportOutcome, ImportResult, claim_preview, receipt_for,
                                       stash_upload, stashed_upload)
from registry.spreadsheets import SpreadsheetError, read_rows
from registry.timeutil import to_local
from registry.transactions import retry_on_unique_clash

Parser = Callable[[int, list[list[str]]], ImportResult]


def refusal_message(error: SpreadsheetError) -> str:
    """Why a file was refused, in words, with the limit it went past."""
    reason, line = error.reason, error.line
    if reason == "too_large":
        return _("This file expands to more than %(mb)s MB when opened, far more than a "
                 "commune's spreadsheet: it may be damaged or made to overload the server. "
                 "Copy the data into a new .xlsx or .csv file and try again.",
                 mb=number(spreadsheets.MAX_ARCHIVE_BYTES // (1024 * 1024)))
    if reason == "too_many_rows":
        return _("The file has more than %(rows)s rows. Split it into several files.",
                 rows=number(spreadsheets.MAX_ROWS))
    if reason == "too_many_columns":
        return _("Row %(line)s has more than %(columns)s columns. Use the columns of the "
                 "template.", line=line, columns=spreadsheets.MAX_COLUMNS)
    if reason == "cell_too_long":
        return _("Row %(line)s has a cell longer than %(chars)s characters.", line=line,
                 chars=number(spreadsheets.MAX_CELL_CHARS))
    if reason == "line_too_long":
        return _("Line %(line)s of the file is longer than %(chars)s characters.", line=line,
                 chars=number(spreadsheets.MAX_LINE_CHARS))
    return _("This file cannot be read as a spreadsheet. Save it as .xlsx or .csv (UTF-8) and "
             "try again.")


def preview_upload(form, kind: str, parse: Parser) -> tuple[ImportResult | None, str | None]:
    """Check an uploaded file; a valid one is kept and its token returned for the confirm step.

    Errors that make the file unreadable go on the form's file field.
    """
    if not form.validate_on_submit():
        return None, None
    upload = form.file.data
    data = upload.read()
    upload.close()  # a large upload is spooled to a temporary file: let it go now
    try:
        rows = read_rows(upload.filename, data)
    except SpreadsheetError as error:
        form.file.errors.append(refusal_message(error))
        return None, None
    result = parse(current_user.commune_id, rows)
    token = stash_upload(kind, current_user.id, upload.filename, data, rows) \
        if result.is_valid else None
    return result, token


def confirm_upload(csrf_form, kind: str, parse: Parser, run_import: Callable[..., ImportOutcome],
                   upload_endpoint: str) -> ImportOutcome | object:
    """Import the previewed file, every row or none (checked again: data may have changed).

    Rows matching a registered record are skipped, or updated when the form says
    `existing=update`. A preview is imported once: a second click or a replayed request finds
    the first one's receipt and changes nothing. Returns what was done, or a redirect (back to
    the upload page, or to the list after a repeat).
    """
    token = request.form.get("token", "")
    if not csrf_form.validate_on_submit() or not token.replace("-", "").replace("_", "").isalnum():
        abort(400)
    update_existing = request.form.get("existing") == "update"

    def already_done(receipt):
        flash(_("This file was already imported at %(time)s; nothing was imported again.",
                time=to_local(receipt.created_at).strftime("%H:%M %d/%m/%Y")), "info")
        return redirect(url_for(upload_endpoint))

    done = receipt_for(kind, token)
    if done is not None:
        return already_done(done)
    stashed = stashed_upload(kind, current_user.id, token)
    if stashed is None:
        flash(_("The preview has expired. Upload the file again."), "warning")
        return redirect(url_for(upload_endpoint))
    data = stashed.read_bytes()

    def work():
        # The receipt first: the unique token stops a second confirm running alongside.
        receipt = receipt_for(kind, token)
        if receipt is not None:
            return receipt, None
        receipt = claim_preview(current_user.commune_id, current_user, kind, token)
        try:
            # Every check runs again on the cells (the register may have changed since the
            # preview); only the spreadsheet is not decoded a second time.
            cells = stashed.read_cells()
            result = parse(current_user.commune_id,
                           cells if cells is not None else read_rows(stashed.name, data))
        except SpreadsheetError:
            return receipt, False
        if not result.is_valid:
            return receipt, False
        outcome = run_import(current_user.commune_id, current_user, result,
                             update_existing=update_existing)
        receipt.added, receipt.updated, receipt.skipped = (outcome.added, outcome.updated,
                                                           outcome.skipped)
        return receipt, outcome

    receipt, outcome = retry_on_unique_clash(work)
    if outcome is None:
        return already_done(receipt)
    if outcome is False:
        db.session.rollback()
        flash(_("The file no longer passes the checks. Upload it again."), "warning")
        return redirect(url_for(upload_endpoint))
    stashed.delete()  # the database storage deletes it in the import's own commit
    return outcome


def outcome_message(outcome: ImportOutcome, added_text: str) -> str:
    """The flash after an import: how many were added (in the feature's words), updated,
    skipped as already registered."""
    parts = [added_text]
    if outcome.updated:
        parts.append(_("%(count)s already registered were updated", count=outcome.updated))
    if outcome.skipped:
        parts.append(_("%(count)s already registered were skipped", count=outcome.skipped))
    return "; ".join(parts) + "."
