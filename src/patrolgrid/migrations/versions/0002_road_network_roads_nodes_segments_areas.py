"""road network: roads, nodes, segments, areas

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 22:37:05.421516
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import patrolgrid.core.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("admin_level", sa.Integer(), nullable=True),
        sa.Column("geometry", sa.JSON(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_areas")),
        sa.UniqueConstraint("source_id", name=op.f("uq_areas_source_id")),
    )
    op.create_table(
        "road_network",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("generated", sa.Boolean(), nullable=False),
        sa.Column("imported_at", patrolgrid.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_network")),
    )
    op.create_table(
        "road_nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_nodes")),
        sa.UniqueConstraint("source_id", name=op.f("uq_road_nodes_source_id")),
    )
    op.create_table(
        "roads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("highway", sa.String(length=32), nullable=False),
        sa.Column("oneway", sa.String(length=10), nullable=False),
        sa.Column("maxspeed_kmh", sa.Float(), nullable=True),
        sa.Column("lanes", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roads")),
        sa.UniqueConstraint("source_id", name=op.f("uq_roads_source_id")),
    )
    with op.batch_alter_table("roads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roads_name"), ["name"], unique=False)

    op.create_table(
        "road_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("road_id", sa.Integer(), nullable=False),
        sa.Column("from_node_id", sa.Integer(), nullable=False),
        sa.Column("to_node_id", sa.Integer(), nullable=False),
        sa.Column("coords", sa.JSON(), nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_node_id"],
            ["road_nodes.id"],
            name=op.f("fk_road_segments_from_node_id_road_nodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["road_id"],
            ["roads.id"],
            name=op.f("fk_road_segments_road_id_roads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_node_id"],
            ["road_nodes.id"],
            name=op.f("fk_road_segments_to_node_id_road_nodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_segments")),
    )
    with op.batch_alter_table("road_segments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_road_segments_bbox", ["min_lon", "max_lon", "min_lat", "max_lat"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_road_segments_road_id"), ["road_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("road_segments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_road_segments_road_id"))
        batch_op.drop_index("ix_road_segments_bbox")

    op.drop_table("road_segments")
    with op.batch_alter_table("roads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roads_name"))

    op.drop_table("roads")
    op.drop_table("road_nodes")
    op.drop_table("road_network")
    op.drop_table("areas")
