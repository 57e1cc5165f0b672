"""Error pages in the user's language; never a bare 500."""
from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from registry.extensions import db

MESSAGES = {
    400: lambda: _("The request could not be understood. Go back and try again."),
    403: lambda: _("You do not have permission to open this page."),
    404: lambda: _("This page does not exist, or it is not in your commune."),
    405: lambda: _("This action is not allowed here."),
    413: lambda: _("The file or form is too large."),
    429: lambda: _("Too many attempts. Wait a minute and try again."),
    500: lambda: _("Something went wrong on our side. Nothing you entered before this step "
                   "was lost; please try again."),
}


def _page(code: int, message: str | None = None):
    text = message or MESSAGES.get(code, MESSAGES[400])()
    return render_template("errors/error.html", code=code, message=text), code


def init_app(app: Flask) -> None:
    """Register handlers for HTTP errors, CSRF failures and unexpected exceptions."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _page(400, _("The form has expired or was sent twice. Reload the page and try "
                            "again."))

    @app.errorhandler(HTTPException)
    def http_error(error):
        return _page(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error):
        db.session.rollback()
        app.logger.exception("Unhandled error")
        return _page(500)
