"""Posters: withdrawn QR tokens; the phone and the merge count of self-scan check-ins.

Revision ID: 0003_posters
Revises: 0001_foundation
Create Date: 2026-11-22 04:54:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_posters"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "retired_point_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("poster_version", sa.Integer(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=False),
        sa.Column("retired_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["point_id"], ["checkin_points.id"],
                                name=op.f("fk_retired_point_tokens_point_id_checkin_points"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["retired_by_id"], ["users.id"],
                                name=op.f("fk_retired_point_tokens_retired_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retired_point_tokens")),
        sa.UniqueConstraint("token", name=op.f("uq_retired_point_tokens_token")),
    )
    with op.batch_alter_table("retired_point_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retired_point_tokens_point_id"), ["point_id"],
                              unique=False)

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("merge_count", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.create_index(batch_op.f("ix_checkins_device_hash"), ["device_hash"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkins_device_hash"))
        batch_op.drop_column("merge_count")
        batch_op.drop_column("device_hash")

    with op.batch_alter_table("retired_point_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retired_point_tokens_point_id"))
    op.drop_table("retired_point_tokens")
