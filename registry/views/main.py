"""The home page, the language switch and the liveness probe."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from registry.security import safe_next
from registry.services.users import set_locale

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """Logged-in staff land on their start page; others on the login page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("main/home.html")


@bp.post("/language")
def set_language():
    """Switch between Vietnamese and English, for the session and the account."""
    lang = request.form.get("lang", "vi")
    if lang not in ("vi", "en"):
        lang = "vi"
    session["lang"] = lang
    if current_user.is_authenticated:
        set_locale(current_user, lang)
    return redirect(safe_next(request.form.get("next")))


@bp.get("/healthz")
def healthz():
    """Liveness probe for the process manager."""
    return {"status": "ok"}


@bp.get("/me")
@login_required
def me():
    """Who am I: the account page."""
    return redirect(url_for("auth.account"))


def init_app(app) -> None:
    """The home page and the language switch."""
    app.register_blueprint(bp)
