"""An index on ledger_entry (kind, period): the indicators (app.services.research) find a
range's payments, expiries, fundings, refunds and the other entries the month runs did not
post by their kind, instead of reading every entry of the range (2.4 million a year at
100,000 households, nearly all of them the runs' contributions and credits).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 14:55:00

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index('ix_ledger_entry_kind_period', 'ledger_entry', ['kind', 'period'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_ledger_entry_kind_period', table_name='ledger_entry')
