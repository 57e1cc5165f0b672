"""Logging in and out, and the user's own account."""
from __future__ import annotations

from flask import (Blueprint, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from registry.extensions import db, limiter
from registry.forms.auth import LoginForm, PasswordChangeForm
from registry.models import User
from registry.security import keep_this_session, safe_next
from registry.services.users import (change_own_password, end_sessions, locked_until,
                                     record_failed_login, record_login)
from registry.timeutil import to_local

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """The login form; wrong credentials get one message that does not say which part was wrong."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(
            User.username == (form.username.data or "").lower()))
        until = locked_until(user) if user is not None else None
        if until is not None:
            # Not even a right password opens a locked account: that is what makes it wait.
            form.password.errors.append(_(
                "Too many wrong passwords for this account. Try again after %(time)s.",
                time=to_local(until).strftime("%H:%M")))
        elif user is None or not user.check_password(form.password.data):
            if user is not None:
                record_failed_login(user)
            form.password.errors.append(_("Wrong username or password."))
        elif not user.is_active:
            form.username.errors.append(_("This account is disabled. Ask the administrator."))
        else:
            session.clear()  # nothing of the anonymous visit carries over into the account's
            login_user(user, remember=form.remember.data)
            record_login(user, address=request.remote_addr)
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Log out and go back to the login page. The account's session token is drawn anew, so the
    old session and remember-me cookies stop working (on every device of the account)."""
    end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The user's own account: change password."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            user = current_user._get_current_object()
            change_own_password(user, form.new.data)
            keep_this_session(user)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)


def init_app(app) -> None:
    """Login, logout and the own account page."""
    app.register_blueprint(bp)
