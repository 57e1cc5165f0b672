"""Check-ins as visitors and venues see them: the public page behind a poster's QR (declare,
also for household members who came along, check in with one tap, check out), and a venue's own
visitors of today."""
from __future__ import annotations

import secrets

from datetime import timedelta

from flask import (Blueprint, abort, current_app, flash, g, make_response, redirect,
                   render_template, request, url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from registry import signals
from registry.demo.checkins import seed_self_scans
from flask_limiter.util import get_remote_address

from registry.extensions import csrf, db
from registry.formatting import phone_national
from registry.ratelimits import Budget, budgets
from registry.forms import ActionForm
from registry.forms.device_csrf import DEVICE_COOKIE, PUBLIC_FORM_META
from registry.forms.checkins import answer_all_no, companion_form
from registry.forms.declarations import declaration_form
from registry.forms.validators import entry_warnings
from registry.models import Checkin, CheckinSource, Role, Venue
from registry.security import roles_required
from registry.services.audit import record_event
from registry.services.checkins import (OPEN_VISIT_HOURS, companions_of, daily_counts,
                                        declaration_from_checkin, device_hash, open_phone_visit,
                                        phone_household, previous_checkin,
                                        record_companion_visit, repeat_answers, self_scan,
                                        todays_checkins)
from registry.services.checkout import check_out_with_household
from registry.services.declarations import questions_asked
from registry.services.posters import ResolvedToken, TokenState, resolve_token
from registry.text import fold
from registry.timeutil import local_today, utcnow
from registry.views.checkin_first_page import first_page, kept_first_page, with_device_cookie

bp = Blueprint("checkins", __name__)
# The forms check their CSRF token themselves (BaseForm), so that an expired token (a phone that
# closed the browser mid-form) re-shows the form with what was typed, instead of an error page.
csrf.exempt(bp)



def public_rate_limit() -> str:
    """The configured limit of the public endpoints, per phone (per address without cookie)."""
    return current_app.config["PUBLIC_RATE_LIMIT"]


def _phone_key() -> str:
    """A phone: its address and its cookie. Phones in one queue behind one carrier address
    (carrier-grade NAT) each have their own cookie from their first page, so each has its own
    budget; a request without a cookie counts against its address."""
    dev_hash = device_hash(request.cookies.get(DEVICE_COOKIE))
    address = get_remote_address()
    return f"{address}|{dev_hash[:20]}" if dev_hash else address


def _token_key() -> str:
    """A check-in point, by the token in the URL."""
    return (request.view_args or {}).get("token", "")[:64]


# Three budgets for all public endpoints together (a script cannot spread over them): each phone
# (PUBLIC_RATE_LIMIT), each address with all the phones behind it (PUBLIC_ADDRESS_RATE_LIMIT,
# generous: a carrier address may carry a venue's whole queue), and each check-in point whatever
# the addresses (PUBLIC_TOKEN_RATE_LIMIT: no poster takes more than a busy gate does).
def _counts_for_the_phone(response) -> bool:
    """A phone's first page, which hands it its cookie, counts for its address only: phones of a
    queue on one carrier address would otherwise share that address's budget for their first
    page. Any other answer counts (a client refusing cookies is counted by address)."""
    return _phone_had_cookie() or DEVICE_COOKIE not in response.headers.get("Set-Cookie", "")


def _phone_had_cookie() -> bool:
    """A phone that sent its cookie: every answer to it counts, known before the view."""
    return device_hash(request.cookies.get(DEVICE_COOKIE)) is not None


PUBLIC_BUDGETS = (
    Budget("public_checkin_token", lambda: current_app.config["PUBLIC_TOKEN_RATE_LIMIT"],
           _token_key),
    Budget("public_checkin_address", lambda: current_app.config["PUBLIC_ADDRESS_RATE_LIMIT"],
           get_remote_address),
    Budget("public_checkin", public_rate_limit, _phone_key,
           counts_after=_counts_for_the_phone, counts_before=_phone_had_cookie),
)
# The three budgets in one trip to Redis (registry/ratelimits.py), not one or two each.
public_limit = budgets(*PUBLIC_BUDGETS)


def _unavailable(resolved, state: str, status: int):
    commune = resolved.commune if resolved is not None else None
    venue = resolved.point.venue if resolved is not None and resolved.point else None
    return render_template("checkins/unavailable.html", state=state, commune=commune,
                           venue=venue, retired=resolved.retired if resolved else None), status


def _load(token: str, *, attach: bool = True):
    """(point, venue, commune, None) for a usable token, else (…, the page to answer with).

    `attach=False` (a posted declaration): the point, venue and commune may be the process's
    kept copies, enough to record a visit; `_attached` before rendering a page with them."""
    g.no_store = True  # pages show personal data of the phone's owner: never cache them
    resolved = resolve_token(token, attach=attach)
    if resolved.state in (TokenState.MALFORMED, TokenState.UNKNOWN):
        return None, None, None, _unavailable(None, "unknown", 404)
    if resolved.state == TokenState.WITHDRAWN:
        return None, None, None, _unavailable(resolved, "withdrawn", 410)
    point = resolved.point
    venue = point.venue
    if venue.is_suspended or not point.is_active:
        return None, None, None, _unavailable(resolved.attached(), "suspended", 200)
    return point, venue, resolved.commune, None


def _attached(point, commune):
    """The point, its venue and its commune in the request's session, to render a page with
    (merging the kept copies costs a tenth of a check-in: only when a page is shown)."""
    resolved = ResolvedToken(TokenState.OK, point=point, commune=commune).attached()
    return resolved.point, resolved.point.venue, resolved.commune


def _current_device() -> tuple[str | None, str | None]:
    """The phone's cookie value (a new one if it has none) and the hash of the existing one."""
    value = request.cookies.get(DEVICE_COOKIE)
    dev_hash = device_hash(value)
    return (value if dev_hash else None), dev_hash


@bp.route("/c/<token>", methods=["GET", "POST"])
@public_limit
def page(token: str):
    """The declaration page of one check-in point (public, phone-first, no JavaScript)."""
    if request.method == "GET":
        kept = kept_first_page(token)
        if kept is not None:
            return kept
    posted = request.method == "POST"
    point, venue, commune, refusal = _load(token, attach=not posted)
    if refusal:
        return refusal
    cookie, dev_hash = _current_device()
    # A phone gets its cookie with the first page, before it posts anything: a double tap of
    # the first declaration then carries one cookie twice, and merges (record_visit).
    cookie = g.device_cookie = cookie or secrets.token_urlsafe(32)
    questions = questions_asked(commune.id)
    locale = str(get_locale())
    if not posted:
        first = first_page(token, point, venue, commune, questions, locale, dev_hash)
        if first is not None:
            return with_device_cookie(first, cookie)
    # A valid declaration needs neither this phone's last one (it prefills the form) nor the
    # people it declared for, unless some are ticked: both are read only when needed.
    previous = previous_checkin(commune.id, dev_hash) if not posted else None
    wants_form = request.args.get("edit") == "1" or request.args.get("new") == "1"
    if not posted and not wants_form:
        visit = open_phone_visit(point, dev_hash)
        if visit is not None:
            return render_template("checkins/done.html", point=point, venue=venue,
                                   commune=commune, visit=visit, notices=_outcome_notice(),
                                   action_form=ActionForm(meta=PUBLIC_FORM_META),
                                   companions=companions_of(visit))
        left = _left_visit(point, dev_hash) if request.args.get("left") == "1" else None
        if left is not None:
            return render_template("checkins/left.html", point=point, venue=venue,
                                   commune=commune, visit=left, companions=companions_of(left))
        if previous is not None and repeat_answers(previous, questions) is not None:
            return render_template("checkins/quick.html", point=point, venue=venue,
                                   commune=commune, previous=previous,
                                   household=len(phone_household(commune.id, dev_hash)) > 1,
                                   action_form=ActionForm(meta=PUBLIC_FORM_META))
    form = declaration_form(questions, locale=locale, meta=PUBLIC_FORM_META)
    if not posted:
        if previous is not None and request.args.get("new") != "1":
            _prefill(form, previous)
        # Most visitors live here: the venue's province and commune, to be changed if not.
        form.province.data = form.province.data or commune.province_name
        form.ward.data = form.ward.data or commune.name
    shortcut = posted and request.form.get("all_no")
    household = None
    if not posted or shortcut or request.form.getlist("with"):
        household = _household_forms(commune, dev_hash, questions, locale, form.full_name.data)
    if shortcut:
        # "No to all questions": the page comes back with every answer "no", nothing saved.
        _answer_all_no(request.form["all_no"], form, household)
        point, venue, commune = _attached(point, commune)
        return with_device_cookie(make_response(render_template(
            "checkins/form.html", point=point, venue=venue, commune=commune, form=form,
            previous=previous_checkin(commune.id, dev_hash), household=household,
            expired=False, shortcut=True)), cookie)
    if form.validate_on_submit() and _companions_valid(form, household or []):
        ticked = any(member[2] for member in household or [])
        recorded = self_scan(point, form.to_declaration(), device_hash(cookie),
                             commune.checkin_merge_minutes, alone=not ticked)
        count = _record_companions(point, commune, recorded, household or [],
                                   device_hash(cookie))
        for warning in entry_warnings(form.phone, form.id_number.data, form.birth_year.data,
                                      form.sex.data):
            flash(warning, "warning")
        outcome = "merged" if recorded.merged else str(count) if count else "new"
        # This same page (a valid token is URL-safe as it is), with the outcome: what url_for
        # would build, without building it on every check-in.
        return with_device_cookie(redirect(f"{request.script_root}{request.path}?done={outcome}"),
                                  cookie)
    if posted:
        previous = previous_checkin(commune.id, dev_hash)
        if household is None:
            household = _household_forms(commune, dev_hash, questions, locale,
                                         form.full_name.data)
    expired = posted and _csrf_failed(form)
    if posted:
        point, venue, commune = _attached(point, commune)
    return with_device_cookie(make_response(render_template(
        "checkins/form.html", point=point, venue=venue, commune=commune, form=form,
        previous=previous, household=household, expired=expired)), cookie)


def _outcome_notice() -> list[tuple[str, str]]:
    """The outcome of the declaration just sent, on the page it was redirected to (`done` in
    its URL), shown above the open visit.

    Why in the URL and not flashed: a flashed message is written into the session cookie,
    signed, sent, read back and signed again, a twentieth of every check-in; and the page
    shows it only beside this phone's own open visit here, so a link with `done` in it tells
    no one anything.
    """
    done = request.args.get("done", "")
    if done == "merged":
        message = _("You were already checked in here; your details have been updated.")
    elif done.isdigit() and 0 < int(done) < 100:
        message = _("Checked in, with %(count)s household members. Show this screen to the "
                    "staff if asked.", count=int(done))
    elif done == "new":
        message = _("Checked in. Show this screen to the staff if asked.")
    else:
        return []
    return [("success", message)]


def _left_visit(point, dev_hash: str | None) -> Checkin | None:
    """This phone's visit at `point` checked out in the last hours (the page after leaving)."""
    if not dev_hash:
        return None
    return db.session.scalars(
        select(Checkin).where(Checkin.point_id == point.id, Checkin.device_hash == dev_hash,
                              Checkin.companion_of_id.is_(None),
                              Checkin.checked_out_at.is_not(None),
                              Checkin.checked_in_at >= utcnow()
                              - timedelta(hours=OPEN_VISIT_HOURS))
        .order_by(Checkin.checked_out_at.desc(), Checkin.id.desc()).limit(1)).first()


def _household_forms(commune, dev_hash, questions, locale, declarant: str | None) -> list:
    """(person's last visit, their answers form, ticked) for each other person this phone
    declared for before: "I am also declaring for …" (never the declarant themselves)."""
    formdata = request.form if request.method == "POST" else None
    ticked = set(request.form.getlist("with")) if request.method == "POST" else set()
    return [(person, companion_form(questions, person.id, locale=locale, formdata=formdata),
             str(person.id) in ticked) for person in phone_household(commune.id, dev_hash)
            if person.search_name != fold(declarant or "")]


def _answer_all_no(target: str, form, household) -> None:
    """The shortcut of one declaration ("self") or one household member ("w<id>")."""
    if target == "self":
        answer_all_no(form)
        return
    for index, (person, member_form, _ticked) in enumerate(household):
        if target == f"w{person.id}":
            answer_all_no(member_form)
            household[index] = (person, member_form, True)  # answering for them ticks them


def _companions_valid(form, household) -> bool:
    """Each ticked member answered every question."""
    ok = True
    for _person, member_form, ticked in household:
        if ticked:
            ok = member_form.validate() and ok
    return ok


def _record_companions(point, commune, main, household, dev_hash) -> int:
    """Each ticked household member's own visit, with their own declaration, linked to the
    declarant's (`main`, the RecordedVisit of the declarant)."""
    count = 0
    for person, member_form, ticked in household:
        if not ticked:
            continue
        declaration = declaration_from_checkin(person)
        declaration.answers = member_form.answers()
        record_companion_visit(point, CheckinSource.SELF_SCAN, declaration, main.checkin,
                               merge_minutes=commune.checkin_merge_minutes,
                               device_hash=dev_hash)
        count += 1
    return count


def _csrf_failed(form) -> bool:
    """Whether the form was refused for its CSRF token (expired or missing)."""
    token_field = getattr(form, "csrf_token", None)
    return bool(token_field is not None and token_field.errors)


def _prefill(form, previous) -> None:
    """Fill the form with this phone's last declaration, so details are only corrected."""
    for name in ("full_name", "birth_year", "sex", "id_number", "nationality", "province",
                 "ward", "address", "email"):
        getattr(form, name).data = getattr(previous, name)
    form.phone.data = phone_national(previous.phone)
    for q, answer, details in form.question_fields():
        old = (previous.answers or {}).get(q.code) or {}
        if old.get("answer") is not None:
            answer.data = "yes" if old["answer"] else "no"
            if details is not None:
                details.data = old.get("details")


@bp.post("/c/<token>/again")
@public_limit
def again(token: str):
    """One tap: check in with this phone's last declaration, unchanged."""
    point, venue, commune, refusal = _load(token)
    if refusal:
        return refusal
    cookie, dev_hash = _current_device()
    previous = previous_checkin(commune.id, dev_hash)
    form = ActionForm(meta=PUBLIC_FORM_META)
    answers = (repeat_answers(previous, questions_asked(commune.id))
               if previous is not None else None)
    if not form.validate_on_submit() or answers is None:
        flash(_("The page was open too long. Please check your details and press the button "
                "again.") if _csrf_failed(form) else _("Please fill in the declaration."),
              "warning")
        return redirect(url_for("checkins.page", token=token, edit=1))
    declaration = declaration_from_checkin(previous)
    declaration.answers = answers
    merged = self_scan(point, declaration, dev_hash, commune.checkin_merge_minutes).merged
    flash(_("Checked in. Show this screen to the staff if asked.") if not merged else
          _("You were already checked in here; your details have been updated."), "success")
    return with_device_cookie(redirect(url_for("checkins.page", token=token)), cookie)


@bp.post("/c/<token>/checkout")
@public_limit
def checkout(token: str):
    """Record the time of leaving for this phone's open visit at the point."""
    point, venue, commune, refusal = _load(token)
    if refusal:
        return refusal
    _cookie, dev_hash = _current_device()
    visit = open_phone_visit(point, dev_hash)
    form = ActionForm(meta=PUBLIC_FORM_META)
    if not form.validate_on_submit():
        flash(_("The page was open too long. Please press the button again."), "warning")
        return redirect(url_for("checkins.page", token=token))
    if visit is None:
        flash(_("There is no open visit to check out from on this phone."), "warning")
        return redirect(url_for("checkins.page", token=token))
    check_out_with_household(visit)
    flash(_("Checked out. Thank you, and goodbye."), "success")
    return make_response(redirect(url_for("checkins.page", token=token, left=1)))


# --- a venue's own visitors --------------------------------------------------------------

@bp.get("/my-venue/")
@roles_required(Role.VENUE)
def today():
    """Today's visitors of the user's own venue (audited: it shows personal data)."""
    venue = db.session.get(Venue, current_user.venue_id) if current_user.venue_id else None
    if venue is None or venue.commune_id != current_user.commune_id:
        abort(404)
    g.no_store = True
    checkins = todays_checkins(venue)
    record_event("view", venue, details={"list": "today_checkins", "day": str(local_today()),
                                         "rows": len(checkins)})
    return render_template("checkins/today.html", venue=venue, checkins=checkins,
                           counts=daily_counts(venue), today=local_today())


def init_app(app) -> None:
    """The public check-in page and the venue's list; demo self-scans."""
    app.register_blueprint(bp)
    signals.seed_demo.connect(seed_self_scans)
