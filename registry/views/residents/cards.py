"""Cards: issue, reissue and revoke, print one or a selection, and what an ordinary phone shows
for a card's QR."""
from __future__ import annotations

import io

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from registry.extensions import db, limiter
from registry.forms.residents import CardActionForm, PrintCardsForm
from registry.models import CardStatus, Commune, Resident, ResidentCard
from registry.pdf.cards import render_cards_pdf
from registry.security import get_scoped_or_404, roles_required
from registry.services.audit import record_event
from registry.services.communes import villages_for
from registry.services.jobs import enqueue
from registry.services.residents.cards import (DIRECT_PRINT_LIMIT, active_card_ids,
                                               find_card_by_token, issue_card,
                                               issue_missing_cards, load_cards, mark_printed,
                                               resident_ids_for_print, revoke_card)
from registry.services.residents.register import count_residents, resident_query
from registry.timeutil import utcnow
from registry.views.confirm import ask_first, confirmed
from registry.views.residents.blueprint import CARD_STAFF, bp, filter_from_args


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
    elif not confirmed():
        return ask_first(
            title=_("Revoke card %(number)s?", number=card.number),
            record=_("%(name)s, born %(year)s", name=card.resident.full_name,
                     year=card.resident.birth_year),
            consequences=[
                _("The card stops working at once: a scan at any venue shows it as revoked and "
                  "records no visit."),
                _("This cannot be undone. If the resident still needs a card, issue a new "
                  "one (it gets a new number)."),
                _("The card's past visits stay in the register.")],
            button=_("Revoke the card"),
            cancel_url=url_for("residents.detail", resident_id=card.resident_id))
    else:
        revoke_card(card, current_user, reason=form.reason.data)
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
        SelectChoice("filter", _("Everyone matching the register's search and filters")),
    ]
    form.village_id.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(v.id, v.name) for v in villages_for(current_user.commune_id)]
    if request.method == "GET":
        form.scope.data = request.args.get("scope", "village")
    # "Everyone matching the filter" carries the register's filter in the page's address, on
    # every page of the register, not only the 50 shown.
    flt = filter_from_args()
    if request.method == "POST" and form.validate_on_submit():
        scope, selected = form.scope.data, [int(i) for i in request.form.getlist("resident")
                                            if i.isdigit()]
        if scope == "filter":
            scope, selected = "selected", list(db.session.scalars(
                resident_query(current_user.commune_id, flt).with_only_columns(Resident.id)))
        resident_ids = resident_ids_for_print(
            current_user.commune_id, scope, village_id=form.village_id.data,
            numbers=form.numbers.data, selected=selected)
        if not resident_ids:
            form.scope.errors.append(_("No resident matches this choice."))
        else:
            issued = issue_missing_cards(current_user.commune_id, current_user, resident_ids)
            card_ids = active_card_ids(current_user.commune_id, resident_ids)
            mark_printed(current_user.commune_id, resident_ids)
            record_event("print", object_type="resident_cards",
                         details={"count": len(card_ids), "issued": issued})
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
    matching = count_residents(current_user.commune_id, flt) if form.scope.data == "filter" \
        else None
    village = next((v.name for v in villages_for(current_user.commune_id, active_only=False)
                    if v.id == flt.village_id), None)
    return render_template("residents/print.html", form=form, selected=selected, flt=flt,
                           matching=matching, village=village)


@bp.get("/the/<token>")
@limiter.limit(lambda: current_app.config["PUBLIC_RATE_LIMIT"])
def card_public(token: str):
    """What a phone shows for a card's QR: no personal data, only what the card is for."""
    card = find_card_by_token(token[:64])
    commune = db.session.get(Commune, card.commune_id) if card is not None else None
    return render_template("residents/card_public.html", commune=commune)
