"""The residents feature's blueprint, the roles of its pages, and what its pages share."""
from __future__ import annotations

from flask import Blueprint, g, request

from registry.models import Role
from registry.services.residents.register import ResidentFilter

bp = Blueprint("residents", __name__)

VIEWERS = (Role.ADMIN, Role.CLERK, Role.DATA_ENTRY, Role.TRACER)
EDITORS = (Role.ADMIN, Role.CLERK, Role.DATA_ENTRY)
CARD_STAFF = (Role.ADMIN, Role.CLERK)
SCANNERS = (Role.VENUE, Role.ADMIN, Role.CLERK)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filter_from_args() -> ResidentFilter:
    village = request.args.get("village", "")
    card = request.args.get("card")
    return ResidentFilter(query=(request.args.get("q") or "")[:100],
                          village_id=int(village) if village.isdigit() else None,
                          card=card if card in ("valid", "none", "revoked") else None)


def no_store() -> None:
    # Pages with personal data are not kept in the browser's cache.
    g.no_store = True
