"""Three indexes of check-ins hold only the rows that have their value (an ID number, a
resident, the visit a household member came with): a phone's check-in has none of them, and
wrote all three.

Revision ID: 0015_partial_indexes
Revises: 0014_speed
Create Date: 2026-12-02 07:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_partial_indexes'
down_revision = '0014_speed'
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_checkins_commune_id_number", ["commune_id", "id_number"], "id_number"),
    ("ix_checkins_resident_id", ["resident_id"], "resident_id"),
    ("ix_checkins_companion_of_id", ["companion_of_id"], "companion_of_id"),
)


def upgrade():
    for name, columns, present in INDEXES:
        op.drop_index(name, table_name="checkins")
        where = sa.text(f"{present} IS NOT NULL")
        op.create_index(name, "checkins", columns, sqlite_where=where, postgresql_where=where)


def downgrade():
    for name, columns, _present in INDEXES:
        op.drop_index(name, table_name="checkins")
        op.create_index(name, "checkins", columns)
