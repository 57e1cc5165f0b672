"""One person, many records: suggest check-ins that are the same person; a clerk decides.

Records are never merged: a confirmed link only lets tracing follow a person across sources.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select

from registry.extensions import db
from registry.models import Checkin, LinkReason, LinkStatus, PersonLink
from registry.services.audit import record_event
from registry.timeutil import utcnow

MAX_NEW_SUGGESTIONS = 500  # per run, so one click never takes minutes


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def suggest_links(commune_id: int) -> int:
    """Add suggestions for check-ins with the same folded name and year of birth and the same
    phone or ID number, that are not yet linked or decided. Returns how many were added.

    Only pairs that bring something new are suggested: a record is paired with the first record
    of its group, so a group of n records gives n-1 suggestions, not n².
    """
    existing = {(a, b) for a, b in db.session.execute(
        select(PersonLink.checkin_a_id, PersonLink.checkin_b_id)
        .where(PersonLink.commune_id == commune_id))}
    added = 0
    for reason, key in ((LinkReason.NAME_YEAR_PHONE.value, Checkin.phone),
                        (LinkReason.NAME_YEAR_ID.value, Checkin.id_number)):
        rows = db.session.execute(
            select(Checkin.id, Checkin.search_name, Checkin.birth_year, key)
            .where(Checkin.commune_id == commune_id, key.is_not(None),
                   Checkin.birth_year.is_not(None))
            .order_by(Checkin.search_name, Checkin.birth_year, key, Checkin.id)).all()
        first_of: dict[tuple, int] = {}
        for cid, name, year, value in rows:
            group = (name, year, value)
            head = first_of.setdefault(group, cid)
            if head == cid:
                continue
            pair = _pair(head, cid)
            if pair in existing:
                continue
            existing.add(pair)
            db.session.add(PersonLink(commune_id=commune_id, checkin_a_id=pair[0],
                                      checkin_b_id=pair[1], reason=reason))
            added += 1
            if added >= MAX_NEW_SUGGESTIONS:
                db.session.flush()
                return added
    db.session.flush()
    return added


def decide_link(link: PersonLink, confirm: bool, user) -> None:
    """A clerk confirms (same person) or rejects (different people) a suggestion."""
    link.status = LinkStatus.CONFIRMED if confirm else LinkStatus.REJECTED
    link.decided_by_id, link.decided_at = user.id, utcnow()
    record_event("confirm_link" if confirm else "reject_link", link, user=user,
                 details={"a": link.checkin_a_id, "b": link.checkin_b_id})


def linked_checkin_ids(commune_id: int, checkin_ids: set[int]) -> set[int]:
    """All check-ins linked to the given ones through confirmed links (transitively),
    including the given ones."""
    found = set(checkin_ids)
    frontier = set(checkin_ids)
    while frontier:
        batch = list(frontier)[:500]
        frontier -= set(batch)
        rows = db.session.execute(
            select(PersonLink.checkin_a_id, PersonLink.checkin_b_id)
            .where(PersonLink.commune_id == commune_id,
                   PersonLink.status == LinkStatus.CONFIRMED,
                   or_(PersonLink.checkin_a_id.in_(batch), PersonLink.checkin_b_id.in_(batch))))
        for a, b in rows:
            for cid in (a, b):
                if cid not in found:
                    found.add(cid)
                    frontier.add(cid)
    return found


def confirmed_count(commune_id: int) -> int:
    """How many links clerks have confirmed."""
    return db.session.scalar(select(func.count()).select_from(PersonLink).where(
        PersonLink.commune_id == commune_id, PersonLink.status == LinkStatus.CONFIRMED)) or 0


def pending_links(commune_id: int, limit: int = 100) -> list[PersonLink]:
    """Suggestions waiting for a decision, oldest first."""
    return list(db.session.scalars(
        select(PersonLink).where(and_(PersonLink.commune_id == commune_id,
                                      PersonLink.status == LinkStatus.SUGGESTED))
        .order_by(PersonLink.id).limit(limit)))


def purge_links(commune_id: int, *, cutoff_utc: datetime, held_checkin_ids: set[int]) -> int:
    """Delete the links touching a check-in about to be purged (older than the cutoff and not
    held): a link is personal data too, and must not outlive either of its records. Returns how
    many were deleted. A receiver of `signals.purge_personal_data`."""
    old_checkins = select(Checkin.id).where(Checkin.commune_id == commune_id,
                                            Checkin.checked_in_at < cutoff_utc)
    if held_checkin_ids:
        old_checkins = old_checkins.where(Checkin.id.not_in(set(held_checkin_ids)))
    return db.session.execute(
        delete(PersonLink).where(PersonLink.commune_id == commune_id,
                                 PersonLink.checkin_a_id.in_(old_checkins)
                                 | PersonLink.checkin_b_id.in_(old_checkins))
        .execution_options(synchronize_session=False)).rowcount or 0
