"""incidents: incidents, assignments, timeline events, photos

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import patrolgrid.core.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Time = patrolgrid.core.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("road_name", sa.String(length=200), nullable=True),
        sa.Column("road_segment_id", sa.Integer(), nullable=True),
        sa.Column("road_distance_m", sa.Float(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("caller_name", sa.String(length=50), nullable=False),
        sa.Column("caller_phone", sa.String(length=20), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=True),
        sa.Column("squadron_id", sa.Integer(), nullable=True),
        sa.Column("reporter_person_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", Time(timezone=True), nullable=False),
        sa.Column("dispatched_at", Time(timezone=True), nullable=True),
        sa.Column("accepted_at", Time(timezone=True), nullable=True),
        sa.Column("arrived_at", Time(timezone=True), nullable=True),
        sa.Column("handled_at", Time(timezone=True), nullable=True),
        sa.Column("closed_at", Time(timezone=True), nullable=True),
        sa.Column("cancelled_at", Time(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("updated_at", Time(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_incidents_camera_id_cameras"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["squadron_id"],
            ["squadrons.id"],
            name=op.f("fk_incidents_squadron_id_squadrons"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_person_id"],
            ["people.id"],
            name=op.f("fk_incidents_reporter_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("code", name=op.f("uq_incidents_code")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_squadron_id"), ["squadron_id"], unique=False)

    op.create_table(
        "incident_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("support", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("dispatched_by", sa.String(length=64), nullable=False),
        sa.Column("dispatched_at", Time(timezone=True), nullable=False),
        sa.Column("accept_due_at", Time(timezone=True), nullable=False),
        sa.Column("timeout_alerted_at", Time(timezone=True), nullable=True),
        sa.Column("eta_seconds", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("accepted_at", Time(timezone=True), nullable=True),
        sa.Column("en_route_at", Time(timezone=True), nullable=True),
        sa.Column("arrived_at", Time(timezone=True), nullable=True),
        sa.Column("arrived_how", sa.String(length=8), nullable=True),
        sa.Column("handled_at", Time(timezone=True), nullable=True),
        sa.Column("ended_at", Time(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=500), nullable=False),
        sa.Column("status_before", sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_assignments_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_incident_assignments_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_assignments")),
    )
    with op.batch_alter_table("incident_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_assignments_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index("ix_assignments_person_status", ["person_id", "status"], unique=False)
        batch_op.create_index(
            "ix_assignments_status_due", ["status", "accept_due_at"], unique=False
        )

    op.create_table(
        "incident_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", Time(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("person_name", sa.String(length=50), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_events_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_events")),
    )
    with op.batch_alter_table("incident_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_events_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "incident_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", Time(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_photos_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_photos")),
    )
    with op.batch_alter_table("incident_photos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_photos_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("incident_photos")
    op.drop_table("incident_events")
    op.drop_table("incident_assignments")
    op.drop_table("incidents")
