"""Editing the commune's health questions: add, edit, reorder, retire; answers keep their text."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from registry.extensions import db
from registry.models import DeclarationQuestion
from registry.services.audit import record_event
from registry.text import fold, nfc

QUESTION_FIELDS = ("text", "text_en", "asks_details", "is_symptom")


def all_questions(commune_id: int) -> list[DeclarationQuestion]:
    """Every question of the commune, active ones first, in asking order."""
    return list(db.session.scalars(
        select(DeclarationQuestion).where(DeclarationQuestion.commune_id == commune_id)
        .order_by(DeclarationQuestion.is_active.desc(), DeclarationQuestion.position,
                  DeclarationQuestion.id)))


def _new_code(commune_id: int, text: str) -> str:
    """A stable code from the first words of the question, unique in the commune.

    Answers are stored by code, so a code is never reused for another question.
    """
    base = re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")[:30].strip("_") or "question"
    taken = set(db.session.scalars(select(DeclarationQuestion.code)
                                   .where(DeclarationQuestion.commune_id == commune_id)))
    code, n = base, 2
    while code in taken:
        code = f"{base[:27]}_{n}"
        n += 1
    return code


def add_question(commune_id: int, user, *, text: str, text_en: str | None = None,
                 asks_details: bool = False, is_symptom: bool = False) -> DeclarationQuestion:
    """Add a question at the end of the list."""
    last = db.session.scalar(select(func.max(DeclarationQuestion.position))
                             .where(DeclarationQuestion.commune_id == commune_id))
    question = DeclarationQuestion(
        commune_id=commune_id, code=_new_code(commune_id, text), text=nfc(text),
        text_en=nfc(text_en) or None, asks_details=bool(asks_details),
        is_symptom=bool(is_symptom), position=(last or 0) + 1)
    db.session.add(question)
    db.session.flush()
    record_event("create", question, user=user, details={"text": [None, question.text]})
    return question


def update_question(question: DeclarationQuestion, user, **fields) -> dict:
    """Change a question's wording or flags; answers already given keep the text they answered."""
    changes = {}
    for key in QUESTION_FIELDS:
        if key not in fields:
            continue
        new = fields[key]
        if isinstance(new, str):
            new = nfc(new) or None
        if key in ("asks_details", "is_symptom"):
            new = bool(new)
        if getattr(question, key) != new:
            changes[key] = [getattr(question, key), new]
            setattr(question, key, new)
    if changes:
        db.session.flush()
        record_event("update", question, user=user, details=changes)
    return changes


def move_question(question: DeclarationQuestion, user, direction: str) -> bool:
    """Move an active question one place up or down; False when it is already at that end."""
    active = [q for q in all_questions(question.commune_id) if q.is_active]
    if question not in active:
        return False
    index = active.index(question)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(active):
        return False
    active[index], active[other] = active[other], active[index]
    # Renumber the whole list: positions of the defaults may coincide after edits.
    for position, q in enumerate(active):
        q.position = position
    db.session.flush()
    record_event("reorder", question, user=user, details={"direction": direction})
    return True


def set_question_active(question: DeclarationQuestion, user, active: bool) -> None:
    """Retire a question from new declarations, or ask it again."""
    if question.is_active == active:
        return
    question.is_active = active
    if active:
        last = db.session.scalar(select(func.max(DeclarationQuestion.position))
                                 .where(DeclarationQuestion.commune_id == question.commune_id,
                                        DeclarationQuestion.is_active.is_(True)))
        question.position = (last or 0) + 1
    db.session.flush()
    record_event("reactivate" if active else "retire", question, user=user,
                 details={"is_active": [not active, active]})
