"""Export archives expire: ``audit_job.expired_at``, when an export's archive was deleted
(app.services.auditor.jobs, after ``CAISSE_EXPORT_KEEP_DAYS``). Null for every existing row:
their archives are still where they were, and the next worker sweep applies the retention.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 13:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('audit_job', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('expired_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('audit_job', schema=None) as batch_op:
        batch_op.drop_column('expired_at')
