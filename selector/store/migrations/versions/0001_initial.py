"""Workspace tables: blobs, models, scenarios, rounds, judgments, runs, what-ifs

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-27 14:04:42.530667
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_blobs'))
    )
    op.create_table('model_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['model_versions.id'], name=op.f('fk_model_versions_parent_id_model_versions')),
    sa.ForeignKeyConstraint(['sha256'], ['blobs.sha256'], name=op.f('fk_model_versions_sha256_blobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_versions')),
    sa.UniqueConstraint('name', 'version', name=op.f('uq_model_versions_name'))
    )
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_versions_name'), ['name'], unique=False)

    op.create_table('rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.Column('facilitator', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('adopted_model_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['adopted_model_version_id'], ['model_versions.id'], name=op.f('fk_rounds_adopted_model_version_id_model_versions')),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_versions.id'], name=op.f('fk_rounds_model_version_id_model_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rounds'))
    )
    op.create_table('scenario_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('model_version_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_versions.id'], name=op.f('fk_scenario_versions_model_version_id_model_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario_versions')),
    sa.UniqueConstraint('name', 'version', name=op.f('uq_scenario_versions_name'))
    )
    with op.batch_alter_table('scenario_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenario_versions_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index(batch_op.f('ix_scenario_versions_name'), ['name'], unique=False)

    op.create_table('judgment_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.Column('participant', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('pairs', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_versions.id'], name=op.f('fk_judgment_sets_model_version_id_model_versions')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_judgment_sets_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judgment_sets'))
    )
    with op.batch_alter_table('judgment_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_judgment_sets_participant'), ['participant'], unique=False)

    op.create_table('runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('scenario_version_id', sa.Integer(), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('objective', sa.Float(), nullable=True),
    sa.Column('bound', sa.Float(), nullable=True),
    sa.Column('gap', sa.Float(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('wall_seconds', sa.Float(), nullable=False),
    sa.Column('build_seconds', sa.Float(), nullable=False),
    sa.Column('package_version', sa.String(length=40), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['scenario_version_id'], ['scenario_versions.id'], name=op.f('fk_runs_scenario_version_id_scenario_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_runs'))
    )
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_runs_fingerprint'), ['fingerprint'], unique=False)

    op.create_table('scenario_tables',
    sa.Column('scenario_version_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['scenario_version_id'], ['scenario_versions.id'], name=op.f('fk_scenario_tables_scenario_version_id_scenario_versions')),
    sa.ForeignKeyConstraint(['sha256'], ['blobs.sha256'], name=op.f('fk_scenario_tables_sha256_blobs')),
    sa.PrimaryKeyConstraint('scenario_version_id', 'role', name=op.f('pk_scenario_tables'))
    )
    op.create_table('whatifs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('scenario_version_id', sa.Integer(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('judgments', sa.JSON(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_whatifs_run_id_runs')),
    sa.ForeignKeyConstraint(['scenario_version_id'], ['scenario_versions.id'], name=op.f('fk_whatifs_scenario_version_id_scenario_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_whatifs')),
    sa.UniqueConstraint('name', 'version', name=op.f('uq_whatifs_name'))
    )
    with op.batch_alter_table('whatifs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_whatifs_name'), ['name'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('whatifs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_whatifs_name'))

    op.drop_table('whatifs')
    op.drop_table('scenario_tables')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_runs_fingerprint'))

    op.drop_table('runs')
    with op.batch_alter_table('judgment_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_judgment_sets_participant'))

    op.drop_table('judgment_sets')
    with op.batch_alter_table('scenario_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenario_versions_name'))
        batch_op.drop_index(batch_op.f('ix_scenario_versions_fingerprint'))

    op.drop_table('scenario_versions')
    op.drop_table('rounds')
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_versions_name'))

    op.drop_table('model_versions')
    op.drop_table('blobs')
