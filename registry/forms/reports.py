"""Forms of the dashboard (period) and of the report: create, edit, directives, sign-off,
signing material, signed-file upload and public verification."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (IntegerField, PasswordField, SelectChoice, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                ValidationError)

from registry.forms import BaseForm
from registry.forms.fields import VietnameseDateField as DateField
from registry.models import SignerKind
from registry.services.reports.drafting import nfc_lines

MAX_PERIOD_DAYS = 366


class MultilineForm(BaseForm):
    """A form whose text areas keep their line breaks (the base form folds them into spaces)."""

    class Meta(BaseForm.Meta):
        """Form options."""
        def bind_field(self, form, unbound_field, options):
            """Text areas keep their line breaks; other fields as in BaseForm."""
            if issubclass(unbound_field.field_class, TextAreaField):
                filters = list(unbound_field.kwargs.get("filters", [])) + [nfc_lines]
                return unbound_field.bind(form=form, filters=filters, **options)
            return super().bind_field(form, unbound_field, options)


def signer_choices(commune) -> list[SelectChoice]:
    """Who may sign, as the document names them: the name and the signature title, in
    Vietnamese whatever the screen language (they are the words printed on the document)."""
    names = {SignerKind.CHAIRMAN: getattr(commune, "chairman_name", None) or "",
             SignerKind.VICE_CHAIRMAN: getattr(commune, "vice_chairman_name", None) or ""}
    return [SelectChoice(kind.value, " — ".join(p for p in (names[kind], kind.signature_title)
                                                if p)) for kind in SignerKind]


def _text(label, max_len=5000):
    """A narrative text area of at most `max_len` characters."""
    return TextAreaField(label, validators=[
        Optional(), Length(max=max_len, message=_l("At most %(max)d characters."))])


class ReportForm(MultilineForm):
    """What the clerk types into a report: period, summary, narrative, figures, recipients."""

    period_start = DateField(_l("Period from"), validators=[
        InputRequired(message=_l("Enter the first day of the period."))])
    period_end = DateField(_l("Period to"), validators=[
        InputRequired(message=_l("Enter the last day of the period."))])
    summary = StringField(_l("Summary (trích yếu)"), validators=[
        DataRequired(message=_l("Enter the summary of the report.")),
        Length(max=300, message=_l("At most %(max)d characters."))])
    introduction = _text(_l("Opening paragraph"))
    deployment = _text(_l("1. Direction and deployment"))
    results = _text(_l("2. Results"))
    shortcomings = _text(_l("3. Shortcomings and limitations"))
    direction = _text(_l("4. Tasks for the coming period"))
    proposals = _text(_l("5. Proposals"))
    closing = _text(_l("Closing sentence (to whom the report goes)"), max_len=2000)
    smartphones = IntegerField(_l("Smartphones in the commune"), validators=[
        Optional(), NumberRange(min=0, max=10_000_000, message=_l("Enter a number of 0 or more."))])
    app_installs = IntegerField(_l("App installations"), validators=[
        Optional(), NumberRange(min=0, max=10_000_000, message=_l("Enter a number of 0 or more."))])
    recipients = TextAreaField(_l("Recipients (Nơi nhận), one a line"), validators=[
        DataRequired(message=_l("Enter at least one recipient.")),
        Length(max=2000, message=_l("At most %(max)d characters."))],
        description=_l("The registry adds \"Lưu: VT\" if it is missing."))
    signer_kind = SelectField(_l("Signer"), validators=[
        DataRequired(message=_l("Choose who signs."))])

    def __init__(self, *args, commune=None, **kwargs):
        """Name the signers from the commune settings."""
        super().__init__(*args, **kwargs)
        self.signer_kind.choices = signer_choices(commune)
        self._commune = commune

    def validate_period_end(self, field):
        """The period runs forward and covers at most a year."""
        if self.period_start.data and field.data:
            if field.data < self.period_start.data:
                raise ValidationError(_l("The last day must not be before the first day."))
            if field.data - self.period_start.data > timedelta(days=MAX_PERIOD_DAYS - 1):
                raise ValidationError(_l("A period covers at most 366 days."))

    def validate_signer_kind(self, field):
        """The chosen signer's name must be set in the commune settings."""
        name_attr = ("chairman_name" if field.data == SignerKind.CHAIRMAN.value
                     else "vice_chairman_name")
        if not getattr(self._commune, name_attr, None):
            raise ValidationError(_l("Enter this signer's name in the commune settings first."))

    def validate_app_installs(self, field):
        """Installations cannot exceed the smartphones counted."""
        if (field.data is not None and self.smartphones.data is not None
                and field.data > self.smartphones.data):
            raise ValidationError(_l("More installations than smartphones."))


class DirectiveForm(BaseForm):
    """A row of the table of directives issued."""

    subject = StringField(_l("Subject"), validators=[
        DataRequired(message=_l("Enter the subject of the directive.")),
        Length(max=500, message=_l("At most %(max)d characters."))])
    number_date = StringField(_l("Number and date"), validators=[
        DataRequired(message=_l("Enter the number and date, e.g. 817/UBND 01/4/2020.")),
        Length(max=120, message=_l("At most %(max)d characters."))])
    issuing_unit = StringField(_l("Issuing unit"), validators=[
        DataRequired(message=_l("Enter the issuing unit.")),
        Length(max=200, message=_l("At most %(max)d characters."))])
    recipients = StringField(_l("Addressed to"), validators=[
        DataRequired(message=_l("Enter who received it.")),
        Length(max=500, message=_l("At most %(max)d characters."))])


class ReturnForm(MultilineForm):
    """The chairman returns a submitted report with a comment."""

    comment = TextAreaField(_l("Comment for the clerk"), validators=[
        DataRequired(message=_l("Say what must be changed.")),
        Length(max=2000, message=_l("At most %(max)d characters."))])


class SigningMaterialForm(BaseForm):
    """The commune's certificate and appearance images; empty fields keep what is stored."""

    pkcs12 = FileField(_l("Certificate (PKCS#12, .p12 or .pfx)"), validators=[
        Optional(), FileAllowed(["p12", "pfx"], _l("Choose a .p12 or .pfx file."))])
    passphrase = PasswordField(_l("Certificate passphrase"), validators=[
        Optional(), Length(max=200, message=_l("At most %(max)d characters."))])
    signature_png = FileField(_l("Signature image (blue, transparent PNG)"), validators=[
        Optional(), FileAllowed(["png"], _l("Choose a PNG image."))])
    seal_png = FileField(_l("Seal image (red, transparent PNG)"), validators=[
        Optional(), FileAllowed(["png"], _l("Choose a PNG image."))])


class SignedUploadForm(BaseForm):
    """A PDF signed elsewhere (USB token) coming back to the registry."""

    file = FileField(_l("Signed PDF"), validators=[
        FileRequired(message=_l("Choose the signed PDF file.")),
        FileAllowed(["pdf"], _l("Choose a PDF file."))])


class VerifyForm(BaseForm):
    """Anyone holding a PDF checks it against the one on file."""

    file = FileField(_l("PDF to check"), validators=[
        FileRequired(message=_l("Choose the PDF file to check.")),
        FileAllowed(["pdf"], _l("Choose a PDF file."))])
