"""The check-in's hot path: one index for a phone's visits (its duplicate lookup at a point,
its last declaration), in place of the index on the phone alone.

Revision ID: 0013_hot_path
Revises: 0012_cluster
Create Date: 2026-12-02 01:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0013_hot_path"
down_revision = "0012_cluster"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index("ix_checkins_device_point_time",
                              ["device_hash", "point_id", "checked_in_at"], unique=False)
        batch_op.drop_index(batch_op.f("ix_checkins_device_hash"))


def downgrade():
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkins_device_hash"), ["device_hash"],
                              unique=False)
        batch_op.drop_index("ix_checkins_device_point_time")
