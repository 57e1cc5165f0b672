"""Form base: strips whitespace, composes Vietnamese text (NFC), and speaks Vietnamese.

WTForms ships no Vietnamese catalog, so every built-in or Flask-WTF message is passed through our
own gettext after validation; the msgids are listed in `builtin_messages` for extraction.
"""
from __future__ import annotations

from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from registry.text import nfc, nfc_multiline


def _strip_nfc(value):
    return nfc(value) if isinstance(value, str) else value


def _strip_nfc_multiline(value):
    return nfc_multiline(value) if isinstance(value, str) else value


class _Translations:
    """WTForms translations object backed by the app's catalog."""

    def gettext(self, string):
        return gettext(string)

    def ngettext(self, singular, plural, n):
        # WTForms interpolates the numbers itself afterwards.
        return gettext(singular if n == 1 else plural)


class BaseForm(FlaskForm):
    """Every form of the registry derives from this one."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            # Worked out once per field of a form class (a form is made on every request).
            filters = getattr(unbound_field, "_registry_filters", None)
            if filters is None:
                filters = list(unbound_field.kwargs.get("filters", []))
                kind = unbound_field.field_class.__name__
                if kind == "TextAreaField":
                    filters.append(_strip_nfc_multiline)
                elif kind not in ("FileField", "MultipleFileField", "PasswordField"):
                    filters.append(_strip_nfc)
                filters = unbound_field._registry_filters = tuple(filters)
            return unbound_field.bind(form=form, filters=filters, **options)

        def get_translations(self, form):
            return _Translations()

    def validate(self, extra_validators=None) -> bool:
        """Validate, then translate any message that came through in English."""
        ok = super().validate(extra_validators=extra_validators)
        for field in self._fields.values():
            field.errors = [gettext(e) if isinstance(e, str) else e for e in field.errors]
        return ok


class ActionForm(BaseForm):
    """A button that changes something (withdraw, confirm, settle …): only its CSRF token; any
    choice it carries is read by the view."""


def int_or_none(value):
    """A select field's coerce: the number chosen, or None for the empty choice."""
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


def choices(pairs, blank=None) -> list[SelectChoice]:
    """(value, label) pairs as a select field's choices, after an empty choice labelled `blank`
    when one is given ("— choose —")."""
    head = [SelectChoice("", blank)] if blank is not None else []
    return head + [SelectChoice(value, label) for value, label in pairs]
