"""Users and their access tokens (web sessions and device/API bearer tokens)."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from patrolgrid.core.auth.roles import Role
from patrolgrid.core.db import Base, UTCDateTime, utcnow
from patrolgrid.core.errors import LocalizedValueError


class TokenKind(StrEnum):
    session = "session"  # browser login, carried in an HttpOnly cookie
    api = "api"  # device or API client, sent as `Authorization: Bearer ...`


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    tokens: Mapped[list[AuthToken]] = relationship(back_populates="user", passive_deletes=True)


class AuthToken(Base):
    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100), default="")
    # HMAC-SHA256 of the token under the server secret; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(back_populates="tokens")


# ---- API schemas ---------------------------------------------------------------------------

_USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")


def _check_username(value: str) -> str:
    if not _USERNAME.match(value):
        raise LocalizedValueError(
            "auth.bad_username",
            "用户名只能包含字母、数字、下划线、点和连字符,长度 2-64",
            "Username: 2-64 letters, digits, underscore, dot or hyphen",
        )
    return value


def _check_password(value: str) -> str:
    if len(value) < 8:
        raise LocalizedValueError(
            "auth.weak_password", "密码至少 8 位", "Password: at least 8 characters"
        )
    return value


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    failed_logins: int
    locked_until: dt.datetime | None
    created_at: dt.datetime


class MeOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    permissions: list[str]
    person_id: int | None = None


class MeEnvelope(BaseModel):
    user: MeOut


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str
    display_name: str = Field(min_length=1, max_length=100)
    role: Role
    password: str = Field(max_length=256)

    _username = field_validator("username")(_check_username)
    _password = field_validator("password")(_check_password)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str | None = Field(None, min_length=1, max_length=100)
    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(None, max_length=256)
    unlock: bool | None = None

    @field_validator("password")
    @classmethod
    def _pw(cls, value: str | None) -> str | None:
        return None if value is None else _check_password(value)


class UserList(BaseModel):
    items: list[UserOut]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    expires_days: int | None = Field(None, ge=1, le=3650)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenCreated(TokenOut):
    token: str


class TokenList(BaseModel):
    items: list[TokenOut]
