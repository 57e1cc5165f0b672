"""The F1 list of a tracing case, printed for the health station (A4 landscape), always in
Vietnamese whatever the screen language."""
from __future__ import annotations

from flask_babel import force_locale

from registry.models import Commune, TracingCase
from registry.pdf import render_pdf
from registry.services.tracing.cases import f1_rows
from registry.timeutil import utcnow


def render_f1_list(case: TracingCase, commune: Commune) -> bytes:
    """The case's F1 contacts as one PDF."""
    with force_locale("vi"):
        return render_pdf("pdf/f1_list.html", stylesheets=("base.css", "tracing.css"),
                          case=case, commune=commune, rows=list(f1_rows(case)),
                          printed_at=utcnow())
