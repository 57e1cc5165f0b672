"""The main menu: which features each role sees. Features add their entry to NAV_ENTRIES."""
from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from registry.models import Role

A, C, D, H, T, V = (Role.ADMIN, Role.CLERK, Role.DATA_ENTRY, Role.CHAIRMAN, Role.TRACER,
                    Role.VENUE)


@dataclass(frozen=True)
class NavEntry:
    """One menu entry: the endpoint, its label, the roles that see it, a one-line hint."""

    endpoint: str
    label: object
    roles: tuple
    hint: object = ""


# In the order people use them: the day's work first, settings and logs last.
NAV_ENTRIES: list[NavEntry] = [
    NavEntry("dashboard.index", _l("Dashboard"), (A, C, H),
             _l("Figures by category, idle venues, chart")),
    NavEntry("coverage.index", _l("Coverage"), (A, C, H),
             _l("Every venue's QR, check-ins and paper; venues to follow up")),
    NavEntry("checkins.today", _l("Today's check-ins"), (V,),
             _l("Visitors of your venue today, counts per day")),
    NavEntry("venues.index", _l("Venues"), (A, C, H), _l("Register, search, print, import")),
    NavEntry("paper.backlog_page", _l("Paper forms"), (A, C, H),
             _l("Print forms, hand out, collect, destroy")),
    NavEntry("paper.key_start", _l("Key paper"), (A, C, D), _l("Key slips and log sheets")),
    NavEntry("paper.on_behalf", _l("Declare on behalf"), (A, C, D, V),
             _l("Type a visitor's declaration")),
    NavEntry("residents.index", _l("Residents"), (A, C, D, T),
             _l("Resident register and disease-control cards")),
    NavEntry("residents.scan_home", _l("Card scanning"), (V, A, C),
             _l("Scan residents' cards at a check-in point")),
    NavEntry("reports.index", _l("Reports"), (A, C, H), _l("The report the chairman signs")),
    NavEntry("tracing.index", _l("Tracing"), (T, H), _l("Cases, contact search, F1 lists")),
    NavEntry("person_links.index", _l("Same person"), (A, C), _l("Link records of one person")),
    NavEntry("jobs.index", _l("Print jobs"), (A, C, D, H, T, V),
             _l("Long printouts made in the background")),
    NavEntry("communes.villages", _l("Villages"), (A, C), _l("Villages and residential groups")),
    NavEntry("privacy.index", _l("Personal data"), (A, C),
             _l("A person's request to see, correct or delete their data")),
    NavEntry("retention.index", _l("Retention"), (A, C),
             _l("Purge of old data, paper sheets to destroy")),
    NavEntry("communes.settings", _l("Commune settings"), (A, C),
             _l("Hotline, signers, retention")),
    NavEntry("users.index", _l("Accounts"), (A,), _l("Users and roles")),
    NavEntry("venues.categories", _l("Categories"), (A,), _l("Venue categories")),
    NavEntry("declarations.index", _l("Declaration questions"), (A,),
             _l("Health questions asked on the declaration")),
    NavEntry("audit.index", _l("Audit log"), (A,), _l("Who viewed or changed what")),
]


@dataclass(frozen=True)
class NavItem:
    """A menu entry ready for the template."""

    url: str
    label: str
    hint: str
    is_current: bool = False


def nav_items() -> list[NavItem]:
    """The entries the current user may open; the one whose address is the longest prefix of
    the page's address is marked current (several features share a first path segment)."""
    if not current_user.is_authenticated:
        return []
    entries = [(url_for(e.endpoint), e) for e in NAV_ENTRIES if current_user.role in e.roles]
    path = request.path if has_request_context() else ""

    def matches(url: str) -> bool:
        base = url.rstrip("/")
        return path == url or path == base or path.startswith(base + "/")

    current = max((url for url, _e in entries if matches(url)), key=len, default=None)
    return [NavItem(url=url, label=str(e.label), hint=str(e.hint), is_current=url == current)
            for url, e in entries]
