"""Form base: strips whitespace, composes Vietnamese text (NFC), and speaks Vietnamese.

WTForms ships no Vietnamese catalog, so every built-in or Flask-WTF message is passed through our
own gettext after validation; the msgids are listed in `builtin_messages` for extraction.
"""
from __future__ import annotations

from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import SelectChoice
from wtforms.csrf.core import CSRFTokenField

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
        # A form class whose fields may be copied from the first instance's (`_bound_copy`):
        # set by the forms made on every public request.
        copy_bound_fields = False

        def bind_field(self, form, unbound_field, options):
            if self.copy_bound_fields and unbound_field.field_class is not CSRFTokenField:
                return _bound_copy(form, unbound_field, options,
                                   lambda: self._bind(form, unbound_field, options))
            return self._bind(form, unbound_field, options)

        def _bind(self, form, unbound_field, options):
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


# The fields bound once per (unbound field, name, prefix), of the forms that allow it.
_BOUND_FIELDS: dict[tuple, tuple] = {}
_MAX_BOUND_FIELDS = 4096


def _bound_copy(form, unbound_field, options, bind):
    """A field of `form` copied from the same field bound once before, instead of built again.

    Why: WTForms builds every field of a form anew on every request (its label, flags, choices,
    widget): for the declaration's twenty fields that was a tenth of a check-in. What a field
    holds that belongs to one request (its data, raw data, errors, its form and meta) is set by
    processing and validating it, or here; what it shares with its copies (label, choices,
    validators, flags, render_kw) no code changes after the field is built.
    """
    key = (id(unbound_field), options["name"], options.get("prefix", ""))
    kept = _BOUND_FIELDS.get(key)
    if kept is None or kept[0] is not unbound_field:
        field = bind()
        if len(_BOUND_FIELDS) >= _MAX_BOUND_FIELDS:
            _BOUND_FIELDS.clear()
        _BOUND_FIELDS[key] = (unbound_field, _detached(field))
        return field
    original = kept[1]
    field = object.__new__(type(original))
    field.__dict__.update(original.__dict__, _form=form, meta=form.meta,
                          _translations=options["translations"])
    return field


def _detached(field):
    """A shallow copy of `field` (a Field's `__new__` makes an UnboundField, so not copy.copy),
    holding no form: the kept original must not keep its first form alive."""
    copy = object.__new__(type(field))
    copy.__dict__.update(field.__dict__)
    copy.__dict__.pop("_form", None)
    for state in ("data", "raw_data", "errors", "process_errors", "object_data"):
        copy.__dict__.pop(state, None)
    return copy


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
