"""Audit jobs: verifications and exports run in the background (app.services.auditor.jobs).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 11:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('audit_job',
    sa.Column('job_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('heartbeat_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('artifact', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.PrimaryKeyConstraint('job_id')
    )
    with op.batch_alter_table('audit_job', schema=None) as batch_op:
        batch_op.create_index('ix_audit_job_kind_requested', ['kind', 'requested_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('audit_job', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_job_kind_requested')

    op.drop_table('audit_job')
