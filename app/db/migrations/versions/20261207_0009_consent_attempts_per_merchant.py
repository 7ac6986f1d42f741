"""Consent attempts per household AND merchant: a merchant's wrong codes slow only that
merchant's attempts on that household (app.services.consent). The old per-household runs
are dropped: security state, not books; at worst a run of wrong codes starts afresh.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _create(with_merchant: bool) -> None:
    columns = [sa.Column('household_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False)]
    if with_merchant:
        columns.append(
            sa.Column('merchant_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False)
        )
    op.create_table(
        'consent_attempt',
        *columns,
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('locked_until', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.PrimaryKeyConstraint('household_id', 'merchant_id') if with_merchant
        else sa.PrimaryKeyConstraint('household_id'),
    )


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_table('consent_attempt')
    _create(with_merchant=True)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('consent_attempt')
    _create(with_merchant=False)
