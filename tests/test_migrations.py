"""The migrations build exactly the schema the models describe, on both databases: a model
change without its migration (or the reverse) fails here, not in production."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from patrolgrid import models
from patrolgrid.core.db import Database

# Kept by migrations on PostgreSQL only (PostGIS), outside the portable models on purpose.
POSTGIS_ONLY = {("positions", "geom"), ("positions", "ix_positions_geom")}


def _expected(diff: Any) -> bool:
    kind = diff[0] if isinstance(diff, tuple) else None
    if kind == "remove_table":
        return bool(diff[1].name == "spatial_ref_sys")  # PostGIS's own table
    if kind == "remove_column":
        return (diff[2], diff[3].name) in POSTGIS_ONLY
    if kind == "remove_index":
        return (diff[1].table.name, diff[1].name) in POSTGIS_ONLY
    return False


async def test_migrations_match_the_models(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.migrate()
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), models.metadata)
            )
    finally:
        await db.dispose()
    assert [d for d in diff if not _expected(d)] == []
