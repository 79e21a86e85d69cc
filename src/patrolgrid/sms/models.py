"""The SMS outbox: every text message the system sends is first a row here, written in the same
transaction as the change that asks for it, then delivered by a sender with retries. A
`dedupe_key` makes asking twice (a retried flow, two processes) send once."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from patrolgrid.core.db import Base, UTCDateTime, utcnow


class SmsStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # gave up after the last retry


class SmsMessage(Base):
    __tablename__ = "sms_outbox"
    __table_args__ = (Index("ix_sms_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_phone: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(40))  # e.g. sos.escalation
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=SmsStatus.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    provider: Mapped[str | None] = mapped_column(String(20), nullable=True)
    provider_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SmsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    to_phone: str
    body: str
    purpose: str
    status: SmsStatus
    attempts: int
    provider: str | None
    error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None


class SmsPage(BaseModel):
    items: list[SmsOut]
    total: int
