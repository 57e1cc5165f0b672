"""Receipts of confirmed spreadsheet imports (a confirm never runs twice).

Revision ID: 0011_friction
Revises: 0010_door
Create Date: 2026-11-24 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0011_friction"
down_revision = "0010_door"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["communes.id"],
                                name=op.f("fk_import_receipts_commune_id_communes")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_import_receipts_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_receipts")),
        sa.UniqueConstraint("token", name=op.f("uq_import_receipts_token")),
    )
    with op.batch_alter_table("import_receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_receipts_commune_id"), ["commune_id"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("import_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_receipts_commune_id"))
    op.drop_table("import_receipts")
