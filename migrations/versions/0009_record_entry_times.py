"""record entry times on the server's clock (a phone's clock is not evidence)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 17:00:00

"""
import sqlalchemy as sa
from alembic import op

import core.models.base

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Records stored before this have no row: their entry time is their created_at.
    op.create_table('record_entries',
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('entered_at', core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('clock_skew_s', sa.BigInteger(), nullable=True),
    sa.Column('basis', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['service_records.id'],
                            name=op.f('fk_record_entries_record_id_service_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_record_entries'))
    )


def downgrade():
    op.drop_table('record_entries')
