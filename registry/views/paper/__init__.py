"""The paper path's pages: forms printed and followed from printer to shredder (batches), keyed
and keyed again (keying, double entry), and declarations typed on behalf of a visitor."""
from __future__ import annotations

from registry import signals
from registry.demo.paper import seed_paper
from registry.services.paper.custody import dashboard_figures
from registry.services.paper.keying import purge_keyed_values
from registry.views.paper import batches, double_entry, keying, on_behalf  # noqa: F401  (routes)
from registry.views.paper.blueprint import bp


def init_app(app) -> None:
    """The paper pages; paper figures on the dashboard, the purge of keyed values, demo paper."""
    app.register_blueprint(bp)
    signals.dashboard_figures.connect(dashboard_figures)
    signals.purge_personal_data.connect(purge_keyed_values)
    signals.seed_demo.connect(seed_paper)
