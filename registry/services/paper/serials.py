"""Sheet serials: printed as text and as a QR code, checked by a Luhn digit when typed."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from registry.extensions import db
from registry.models import BatchStatus, FormKind, PaperSheet
from registry.services.paper import PaperError


def _check_digit(digits: str) -> str:
    """A Luhn check digit, so that a mistyped serial is refused rather than finding a wrong
    sheet."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def make_serial(kind: FormKind, sheet_id: int) -> str:
    """The printed serial: S (slip) or L (log sheet), 7 digits of the sheet id, a check digit."""
    digits = f"{sheet_id:07d}"
    return ("S" if kind == FormKind.SLIP else "L") + digits + _check_digit(digits)


SERIAL = re.compile(r"^([SL])(\d{7,})(\d)$")


def normalise_serial(text: str | None) -> str | None:
    """The serial as typed or scanned ("l 0000012-3", "L00000123"), upper case without
    separators, or None when it cannot be a serial (wrong shape or check digit)."""
    value = re.sub(r"[\s.\-/]", "", text or "").upper()
    match = SERIAL.match(value)
    if not match or _check_digit(match.group(2)) != match.group(3):
        return None
    return value


def find_sheet(commune_id: int, text: str) -> PaperSheet:
    """The sheet with this serial in the commune; PaperError with the reason otherwise."""
    serial = normalise_serial(text)
    if serial is None:
        raise PaperError(_("This is not a sheet serial number. Check the characters and type "
                           "it again, for example L00001230."))
    sheet = db.session.scalar(select(PaperSheet).where(PaperSheet.serial == serial))
    if sheet is None:
        raise PaperError(_("No sheet has the serial %(serial)s.", serial=serial))
    if sheet.commune_id != commune_id:
        raise PaperError(_("Sheet %(serial)s belongs to another commune.", serial=serial))
    if sheet.batch.status == BatchStatus.DESTROYED:
        raise PaperError(_("Sheet %(serial)s belongs to a destroyed batch; it can no longer be "
                           "keyed.", serial=serial))
    return sheet
