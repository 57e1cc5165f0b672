"""The main menu: which features each role sees, grouped by job so that it fits one row.
Features add their entry to NAV_ENTRIES, naming the group it belongs to."""
from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from registry.models import Role

A, C, D, H, T, V = (Role.ADMIN, Role.CLERK, Role.DATA_ENTRY, Role.CHAIRMAN, Role.TRACER,
                    Role.VENUE)


# The menu's groups, by job, in the order they are shown; an entry without a group stands on
# its own. A group of which a role sees one entry only shows that entry as a plain link.
NAV_GROUPS = {
    "venues": _l("Venues and posters"),
    "paper": _l("Paper"),
    "residents": _l("Residents and cards"),
    "reports": _l("Reports"),
    "tracing": _l("Tracing"),
    "admin": _l("Administration"),
}


@dataclass(frozen=True)
class NavEntry:
    """One menu entry: the endpoint, its label, the roles that see it, a one-line hint, and
    the group (a key of NAV_GROUPS, or None for an entry of its own)."""

    endpoint: str
    label: object
    roles: tuple
    hint: object = ""
    group: str | None = "admin"


# In the order people use them: the day's work first, settings and logs last.
NAV_ENTRIES: list[NavEntry] = [
    NavEntry("dashboard.index", _l("Dashboard"), (A, C, H),
             _l("Figures by category, idle venues, chart"), group="reports"),
    NavEntry("coverage.index", _l("Coverage"), (A, C, H),
             _l("Every venue's QR, check-ins and paper; venues to follow up"), group="reports"),
    NavEntry("checkins.today", _l("Today's check-ins"), (V,),
             _l("Visitors of your venue today, counts per day"), group=None),
    NavEntry("venues.index", _l("Venues"), (A, C, H), _l("Register, search, print, import"),
             group="venues"),
    NavEntry("paper.backlog_page", _l("Paper forms"), (A, C, H),
             _l("Print forms, hand out, collect, destroy"), group="paper"),
    NavEntry("paper.key_start", _l("Key paper"), (A, C, D), _l("Key slips and log sheets"),
             group="paper"),
    NavEntry("paper.on_behalf", _l("Declare on behalf"), (A, C, D, V),
             _l("Type a visitor's declaration"), group="paper"),
    NavEntry("residents.index", _l("Residents"), (A, C, D, T),
             _l("Resident register and disease-control cards"), group="residents"),
    NavEntry("residents.scan_home", _l("Card scanning"), (V, A, C),
             _l("Scan residents' cards at a check-in point"), group="residents"),
    NavEntry("reports.index", _l("Reports"), (A, C, H), _l("The report the chairman signs"),
             group="reports"),
    NavEntry("tracing.index", _l("Tracing"), (T, H), _l("Cases, contact search, F1 lists"),
             group="tracing"),
    NavEntry("person_links.index", _l("Same person"), (A, C), _l("Link records of one person"),
             group="tracing"),
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
    NavEntry("venues.categories", _l("Categories"), (A,), _l("Venue categories"),
             group="venues"),
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
    group: str | None = None


@dataclass(frozen=True)
class NavGroup:
    """A group of the menu ready for the template: a dropdown of its items, or, with a
    single item, that item alone."""

    key: str
    label: str
    items: list

    @property
    def is_current(self) -> bool:
        return any(item.is_current for item in self.items)


def nav_groups() -> list[NavGroup]:
    """The current user's menu by job: entries of their own first (a venue's "Today's
    check-ins"), then the groups in NAV_GROUPS order."""
    alone: list[NavGroup] = []
    groups: dict[str, NavGroup] = {}
    for item in nav_items():
        if item.group is None:
            alone.append(NavGroup(key=item.url, label=item.label, items=[item]))
            continue
        group = groups.setdefault(item.group, NavGroup(
            key=item.group, label=str(NAV_GROUPS.get(item.group, item.group)), items=[]))
        group.items.append(item)
    return alone + [groups[key] for key in NAV_GROUPS if key in groups] + \
        [g for key, g in groups.items() if key not in NAV_GROUPS]


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
    return [NavItem(url=url, label=str(e.label), hint=str(e.hint), is_current=url == current,
                    group=e.group)
            for url, e in entries]
