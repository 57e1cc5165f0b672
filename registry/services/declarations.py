"""The medical declaration: what a visitor declares, whatever the source, and the commune's
health questions, which an admin adds, edits, reorders and retires (answers keep their text)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select

from registry.caching import SnapshotCache, detached_copy
from registry.extensions import db
from registry.models import DeclarationQuestion, Sex
from registry.services.audit import record_event
from registry.text import fold, nfc

# The domestic declaration form of 2020–2021: (code, Vietnamese, English, details,
# symptom). Loaded for every new commune; an admin may edit, add or retire questions.
DEFAULT_QUESTIONS = (
    ("travel", "Trong vòng 14 ngày qua, Anh/Chị có đến tỉnh/thành phố, quốc gia/vùng lãnh thổ "
               "nào (có thể đi qua nhiều nơi)?",
     "In the last 14 days, have you been to another province, city, country or territory?",
     True, False),
    ("symptoms", "Trong vòng 14 ngày qua, Anh/Chị có thấy xuất hiện ít nhất 1 trong các dấu "
                 "hiệu: sốt, ho, khó thở, viêm phổi, đau họng, mệt mỏi không?",
     "In the last 14 days, have you had fever, cough, shortness of breath, pneumonia, sore "
     "throat or tiredness?", True, True),
    ("contact_patient", "Trong vòng 14 ngày qua, Anh/Chị có tiếp xúc với người bệnh hoặc nghi "
                        "ngờ mắc bệnh COVID-19 không?",
     "In the last 14 days, have you been in contact with a COVID-19 patient or suspect?",
     False, False),
    ("contact_foreign", "Trong vòng 14 ngày qua, Anh/Chị có tiếp xúc với người từ nước có bệnh "
                        "COVID-19 không?",
     "In the last 14 days, have you been in contact with a person from a country with "
     "COVID-19?", False, False),
    ("contact_symptoms", "Trong vòng 14 ngày qua, Anh/Chị có tiếp xúc với người có biểu hiện "
                         "sốt, ho, khó thở, viêm phổi không?",
     "In the last 14 days, have you been in contact with a person with fever, cough, shortness "
     "of breath or pneumonia?", False, False),
)

# What people write for the sex on paper or in a spreadsheet, folded: Vietnamese and English.
SEX_WORDS = {"nam": Sex.MALE, "m": Sex.MALE, "male": Sex.MALE, "nu": Sex.FEMALE, "f": Sex.FEMALE,
             "female": Sex.FEMALE, "khac": Sex.OTHER, "k": Sex.OTHER, "other": Sex.OTHER}


def parse_sex(text: str | None) -> str | None:
    """Nam / Nữ / Khác (or m, f, k) as the stored value; None if blank; ValueError otherwise."""
    value = fold(text or "")
    if not value:
        return None
    if value not in SEX_WORDS:
        raise ValueError(_("Type nam, nu or khac."))
    return SEX_WORDS[value].value


def add_default_questions(commune_id: int) -> None:
    """Give a new commune the standard questions."""
    for position, (code, text, text_en, details, symptom) in enumerate(DEFAULT_QUESTIONS):
        db.session.add(DeclarationQuestion(commune_id=commune_id, code=code, text=text,
                                           text_en=text_en, asks_details=details,
                                           is_symptom=symptom, position=position))
    db.session.flush()


_ACTIVE_QUESTIONS = (
    select(DeclarationQuestion)
    .where(DeclarationQuestion.commune_id == bindparam("commune_id"),
           DeclarationQuestion.is_active.is_(True))
    .order_by(DeclarationQuestion.position, DeclarationQuestion.id))
# The public page asks the same questions of every visitor; an admin changes them rarely.
# Kept per process like the points (registry/caching.py for how stale a copy may be).
QUESTIONS_ASKED = SnapshotCache("questions_asked", ("declaration_questions",))


def active_questions(commune_id: int) -> list[DeclarationQuestion]:
    """The questions asked now, in order."""
    return list(db.session.scalars(_ACTIVE_QUESTIONS, {"commune_id": commune_id}))


def questions_asked(commune_id: int) -> list[DeclarationQuestion]:
    """`active_questions` for the public page: the same list, from the per-process copy when
    there is one. The copies belong to no session: read them, never change them."""
    found: list = []

    def load():
        found.extend(active_questions(commune_id))
        return tuple(detached_copy(q) for q in found)

    kept = QUESTIONS_ASKED.get(db.session, commune_id, load)
    return found if found else list(kept or ())


@dataclass
class Declaration:
    """What a visitor declared, cleaned (NFC, E.164 phone), whatever the source."""

    full_name: str
    birth_year: int | None = None
    sex: str | None = None
    id_number: str | None = None
    nationality: str | None = "Việt Nam"
    province: str | None = None
    ward: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    # {code: {"question": text as asked, "answer": bool|None, "details": str|None}}
    answers: dict = field(default_factory=dict)
    # Made by `cleaned`: cleaning it again changes nothing (a phone's declaration is cleaned by
    # its form, then given to `record_visit`, which cleans what every source gives it).
    is_clean: bool = field(default=False, compare=False, repr=False)

    @property
    def has_symptoms(self) -> bool:
        return any(a.get("answer") and a.get("is_symptom") for a in self.answers.values())

    def cleaned(self) -> "Declaration":
        """A copy with every text composed (NFC) and trimmed; empty strings become None (this
        declaration itself if it is such a copy)."""
        if self.is_clean:
            return self
        values = {}
        for key in ("full_name", "sex", "id_number", "nationality", "province", "ward",
                    "address", "phone", "email"):
            value = nfc(getattr(self, key))
            values[key] = value or None
        values["full_name"] = values["full_name"] or ""
        return Declaration(birth_year=self.birth_year, answers=self.answers, is_clean=True,
                           **values)


def answers_from(questions: list[DeclarationQuestion], given: dict) -> dict:
    """Store answers with the question text as asked: {code: {"answer": bool, ...}}.

    `given` maps a code to (answer, details); a missing code is recorded as not answered.
    """
    stored = {}
    for q in questions:
        answer, details = given.get(q.code, (None, None))
        stored[q.code] = {"question": q.text, "answer": answer,
                          "details": nfc(details) or None if answer else None,
                          "is_symptom": q.is_symptom}
    return stored


# --- the question list, as the admin edits it ----------------------------------------------

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
