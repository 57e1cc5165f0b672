"""The resident register's pages (register, import), the cards (issue, revoke, print, the
public card page) and the scan station at a venue's door."""
from __future__ import annotations

from registry import signals
from registry.demo.residents import seed_residents
from registry.pdf.cards import card_job_kind
from registry.services.residents.cards import checkin_ids_for_card, dashboard_figures
from registry.services.residents.offline import purge_offline_scans
from registry.views.residents import cards, imports, register, scan  # noqa: F401  (routes)
from registry.views.residents.blueprint import bp


def init_app(app) -> None:
    """The residents pages; card printing as a job, card holders for tracing, card figures on
    the dashboard, a station's stored scans purged with the rest, demo residents."""
    app.register_blueprint(bp)
    signals.job_kinds.connect(card_job_kind)
    signals.card_checkin_ids.connect(checkin_ids_for_card)
    signals.dashboard_figures.connect(dashboard_figures)
    signals.purge_personal_data.connect(purge_offline_scans)
    signals.seed_demo.connect(seed_residents)
