"""township set-up: the national immunization schedule by edition (2021 shipped here),
villagers' groups, 包村 staff, and a scope reset flag on devices

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 20:05:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# 国家免疫规划疫苗儿童免疫程序 (2021年版), written out here so the migration never changes
# when code does: (vaccine, name, dose, due age in months). A later edition is a later
# migration adding its own rows; a township adopts one at set-up (server/services/setup.py).
EDITION = "2021"
SCHEDULE_2021 = (
    ("HepB", "乙肝疫苗", 1, 0), ("HepB", "乙肝疫苗", 2, 1), ("HepB", "乙肝疫苗", 3, 6),
    ("BCG", "卡介苗", 1, 0),
    ("IPV", "脊灰灭活疫苗", 1, 2), ("IPV", "脊灰灭活疫苗", 2, 3),
    ("bOPV", "二价脊灰减毒活疫苗", 1, 4), ("bOPV", "二价脊灰减毒活疫苗", 2, 48),
    ("DTaP", "百白破疫苗", 1, 3), ("DTaP", "百白破疫苗", 2, 4), ("DTaP", "百白破疫苗", 3, 5),
    ("DTaP", "百白破疫苗", 4, 18),
    ("DT", "白破疫苗", 1, 72),
    ("MMR", "麻腮风疫苗", 1, 8), ("MMR", "麻腮风疫苗", 2, 18),
    ("JE", "乙脑减毒活疫苗", 1, 8), ("JE", "乙脑减毒活疫苗", 2, 24),
    ("MenA", "A群流脑多糖疫苗", 1, 6), ("MenA", "A群流脑多糖疫苗", 2, 9),
    ("MenAC", "A群C群流脑多糖疫苗", 1, 36), ("MenAC", "A群C群流脑多糖疫苗", 2, 72),
    ("HepA", "甲肝减毒活疫苗", 1, 18),
)


def upgrade():
    editions = op.create_table('vaccine_schedule_editions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition', sa.String(length=20), nullable=False),
    sa.Column('vaccine', sa.String(length=20), nullable=False),
    sa.Column('name_zh', sa.String(length=50), nullable=False),
    sa.Column('dose_no', sa.Integer(), nullable=False),
    sa.Column('due_age_months', sa.Integer(), nullable=False),
    sa.Column('timely_within_months', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccine_schedule_editions')),
    sa.UniqueConstraint('edition', 'vaccine', 'dose_no',
                        name=op.f('uq_vaccine_schedule_editions_edition'))
    )
    # Timely: within a month of falling due, the county's usual reading of 及时接种.
    op.bulk_insert(editions, [
        {'edition': EDITION, 'vaccine': v, 'name_zh': n, 'dose_no': d, 'due_age_months': m,
         'timely_within_months': 1} for v, n, d, m in SCHEDULE_2021])
    with op.batch_alter_table('vaccine_schedule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edition', sa.String(length=20), nullable=False,
                                      server_default=EDITION))
    op.create_table('village_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'],
                            name=op.f('fk_village_groups_village_id_villages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_village_groups')),
    sa.UniqueConstraint('village_id', 'name', name=op.f('uq_village_groups_village_id'))
    )
    with op.batch_alter_table('village_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_village_groups_village_id'), ['village_id'],
                              unique=False)
    op.create_table('liaison_villages',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_liaison_villages_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'],
                            name=op.f('fk_liaison_villages_village_id_villages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'village_id', name=op.f('pk_liaison_villages'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope_reset_pending', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('scope_reset_pending')
    op.drop_table('liaison_villages')
    with op.batch_alter_table('village_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_village_groups_village_id'))
    op.drop_table('village_groups')
    with op.batch_alter_table('vaccine_schedule', schema=None) as batch_op:
        batch_op.drop_column('edition')
    op.drop_table('vaccine_schedule_editions')
