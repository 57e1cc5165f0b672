"""Reports (BÁO CÁO) and their directives, the register of outgoing documents, the commune's
signing material (issue 6).

Revision ID: 0006_reports
Revises: 0005_residents
Create Date: 2026-11-22 05:03:08.241619

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_reports'
down_revision = '0005_residents'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index('ix_checkins_commune_time_venue_source',
                              ['commune_id', 'checked_in_at', 'venue_id', 'source'], unique=False)
    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'returned', 'signed', name='reportstatus', native_enum=False, length=16), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('introduction', sa.Text(), nullable=True),
    sa.Column('deployment', sa.Text(), nullable=True),
    sa.Column('results', sa.Text(), nullable=True),
    sa.Column('shortcomings', sa.Text(), nullable=True),
    sa.Column('direction', sa.Text(), nullable=True),
    sa.Column('proposals', sa.Text(), nullable=True),
    sa.Column('smartphones', sa.Integer(), nullable=True),
    sa.Column('app_installs', sa.Integer(), nullable=True),
    sa.Column('recipients', sa.Text(), nullable=True),
    sa.Column('signer_kind', sa.Enum('chairman', 'vice_chairman', name='signerkind', native_enum=False, length=16), nullable=False),
    sa.Column('signer_name', sa.String(length=120), nullable=False),
    sa.Column('return_comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('signed_at', sa.DateTime(), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('symbol', sa.String(length=40), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('figures', sa.JSON(), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('verify_token', sa.String(length=64), nullable=True),
    sa.Column('signed_pdf', sa.LargeBinary(), nullable=True),
    sa.Column('signed_pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('signature_info', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_reports_commune_id_communes')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reports_created_by_id_users')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_reports_signed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('verify_token', name=op.f('uq_reports_verify_token'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_pdf_sha256'), ['pdf_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_signed_pdf_sha256'), ['signed_pdf_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_status'), ['status'], unique=False)

    op.create_table('signing_materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('pkcs12_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('passphrase_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('certificate_subject', sa.String(length=300), nullable=True),
    sa.Column('certificate_not_after', sa.DateTime(), nullable=True),
    sa.Column('signature_png', sa.LargeBinary(), nullable=True),
    sa.Column('seal_png', sa.LargeBinary(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_signing_materials_commune_id_communes')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_signing_materials_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_materials')),
    sa.UniqueConstraint('commune_id', name=op.f('uq_signing_materials_commune_id'))
    )
    op.create_table('outgoing_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('symbol', sa.String(length=40), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['commune_id'], ['communes.id'], name=op.f('fk_outgoing_documents_commune_id_communes')),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_outgoing_documents_report_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_documents')),
    sa.UniqueConstraint('commune_id', 'year', 'symbol', 'number', name=op.f('uq_outgoing_documents_commune_id_year_symbol_number'))
    )
    with op.batch_alter_table('outgoing_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_documents_commune_id'), ['commune_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_documents_report_id'), ['report_id'], unique=False)

    op.create_table('report_directives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('number_date', sa.String(length=120), nullable=False),
    sa.Column('issuing_unit', sa.String(length=200), nullable=False),
    sa.Column('recipients', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_directives_report_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_directives'))
    )
    with op.batch_alter_table('report_directives', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_directives_report_id'), ['report_id'], unique=False)



def downgrade():
    with op.batch_alter_table('report_directives', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_directives_report_id'))

    op.drop_table('report_directives')
    with op.batch_alter_table('outgoing_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_documents_report_id'))
        batch_op.drop_index(batch_op.f('ix_outgoing_documents_commune_id'))

    op.drop_table('outgoing_documents')
    op.drop_table('signing_materials')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_status'))
        batch_op.drop_index(batch_op.f('ix_reports_signed_pdf_sha256'))
        batch_op.drop_index(batch_op.f('ix_reports_pdf_sha256'))
        batch_op.drop_index(batch_op.f('ix_reports_commune_id'))

    op.drop_table('reports')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('ix_checkins_commune_time_venue_source')
