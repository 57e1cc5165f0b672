"""The public check-in page's extra parts: the health answers of each household member the
phone declares for alongside its owner ("I am also declaring for …"), and the shortcut that
answers every question "no" in one tap."""
from __future__ import annotations

from registry.forms import BaseForm
from registry.forms.declarations import declaration_form
from registry.services.declarations import answers_from


class CompanionAnswersForm(BaseForm):
    """A household member's own answers to the commune's questions (their details are those
    they declared before on this phone); the questions are added by `declaration_form`."""

    class Meta:
        csrf = False  # part of the page's form, whose token is checked once
        copy_bound_fields = True  # made on every phone's check-in (forms/__init__.py)

    questions: list = []

    def question_fields(self):
        """(question, answer field, details field or None) in order, for templates."""
        for q in self.questions:
            yield q, self[f"q_{q.code}"], self._fields.get(f"q_{q.code}_details")

    def answers(self) -> dict:
        """The answers as a declaration stores them."""
        given = {}
        for q, answer, details in self.question_fields():
            given[q.code] = ({"yes": True, "no": False}.get(answer.data),
                             details.data if details is not None else None)
        return answers_from(self.questions, given)


def companion_form(questions, key: int, *, locale: str, formdata=None) -> CompanionAnswersForm:
    """The answers form of one household member, its fields named w<key>-q_<code>."""
    return declaration_form(questions, base=CompanionAnswersForm, locale=locale,
                            prefix=f"w{key}-", formdata=formdata)


def answer_all_no(form) -> None:
    """Set every question of `form` to "no" (and clear its details): the "no to all" shortcut.
    Each answer stays on the page to be changed."""
    for _q, answer, details in form.question_fields():
        answer.data = "no"
        answer.raw_data = ["no"]
        if details is not None:
            details.data = ""
