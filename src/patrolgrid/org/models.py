"""Organisation: the brigade (大队), its squadrons (中队) and its people."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from patrolgrid.core.db import Base, RowId, UTCDateTime, utcnow
from patrolgrid.core.errors import LocalizedValueError
from patrolgrid.core.text import PlainText, plain_text


class PersonKind(StrEnum):
    police = "police"  # 民警
    auxiliary = "auxiliary"  # 辅警
    public_welfare = "public_welfare"  # 公益岗位


KIND_LABELS: dict[PersonKind, tuple[str, str]] = {
    PersonKind.police: ("民警", "Police officer"),
    PersonKind.auxiliary: ("辅警", "Auxiliary"),
    PersonKind.public_welfare: ("公益岗位", "Public-welfare staff"),
}


class Brigade(Base):
    __tablename__ = "brigades"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Squadron(Base):
    __tablename__ = "squadrons"
    __table_args__ = (
        UniqueConstraint("brigade_id", "name", name="uq_squadrons_brigade_name"),
        UniqueConstraint("brigade_id", "code", name="uq_squadrons_brigade_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brigade_id: Mapped[int] = mapped_column(ForeignKey("brigades.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    badge_no: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    post: Mapped[str] = mapped_column(String(100), default="")
    mobile: Mapped[str] = mapped_column(String(11), index=True)
    squadron_id: Mapped[int] = mapped_column(
        ForeignKey("squadrons.id", ondelete="RESTRICT"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True, nullable=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    squadron: Mapped[Squadron] = relationship(lazy="joined")


# ---- validation shared by the API and the importer -------------------------------------------

# Mainland mobile numbers: 11 digits, 1 then 3-9 (MIIT numbering plan), optional +86 / 86 prefix.
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_BADGE = re.compile(r"^[A-Za-z0-9\-]{2,32}$")


def normalise_mobile(value: str) -> str:
    digits = re.sub(r"[\s\-]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not _MOBILE.match(digits):
        raise LocalizedValueError(
            "org.bad_mobile",
            "手机号码格式不正确(应为 11 位、以 13-19 开头的大陆手机号)",
            "Not a mainland China mobile number (11 digits starting 13-19)",
        )
    return digits


def check_badge(value: str) -> str:
    value = value.strip()
    if not _BADGE.match(value):
        raise LocalizedValueError(
            "org.bad_badge",
            "警号应为 2-32 位字母、数字或连字符",
            "Badge number: 2-32 letters, digits or hyphens",
        )
    return value


def check_name(value: str) -> str:
    value = plain_text(value.strip())
    if not value:
        raise LocalizedValueError("org.name_required", "姓名不能为空", "Name is required")
    return value


# ---- API schemas -----------------------------------------------------------------------------


class BrigadeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    code: str


class BrigadeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PlainText | None = Field(None, min_length=1, max_length=100)
    code: str | None = Field(None, max_length=32)


class SquadronIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PlainText = Field(min_length=1, max_length=100)
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")


class SquadronUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PlainText | None = Field(None, min_length=1, max_length=100)
    code: str | None = Field(None, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")


class SquadronOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    code: str
    person_count: int = 0


class SquadronList(BaseModel):
    items: list[SquadronOut]


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(max_length=50)
    badge_no: str = Field(max_length=32)
    kind: PersonKind
    post: PlainText = Field("", max_length=100)
    mobile: str = Field(max_length=20)
    squadron_id: RowId
    active: bool = True

    _name = field_validator("name")(check_name)
    _badge = field_validator("badge_no")(check_badge)
    _mobile = field_validator("mobile")(normalise_mobile)


class PersonUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(None, max_length=50)
    badge_no: str | None = Field(None, max_length=32)
    kind: PersonKind | None = None
    post: PlainText | None = Field(None, max_length=100)
    mobile: str | None = Field(None, max_length=20)
    squadron_id: RowId | None = None
    active: bool | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else check_name(value)

    @field_validator("badge_no")
    @classmethod
    def _badge(cls, value: str | None) -> str | None:
        return None if value is None else check_badge(value)

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, value: str | None) -> str | None:
        return None if value is None else normalise_mobile(value)


class PersonOut(BaseModel):
    id: int
    name: str
    badge_no: str
    kind: PersonKind
    post: str
    mobile: str
    squadron_id: int
    squadron_name: str
    user_id: int | None
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, person: Person) -> PersonOut:
        return cls(
            id=person.id,
            name=person.name,
            badge_no=person.badge_no,
            kind=PersonKind(person.kind),
            post=person.post,
            mobile=person.mobile,
            squadron_id=person.squadron_id,
            squadron_name=person.squadron.name,
            user_id=person.user_id,
            active=person.active,
            created_at=person.created_at,
            updated_at=person.updated_at,
        )


class PersonPage(BaseModel):
    items: list[PersonOut]
    total: int


class ImportResult(BaseModel):
    imported: int
