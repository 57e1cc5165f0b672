"""The medical declaration: its questions, checking what was declared, and answers as stored."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.extensions import db
from registry.models import DeclarationQuestion
from registry.text import nfc

# The domestic declaration form of 2020–2021 (domain.md): (code, Vietnamese, English, details,
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

SEX_CHOICES = (("male", _l("Male")), ("female", _l("Female")), ("other", _l("Other")))
SEX_LABELS_VI = {"male": "Nam", "female": "Nữ", "other": "Khác"}


def add_default_questions(commune_id: int) -> None:
    """Give a new commune the standard questions."""
    for position, (code, text, text_en, details, symptom) in enumerate(DEFAULT_QUESTIONS):
        db.session.add(DeclarationQuestion(commune_id=commune_id, code=code, text=text,
                                           text_en=text_en, asks_details=details,
                                           is_symptom=symptom, position=position))
    db.session.flush()


def active_questions(commune_id: int) -> list[DeclarationQuestion]:
    """The questions asked now, in order."""
    return list(db.session.scalars(
        select(DeclarationQuestion)
        .where(DeclarationQuestion.commune_id == commune_id,
               DeclarationQuestion.is_active.is_(True))
        .order_by(DeclarationQuestion.position, DeclarationQuestion.id)))


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

    @property
    def has_symptoms(self) -> bool:
        return any(a.get("answer") and a.get("is_symptom") for a in self.answers.values())

    def cleaned(self) -> "Declaration":
        """A copy with every text composed (NFC) and trimmed; empty strings become None."""
        values = {}
        for key in ("full_name", "sex", "id_number", "nationality", "province", "ward",
                    "address", "phone", "email"):
            value = nfc(getattr(self, key))
            values[key] = value or None
        values["full_name"] = values["full_name"] or ""
        return Declaration(birth_year=self.birth_year, answers=self.answers, **values)


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
