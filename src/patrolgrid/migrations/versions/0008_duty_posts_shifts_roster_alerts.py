"""duty: posts, shifts, roster, alone alerts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 23:33:58.623545
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import patrolgrid.core.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "duty_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("squadron_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("starts", sa.String(length=5), nullable=False),
        sa.Column("ends", sa.String(length=5), nullable=False),
        sa.Column("colour", sa.String(length=7), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("coverage_required", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["squadron_id"],
            ["squadrons.id"],
            name=op.f("fk_duty_shifts_squadron_id_squadrons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_shifts")),
        sa.UniqueConstraint("squadron_id", "name", name="uq_duty_shifts_squadron_name"),
    )
    op.create_index(
        op.f("ix_duty_shifts_squadron_id"), "duty_shifts", ["squadron_id"], unique=False
    )

    op.create_table(
        "duty_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("started_at", patrolgrid.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", patrolgrid.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("nearest_lead_m", sa.Float(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("acknowledged_at", patrolgrid.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid_plan_grids.id"],
            name=op.f("fk_duty_alerts_grid_id_grid_plan_grids"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_duty_alerts_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_alerts")),
    )
    op.create_index(op.f("ix_duty_alerts_person_id"), "duty_alerts", ["person_id"], unique=False)
    op.create_index("ix_duty_alerts_started_at", "duty_alerts", ["started_at"], unique=False)
    op.create_index(
        "uq_duty_alerts_one_open",
        "duty_alerts",
        ["person_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )

    op.create_table(
        "duty_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("duty", sa.String(length=10), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", patrolgrid.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid_plan_grids.id"],
            name=op.f("fk_duty_posts_grid_id_grid_plan_grids"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_duty_posts_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["grid_plans.id"],
            name=op.f("fk_duty_posts_plan_id_grid_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_posts")),
        sa.UniqueConstraint("plan_id", "person_id", name="uq_duty_posts_plan_person"),
    )
    op.create_index(op.f("ix_duty_posts_grid_id"), "duty_posts", ["grid_id"], unique=False)
    op.create_index(op.f("ix_duty_posts_person_id"), "duty_posts", ["person_id"], unique=False)
    op.create_index(
        "uq_duty_posts_one_lead",
        "duty_posts",
        ["grid_id"],
        unique=True,
        sqlite_where=sa.text("role = 'lead'"),
        postgresql_where=sa.text("role = 'lead'"),
    )

    op.create_table(
        "duty_roster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("duty", sa.String(length=10), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", patrolgrid.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid_plan_grids.id"],
            name=op.f("fk_duty_roster_grid_id_grid_plan_grids"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_duty_roster_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["duty_shifts.id"],
            name=op.f("fk_duty_roster_shift_id_duty_shifts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_roster")),
        sa.UniqueConstraint(
            "person_id", "day", "shift_id", "grid_id", name="uq_duty_roster_person_day_shift_grid"
        ),
    )
    op.create_index("ix_duty_roster_day", "duty_roster", ["day"], unique=False)
    op.create_index("ix_duty_roster_grid_day", "duty_roster", ["grid_id", "day"], unique=False)
    op.create_index(op.f("ix_duty_roster_shift_id"), "duty_roster", ["shift_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_duty_roster_shift_id"), table_name="duty_roster")
    op.drop_index("ix_duty_roster_grid_day", table_name="duty_roster")
    op.drop_index("ix_duty_roster_day", table_name="duty_roster")

    op.drop_table("duty_roster")
    op.drop_index(
        "uq_duty_posts_one_lead",
        table_name="duty_posts",
        sqlite_where=sa.text("role = 'lead'"),
        postgresql_where=sa.text("role = 'lead'"),
    )
    op.drop_index(op.f("ix_duty_posts_person_id"), table_name="duty_posts")
    op.drop_index(op.f("ix_duty_posts_grid_id"), table_name="duty_posts")

    op.drop_table("duty_posts")
    op.drop_index(
        "uq_duty_alerts_one_open",
        table_name="duty_alerts",
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.drop_index("ix_duty_alerts_started_at", table_name="duty_alerts")
    op.drop_index(op.f("ix_duty_alerts_person_id"), table_name="duty_alerts")

    op.drop_table("duty_alerts")
    op.drop_index(op.f("ix_duty_shifts_squadron_id"), table_name="duty_shifts")

    op.drop_table("duty_shifts")
