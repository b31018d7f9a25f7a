from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..coltypes import UTCDateTime
from ..extensions import db

district_managers = Table(
    "district_managers",
    db.metadata,
    Column("district_id", ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True),
    Column("manager_id", ForeignKey("account_managers.id", ondelete="CASCADE"), primary_key=True),
)


class District(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(128))
    sort: Mapped[int] = mapped_column(Integer, default=0)

    managers = relationship(
        "AccountManager", secondary=district_managers, back_populates="districts", order_by="AccountManager.id"
    )


class AccountManager(db.Model):  # type: ignore[name-defined,misc]
    """客户经理 of the insurer, serving one or more districts."""

    __tablename__ = "account_managers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # the programme years the manager serves, both inclusive; None = no limit on that side
    from_year: Mapped[int | None] = mapped_column(Integer)
    to_year: Mapped[int | None] = mapped_column(Integer)

    districts = relationship(
        "District", secondary=district_managers, back_populates="managers", order_by="District.sort"
    )


    def serves(self, year: int | None) -> bool:
        """Active and serving the programme of `year` (any year when None)."""
        if not self.active:
            return False
        if year is None:
            return True
        return (self.from_year is None or self.from_year <= year) and (self.to_year is None or year <= self.to_year)


class ManagerContact(db.Model):  # type: ignore[name-defined,misc]
    """A manager's contact log entry with an enterprise (call, visit, message)."""

    __tablename__ = "manager_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("account_managers.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16), default="phone")
    note: Mapped[str] = mapped_column(Text, default="")
