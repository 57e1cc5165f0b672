"""The two steps every spreadsheet import shares (venues, residents): preview, then confirm.

Not a blueprint: helpers the import views call with their own form, parser and importer.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from registry import spreadsheets
from registry.formatting import number
from registry.services.imports import ImportResult, stash_upload, stashed_upload
from registry.spreadsheets import SpreadsheetError, read_rows

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
    token = stash_upload(kind, current_user.id, upload.filename, data) if result.is_valid \
        else None
    return result, token


def confirm_upload(csrf_form, kind: str, parse: Parser, run_import: Callable[..., int],
                   upload_endpoint: str) -> int | object:
    """Import the previewed file, every row or none (checked again: data may have changed).

    Returns the number imported, or a redirect back to the upload page.
    """
    token = request.form.get("token", "")
    if not csrf_form.validate_on_submit() or not token.replace("-", "").replace("_", "").isalnum():
        abort(400)
    stashed = stashed_upload(kind, current_user.id, token)
    if stashed is None:
        flash(_("The preview has expired. Upload the file again."), "warning")
        return redirect(url_for(upload_endpoint))
    try:
        result = parse(current_user.commune_id, read_rows(stashed.name, stashed.read_bytes()))
    except SpreadsheetError:
        result = None
    if result is None or not result.is_valid:
        flash(_("The file no longer passes the checks. Upload it again."), "warning")
        return redirect(url_for(upload_endpoint))
    count = run_import(current_user.commune_id, current_user, result)
    stashed.delete()  # the database storage deletes it in the import's own commit
    return count
