"""Disease-control cards: ten ID-1 cards on an A4 sheet with cut lines, or one card on a
card-sized page, always in Vietnamese; large prints as a background job in parts of whole
sheets, rendered by both workers and joined.

Cards are stamped onto copies of a blank sheet laid out once (`pdf/card_stamps.py`); a card
whose text the bundled font cannot show is laid out whole by WeasyPrint instead."""
from __future__ import annotations

import math
from pathlib import Path

from flask_babel import force_locale
from flask_babel import gettext as _

from registry.extensions import db
from registry.models import Commune, ResidentCard
from registry.pdf import merge_pdfs, render_pdf
from registry.pdf.card_stamps import CardGeometry, stamp_cards, stampable, warm_up_cards
from registry.pdf.qr import QUIET_ZONE, qr_png_data_uri
from registry.services.jobs import JobContext, JobError, JobKind
from registry.services.residents.cards import card_url, load_cards

CARDS_PER_SHEET = 10
# Cards per part of a printing job: 50 A4 sheets, about a second of stamping (a part also
# lays out its commune's blank sheet once per process and subsets its fonts).
CARDS_PER_PART = 500
# A name longer than this is set smaller (7.5 pt instead of 9 pt), as cards.css says.
LONG_NAME = 24

# The code on an ID-1 card (54 mm high): at least 50 mm, with the four modules of quiet zone a
# scanner wants inside the card. 50 mm + 8 modules ≤ 54 mm needs modules of at most 0.5 mm,
# so at least 100 of them: QR version 21 (101 modules) or more; error correction H, which
# that version holds with room to spare, keeps a worn card readable.
CARD_MM = 54.0
CARD_QR_MM = 50.0
CARD_QR_VERSION = math.ceil((math.ceil(2 * QUIET_ZONE * CARD_QR_MM / (CARD_MM - CARD_QR_MM))
                             - 17) / 4)
CARD_QR_ERROR = "h"
CARD_QR_SIDE_MM = round(CARD_QR_MM * (17 + 4 * CARD_QR_VERSION + 2 * QUIET_ZONE)
                        / (17 + 4 * CARD_QR_VERSION), 2)
CARD_QR_TOP_MM = round((CARD_MM - CARD_QR_SIDE_MM) / 2, 2)
# cards.css: the text column starts 1.2 mm right of the code and ends 1.8 mm before the edge.
GEOMETRY = CardGeometry(width=85.6, height=CARD_MM, qr_side=CARD_QR_SIDE_MM,
                        qr_top=CARD_QR_TOP_MM, text_left=CARD_QR_SIDE_MM + 1.2, text_right=1.8)


def balanced_lines(text: str, lines: int = 2) -> list[str]:
    """The words of `text` in `lines` lines of lengths as even as possible (the card's title:
    "THẺ KIỂM SOÁT" / "DỊCH BỆNH", never one word left alone on a line)."""
    words = text.split()
    if lines < 2 or len(words) < 2:
        return [text]
    best = None
    for cut in range(1, len(words)):
        head, tail = " ".join(words[:cut]), " ".join(words[cut:])
        rest = balanced_lines(tail, lines - 1)
        longest = max(len(head), *(len(r) for r in rest))
        if best is None or longest < best[0]:
            best = (longest, [head, *rest])
    return best[1]


def _card_view(card: ResidentCard) -> dict:
    resident = card.resident
    return {"url": card_url(card), "full_name": resident.full_name,
            "birth_year": resident.birth_year, "number": card.number,
            "village": resident.village.name if resident.village else ""}


def render_cards_pdf(commune: Commune, cards: list[ResidentCard], *, single: bool = False) -> bytes:
    """Cards on A4 sheets (10 per sheet, cut lines), or one card on a card-sized page."""
    views = [_card_view(c) for c in cards]
    with force_locale("vi"):  # cards are official documents: always Vietnamese
        labels = {"born": _("Born"), "number": _("Card No.")}
        title_lines = balanced_lines(_("DISEASE-CONTROL CARD"))
        if stampable(views, labels):
            return stamp_cards(commune, views, single=single, per_sheet=CARDS_PER_SHEET,
                               labels=labels, title_lines=title_lines, geometry=GEOMETRY,
                               long_name=LONG_NAME, qr_error=CARD_QR_ERROR,
                               qr_version=CARD_QR_VERSION)
        return laid_out_cards_pdf(commune, views, single=single, title_lines=title_lines)


def warm_up_card_printing() -> None:
    """Load what a card job needs before its first part (the consumer, before forking)."""
    with force_locale("vi"):
        warm_up_cards(balanced_lines(_("DISEASE-CONTROL CARD")), GEOMETRY)


def laid_out_cards_pdf(commune: Commune, views: list[dict], *, single: bool,
                       title_lines: list[str]) -> bytes:
    """Every card laid out whole by WeasyPrint (a card whose text the bundled font lacks: Pango
    falls back to another font); the code as a PNG of one pixel a module."""
    for view in views:
        view["qr"] = qr_png_data_uri(view["url"], CARD_QR_ERROR, border=QUIET_ZONE,
                                     version=CARD_QR_VERSION)
    size = 1 if single else CARDS_PER_SHEET
    sheets = [views[i:i + size] for i in range(0, len(views), size)]
    return render_pdf("pdf/cards.html", stylesheets=("base.css", "cards.css"),
                      sheets=sheets, commune=commune, single=single, blank=False,
                      title_lines=title_lines, long_name=LONG_NAME,
                      qr_mm=CARD_QR_SIDE_MM, qr_top_mm=CARD_QR_TOP_MM)


def split_card_job(params: dict) -> list[dict]:
    """Parts of whole sheets, so merged parts give full sheets."""
    ids = params["card_ids"]
    return [{"card_ids": ids[i:i + CARDS_PER_PART], "units": len(ids[i:i + CARDS_PER_PART])}
            for i in range(0, len(ids), CARDS_PER_PART)]


def render_card_part(ctx: JobContext, part: dict) -> None:
    """One part of a card-printing job, written to its part file."""
    cards = load_cards(part["card_ids"])
    if not cards:
        raise JobError(_("The cards to print no longer exist."))
    commune = db.session.get(Commune, cards[0].commune_id)
    ctx.part_path.write_bytes(render_cards_pdf(commune, cards))


def merge_card_parts(ctx: JobContext, params: dict, paths: list[Path]) -> tuple[Path, str]:
    """Join the parts into one PDF, page by page (pypdf), without holding a WeasyPrint doc."""
    if not paths:
        raise JobError(_("There are no cards to print."))
    target = merge_pdfs(paths, ctx.workdir / "the-kiem-soat.pdf")
    return target, f"the-kiem-soat-{len(params['card_ids'])}.pdf"


def card_job_kind(_app) -> JobKind:
    """The card printing job (a receiver of `signals.job_kinds`)."""
    return JobKind("resident_cards", render_card_part, split=split_card_job,
                   merge=merge_card_parts)
