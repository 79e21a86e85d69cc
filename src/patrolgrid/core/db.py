"""Database core: async SQLAlchemy 2 on SQLite (embedded default) or PostgreSQL (psycopg 3).

SQLite runs in WAL mode with foreign keys enforced. Migrations (Alembic) are applied on start;
on PostgreSQL an advisory lock makes concurrent starts of several processes safe.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from alembic import command
from alembic.config import Config
from fastapi import Request
from pydantic import Field
from sqlalchemy import Connection, DateTime, MetaData, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Any constant works; it only has to be the same in every process of one deployment.
_MIGRATION_LOCK_ID = 0x70617472  # "patr"


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class WriteGate:
    """Lets an urgent write (an SOS) go ahead of the bulk writer (the position group commits)
    on SQLite, where one connection at a time may write and a waiting writer polls with sleeps
    that grow to 25-100 ms: under 2,000 reports/s the batches held the lock most of the time and
    an SOS insert waited up to 100 ms. With the gate, a batch does not start while an urgent
    write waits, and the urgent write starts when the running batch has committed, so it finds
    the lock free. PostgreSQL writers do not exclude each other: there the gate does nothing."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._urgent = 0
        self._no_urgent = asyncio.Event()
        self._no_urgent.set()
        self._bulk_idle = asyncio.Event()
        self._bulk_idle.set()

    @asynccontextmanager
    async def bulk(self) -> AsyncIterator[None]:
        """Around one bulk transaction: waits while urgent writes are pending."""
        if not self.enabled:
            yield
            return
        while self._urgent:
            await self._no_urgent.wait()
        self._bulk_idle.clear()
        try:
            yield
        finally:
            self._bulk_idle.set()

    @asynccontextmanager
    async def urgent(self) -> AsyncIterator[None]:
        """Around an urgent transaction's writes, up to its commit."""
        if not self.enabled:
            yield
            return
        self._urgent += 1
        self._no_urgent.clear()
        try:
            await self._bulk_idle.wait()
            yield
        finally:
            self._urgent -= 1
            if not self._urgent:
                self._no_urgent.set()


class Database:
    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo}
        if url.startswith("sqlite"):
            self._ensure_sqlite_dir(url)
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.write_gate = WriteGate(enabled=self.engine.dialect.name == "sqlite")

    @property
    def backend(self) -> str:
        return "postgresql" if self.engine.dialect.name == "postgresql" else "sqlite"

    @staticmethod
    def _ensure_sqlite_dir(url: str) -> None:
        path = url.split(":///", 1)[-1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)

    async def migrate(self) -> None:
        async with self.engine.begin() as conn:
            if self.backend == "postgresql":
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
                )
            await conn.run_sync(_upgrade_to_head)

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _upgrade_to_head(connection: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Request-scoped session; flows commit explicitly, anything uncommitted is rolled back."""
    db: Database = request.app.state.db
    async with db.sessions() as session:
        yield session


# A row id as clients may send it: positive and within the 32-bit INTEGER of every backend, so an
# absurd id is a validation error, not a database overflow.
MAX_ID = 2_147_483_647
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
