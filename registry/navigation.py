"""The main menu: which features each role sees. Features add their entry to NAV_ENTRIES."""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
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


NAV_ENTRIES: list[NavEntry] = [
    NavEntry("venues.index", _l("Venues"), (A, C, H), _l("Register, search, print, import")),
    NavEntry("commune.villages", _l("Villages"), (A, C), _l("Villages and residential groups")),
    NavEntry("commune.settings", _l("Commune settings"), (A, C),
             _l("Hotline, signers, retention")),
    NavEntry("admin.users", _l("Accounts"), (A,), _l("Users and roles")),
    NavEntry("admin.categories", _l("Categories"), (A,), _l("Venue categories")),
    NavEntry("tracing.index", _l("Tracing"), (T, H), _l("Cases, contact search, F1 lists")),
    NavEntry("tracing.privacy", _l("Personal data"), (A, C),
             _l("A person's request to see, correct or delete their data")),
    NavEntry("tracing.retention_page", _l("Retention"), (A, C),
             _l("Purge of old data, paper sheets to destroy")),
    NavEntry("tracing.audit_log", _l("Audit log"), (A,), _l("Who viewed or changed what")),
]


@dataclass(frozen=True)
class NavItem:
    url: str
    prefix: str
    label: str
    hint: str


def nav_items() -> list[NavItem]:
    """The entries the current user may open."""
    if not current_user.is_authenticated:
        return []
    items = []
    for entry in NAV_ENTRIES:
        if current_user.role in entry.roles:
            url = url_for(entry.endpoint)
            prefix = "/" + url.strip("/").split("/")[0] if url.strip("/") else url
            items.append(NavItem(url=url, prefix=prefix, label=str(entry.label),
                                 hint=str(entry.hint)))
    return items
