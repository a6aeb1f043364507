"""What-if studies and their results, saved as they arrive (to resume a long run)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 03:05:59.120812
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('studies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('package_version', sa.String(length=40), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_studies')),
    sa.UniqueConstraint('key', name=op.f('uq_studies_key'))
    )
    op.create_table('study_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('task', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['study_id'], ['studies.id'], name=op.f('fk_study_results_study_id_studies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_results'))
    )
    with op.batch_alter_table('study_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_results_study_id'), ['study_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('study_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_results_study_id'))

    op.drop_table('study_results')
    op.drop_table('studies')
