"""Resident register, disease-control cards, the public card page and the venue scan station."""
from __future__ import annotations

import io

from flask import (Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template,
                   request, send_file, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from registry.extensions import db, limiter
from registry.forms.residents import (CardActionForm, PrintCardsForm, ResidentForm,
                                      ResidentImportForm)
from registry.formatting import ACTION_LABELS, phone_national
from registry.jobs import enqueue
from registry.models import (AuditEvent, CardStatus, CheckinPoint, Commune, Resident,
                             ResidentCard, Role, Venue, VenueStatus)
from registry.security import get_scoped_or_404, roles_required
from registry.services.audit import record_event
from registry.services.residents import (DIRECT_PRINT_LIMIT, ResidentFilter, active_card_ids,
                                         add_resident, count_residents, find_card_by_token,
                                         import_residents, issue_card,
                                         issue_missing_cards, load_cards, mark_printed,
                                         parse_resident_rows, render_cards_pdf,
                                         resident_ids_for_print, resident_query,
                                         revoke_card, scan_card, sex_label,
                                         template_header, update_resident, villages_for)
from registry.services.spreadsheets import write_xlsx
from registry.timeutil import utcnow
from registry.views.spreadsheet_import import confirm_upload, preview_upload

bp = Blueprint("residents", __name__)

# The audit actions of this feature, in words (the history tables use ACTION_LABELS).
ACTION_LABELS.update({
    "issue_card": _l("Card issued"),
    "issue_cards": _l("Cards issued"),
    "revoke_card": _l("Card revoked"),
    "print": _l("Printed"),
    "view": _l("Viewed"),
    "view_list": _l("Viewed the list"),
    "download": _l("Downloaded"),
})

VIEWERS = (Role.ADMIN, Role.CLERK, Role.DATA_ENTRY, Role.TRACER)
EDITORS = (Role.ADMIN, Role.CLERK, Role.DATA_ENTRY)
CARD_STAFF = (Role.ADMIN, Role.CLERK)
SCANNERS = (Role.VENUE, Role.ADMIN, Role.CLERK)
PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filter_from_args() -> ResidentFilter:
    village = request.args.get("village", "")
    card = request.args.get("card")
    return ResidentFilter(query=(request.args.get("q") or "")[:100],
                          village_id=int(village) if village.isdigit() else None,
                          card=card if card in ("valid", "none", "revoked") else None)


def _fill_choices(form: ResidentForm) -> None:
    form.sex.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(v, sex_label(v)) for v in ("male", "female", "other")]
    form.village_id.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(v.id, v.name) for v in villages_for(current_user.commune_id)]


def _no_store() -> None:
    # Pages with personal data are not kept in the browser's cache.
    g.no_store = True


@bp.get("/residents/")
@roles_required(*VIEWERS)
def index():
    """The register: search without diacritics, filter by village and card status, page."""
    _no_store()
    flt = _filter_from_args()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    total = count_residents(current_user.commune_id, flt)
    residents = db.session.scalars(resident_query(current_user.commune_id, flt)
                                   .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    # Looking through the register is looking at personal data: logged with what was asked.
    record_event("view_list", object_type="residents",
                 details={"q": flt.query, "village": flt.village_id, "card": flt.card,
                          "page": page, "shown": len(residents)})
    db.session.commit()
    return render_template(
        "residents/index.html", residents=residents, flt=flt, page=page, pages=pages,
        total=total, villages=villages_for(current_user.commune_id, active_only=False),
        can_edit=current_user.has_role(*EDITORS), can_cards=current_user.has_role(*CARD_STAFF),
        sex_label=sex_label)


@bp.route("/residents/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def create():
    """Add a resident."""
    form = ResidentForm()
    _fill_choices(form)
    if form.validate_on_submit():
        resident = add_resident(
            current_user.commune_id, current_user, full_name=form.full_name.data,
            birth_year=form.birth.year, birth_date=form.birth.day, sex=form.sex.data,
            id_number=form.id_number.data or None, phone=form.phone.data or None,
            village_id=form.village_id.data, address=form.address.data or None)
        db.session.commit()
        flash(_("%(name)s added to the register.", name=resident.full_name), "success")
        return redirect(url_for("residents.detail", resident_id=resident.id))
    return render_template("residents/form.html", form=form, resident=None)


@bp.get("/residents/<int:resident_id>")
@roles_required(*VIEWERS)
def detail(resident_id: int):
    """One resident: fields, cards (valid and revoked, who issued them), history."""
    _no_store()
    resident = get_scoped_or_404(Resident, resident_id)
    record_event("view", resident)
    db.session.commit()
    history = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "residents",
                                 AuditEvent.object_id == resident.id,
                                 AuditEvent.action != "view")
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(50)).all()
    return render_template("residents/detail.html", resident=resident, history=history,
                           action_form=CardActionForm(), sex_label=sex_label,
                           can_edit=current_user.has_role(*EDITORS),
                           can_cards=current_user.has_role(*CARD_STAFF))


@bp.route("/residents/<int:resident_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(resident_id: int):
    """Edit a resident."""
    resident = get_scoped_or_404(Resident, resident_id)
    form = ResidentForm(obj=resident)
    _fill_choices(form)
    if request.method == "GET":
        form.birth.data = (resident.birth_date.strftime("%d/%m/%Y") if resident.birth_date
                           else str(resident.birth_year))
        form.phone.data = phone_national(resident.phone) if resident.phone else ""
    if form.validate_on_submit():
        changes = update_resident(
            resident, current_user, full_name=form.full_name.data, birth_year=form.birth.year,
            birth_date=form.birth.day, sex=form.sex.data, id_number=form.id_number.data or None,
            phone=form.phone.data or None, village_id=form.village_id.data,
            address=form.address.data or None)
        db.session.commit()
        flash(_("Changes saved.") if changes else _("Nothing was changed."), "success")
        return redirect(url_for("residents.detail", resident_id=resident.id))
    return render_template("residents/form.html", form=form, resident=resident)


@bp.post("/residents/<int:resident_id>/card/<any(issue, reissue):action>")
@roles_required(*CARD_STAFF)
def card_issue(resident_id: int, action: str):
    """Issue a first card, or reissue (the old card is revoked with the reason given)."""
    resident = get_scoped_or_404(Resident, resident_id)
    form = CardActionForm()
    if not form.validate_on_submit():
        flash(" ".join(form.reason.errors) or _("The form has expired. Try again."), "danger")
        return redirect(url_for("residents.detail", resident_id=resident.id))
    old = resident.active_card
    if action == "issue" and old is not None:
        flash(_("%(name)s already holds card %(number)s. Use \"Reissue\" for a lost card.",
                name=resident.full_name, number=old.number), "warning")
        return redirect(url_for("residents.detail", resident_id=resident.id))
    if old is not None:
        revoke_card(old, current_user, reason=form.reason.data or _("Reissued"))
    card = issue_card(resident, current_user)
    db.session.commit()
    if old is not None:
        flash(_("Card %(old)s is revoked; new card %(new)s issued. Print it now.",
                old=old.number, new=card.number), "success")
    else:
        flash(_("Card %(number)s issued. Print it now.", number=card.number), "success")
    return redirect(url_for("residents.detail", resident_id=resident.id))


@bp.post("/residents/cards/<int:card_id>/revoke")
@roles_required(*CARD_STAFF)
def card_revoke(card_id: int):
    """Revoke a card without a replacement (the resident moved away, died …)."""
    card = get_scoped_or_404(ResidentCard, card_id)
    form = CardActionForm()
    if not form.validate_on_submit():
        flash(" ".join(form.reason.errors) or _("The form has expired. Try again."), "danger")
    elif card.status == CardStatus.REVOKED:
        flash(_("Card %(number)s was already revoked.", number=card.number), "warning")
    else:
        revoke_card(card, current_user, reason=form.reason.data)
        db.session.commit()
        flash(_("Card %(number)s is revoked.", number=card.number), "success")
    return redirect(url_for("residents.detail", resident_id=card.resident_id))


def _pdf_response(data: bytes, name: str):
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=False,
                     download_name=name)


@bp.get("/residents/<int:resident_id>/card.pdf")
@roles_required(*CARD_STAFF)
def card_pdf(resident_id: int):
    """The resident's valid card on a card-sized page (for a card printer)."""
    resident = get_scoped_or_404(Resident, resident_id)
    card = resident.active_card
    if card is None:
        flash(_("%(name)s holds no valid card: issue one first.", name=resident.full_name),
              "warning")
        return redirect(url_for("residents.detail", resident_id=resident.id))
    commune = db.session.get(Commune, resident.commune_id)
    data = render_cards_pdf(commune, [card], single=request.args.get("sheet") != "1")
    card.printed_at = utcnow()
    record_event("print", resident, details={"card": card.number})
    db.session.commit()
    return _pdf_response(data, f"the-{card.number}.pdf")


@bp.route("/residents/print", methods=["GET", "POST"])
@roles_required(*CARD_STAFF)
def print_cards():
    """Print A4 sheets of cards for a village, everyone without a card, or a list.

    Residents without a valid card get one first. Up to DIRECT_PRINT_LIMIT cards the PDF comes
    back at once; more are printed by a background job with a progress page.
    """
    form = PrintCardsForm()
    form.scope.choices = [
        SelectChoice("village", _("Everyone in a village")),
        SelectChoice("without", _("Everyone without a valid card (cards are issued)")),
        SelectChoice("list", _("A list of card numbers or ID numbers")),
        SelectChoice("selected", _("The residents ticked in the register")),
    ]
    form.village_id.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(v.id, v.name) for v in villages_for(current_user.commune_id)]
    if request.method == "GET":
        form.scope.data = request.args.get("scope", "village")
    if request.method == "POST" and form.validate_on_submit():
        resident_ids = resident_ids_for_print(
            current_user.commune_id, form.scope.data, village_id=form.village_id.data,
            numbers=form.numbers.data,
            selected=[int(i) for i in request.form.getlist("resident") if i.isdigit()])
        if not resident_ids:
            form.scope.errors.append(_("No resident matches this choice."))
        else:
            issued = issue_missing_cards(current_user.commune_id, current_user, resident_ids)
            card_ids = active_card_ids(current_user.commune_id, resident_ids)
            mark_printed(current_user.commune_id, resident_ids)
            record_event("print", object_type="resident_cards",
                         details={"count": len(card_ids), "issued": issued})
            db.session.commit()
            if len(card_ids) <= DIRECT_PRINT_LIMIT:
                commune = db.session.get(Commune, current_user.commune_id)
                return _pdf_response(render_cards_pdf(commune, load_cards(card_ids)),
                                     f"the-kiem-soat-{len(card_ids)}.pdf")
            job = enqueue("resident_cards", {"card_ids": card_ids}, current_user,
                          _("Disease-control cards: %(count)s cards", count=len(card_ids)))
            if issued:
                flash(_("%(count)s new cards issued.", count=issued), "success")
            return redirect(url_for("jobs.detail", job_id=job.id))
    selected = [i for i in (request.args.getlist("resident") or request.form.getlist("resident"))
                if i.isdigit()]
    return render_template("residents/print.html", form=form, selected=selected)


# --- import ---------------------------------------------------------------------------------

@bp.get("/residents/import/template.xlsx")
@roles_required(*EDITORS)
def import_template():
    """An empty spreadsheet with the import columns and one example row."""
    example = ["Nguyễn Văn An", "1980", "Nam", "038080001234", "0912345678", "Thôn Đông", ""]
    data = write_xlsx(_("Residents"), template_header(), [example])
    return send_file(io.BytesIO(data), as_attachment=True, download_name="mau-nhap-nhan-khau.xlsx",
                     mimetype=XLSX)


@bp.route("/residents/import", methods=["GET", "POST"])
@roles_required(*EDITORS)
def import_upload():
    """Upload a spreadsheet; show a preview with every error, or a button to import."""
    form = ResidentImportForm()
    result, token = preview_upload(form, "residents", parse_resident_rows)
    return render_template("residents/import.html", form=form, result=result, token=token,
                           header=template_header())


@bp.post("/residents/import/confirm")
@roles_required(*EDITORS)
def import_confirm():
    """Import a previewed file: every row or none."""
    outcome = confirm_upload(CardActionForm(), "residents", parse_resident_rows,
                             import_residents, "residents.import_upload")
    if not isinstance(outcome, int):
        return outcome
    count = outcome
    flash(_("%(count)s residents imported.", count=count), "success")
    return redirect(url_for("residents.index"))


# --- the card's QR seen by an ordinary phone -------------------------------------------------

@bp.get("/the/<token>")
@limiter.limit(lambda: current_app.config["PUBLIC_RATE_LIMIT"])
def card_public(token: str):
    """What a phone shows for a card's QR: no personal data, only what the card is for."""
    card = find_card_by_token(token[:64])
    commune = db.session.get(Commune, card.commune_id) if card is not None else None
    return render_template("residents/card_public.html", commune=commune)


# --- the scan station -----------------------------------------------------------------------

def _point_for_scanner(point_id: int) -> CheckinPoint:
    """The point, if the current user may scan there (a venue user: only their venue)."""
    point = db.session.get(CheckinPoint, point_id)
    if point is None or point.venue.commune_id != current_user.commune_id:
        abort(404)
    if current_user.role == Role.VENUE and point.venue_id != current_user.venue_id:
        abort(404)
    return point


@bp.get("/scan/")
@roles_required(*SCANNERS)
def scan_home():
    """Choose the check-in point this device scans at."""
    stmt = (select(CheckinPoint).join(Venue)
            .where(Venue.commune_id == current_user.commune_id,
                   Venue.status == VenueStatus.ACTIVE, CheckinPoint.is_active.is_(True))
            .order_by(Venue.name, CheckinPoint.id))
    if current_user.role == Role.VENUE:
        stmt = stmt.where(Venue.id == current_user.venue_id)
    points = db.session.scalars(stmt).all()
    return render_template("residents/scan_home.html", points=points)


@bp.get("/scan/<int:point_id>")
@roles_required(*SCANNERS)
def scan_station(point_id: int):
    """The station page for a USB scanner: the input keeps focus, results appear at once."""
    point = _point_for_scanner(point_id)
    direction = "exit" if request.args.get("direction") == "exit" else "entry"
    return render_template("residents/scan.html", point=point, direction=direction,
                           merge_minutes=db.session.get(Commune, current_user.commune_id)
                           .checkin_merge_minutes)


@bp.post("/scan/<int:point_id>")
@roles_required(*SCANNERS)
def scan_record(point_id: int):
    """Record one scan; JSON for the station's script, a page for a browser without JS."""
    point = _point_for_scanner(point_id)
    payload = request.get_json(silent=True) if request.is_json else None
    source = payload if isinstance(payload, dict) else request.form
    code = str(source.get("code") or "")[:300]
    direction = "exit" if source.get("direction") == "exit" else "entry"
    if point.venue.status != VenueStatus.ACTIVE or not point.is_active:
        result_dict = {"status": "suspended", "ok": False, "name": None, "card_number": None,
                       "at": None, "message": _("This check-in point is not active.")}
    else:
        result_dict = scan_card(point, code, direction=direction, user=current_user).as_dict()
        db.session.commit()
    if payload is not None:
        return jsonify(result_dict)
    return render_template("residents/scan.html", point=point, direction=direction,
                           result=result_dict, merge_minutes=db.session.get(
                               Commune, current_user.commune_id).checkin_merge_minutes)
