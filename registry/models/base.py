"""What every model module shares: enums that carry their own label, and their column type."""
from __future__ import annotations

import enum

from sqlalchemy import Enum


class LabelledEnum(str, enum.Enum):
    """A stored value with the words a person reads for it, declared once on the member:

        SELF_SCAN = "self_scan", _l("Self-scan")

    `member.value` is what the database holds; `member.label` is the translated text in the
    current language (the label is a lazy string, translated when it is read).
    """

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label if label is not None else value
        return member

    @property
    def label(self) -> str:
        """The member in words, in the current language."""
        return str(self._label)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs for a select or radio field, in declaration order."""
        return [(member.value, member._label) for member in cls]

    @classmethod
    def label_of(cls, value: str | None, default: str = "") -> str:
        """The label of a stored value; `default` for None or an unknown value."""
        try:
            return cls(value).label
        except ValueError:
            return default if value is None else (default or str(value))


def enum_type(cls: type[enum.Enum], length: int = 16) -> Enum:
    """The column type of an enum: its values stored as VARCHAR(length), no native enum type,
    so SQLite and PostgreSQL hold the same text and migrations stay simple."""
    return Enum(cls, native_enum=False, length=length,
                values_callable=lambda members: [m.value for m in members])
