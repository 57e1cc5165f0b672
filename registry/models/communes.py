"""A commune (xã, phường, đặc khu) and its villages / residential groups."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.timeutil import utcnow


class Commune(db.Model):
    """A commune People's Committee using the registry; every other record belongs to one."""

    __tablename__ = "communes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Codes of the post-2025 two-level scheme from `vietnam-provinces`; old (pre-2025) codes can
    # coincide with them, so the scheme is stored beside the code.
    unit_code: Mapped[int] = mapped_column(Integer, index=True)
    unit_scheme: Mapped[str] = mapped_column(String(16), default="2025")
    name: Mapped[str] = mapped_column(String(120))  # "Xã Triệu Sơn"
    province_code: Mapped[int] = mapped_column(Integer)
    province_name: Mapped[str] = mapped_column(String(120))  # "Tỉnh Thanh Hóa"
    # The place name on documents ("Triệu Sơn, ngày …"), editable because usage varies.
    place_name: Mapped[str] = mapped_column(String(120))
    hotline: Mapped[str | None] = mapped_column(String(20))
    chairman_name: Mapped[str | None] = mapped_column(String(120))
    vice_chairman_name: Mapped[str | None] = mapped_column(String(120))
    # Personal data older than this is purged (Law 91/2025: keep only as long as the purpose needs).
    retention_days: Mapped[int] = mapped_column(Integer, default=21)
    checkin_merge_minutes: Mapped[int] = mapped_column(Integer, default=30)
    # Visits nobody checked out of are closed at their venue's closing time, this one unless
    # the venue has its own (so no visit stays open forever).
    default_closing_time: Mapped[time] = mapped_column(default=time(22, 0),
                                                       server_default="22:00:00")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last local day whose check-ins are rolled up in checkin_tallies (models/tallies.py);
    # null until the first days are closed.
    tallied_through: Mapped[date | None]

    villages: Mapped[list[Village]] = relationship(
        back_populates="commune", order_by="Village.name", cascade="all, delete-orphan"
    )

    @property
    def agency_name(self) -> str:
        """The issuing agency's second line, e.g. "XÃ TRIỆU SƠN"."""
        return self.name.upper()

    def __repr__(self) -> str:
        return f"<Commune {self.id} {self.name}>"


class Village(db.Model):
    """A village (thôn) or residential group (tổ dân phố) of a commune, kept by the clerk."""

    __tablename__ = "villages"
    __table_args__ = (UniqueConstraint("commune_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    is_active: Mapped[bool] = mapped_column(default=True)

    commune: Mapped[Commune] = relationship(back_populates="villages")

    def __repr__(self) -> str:
        return f"<Village {self.id} {self.name}>"
