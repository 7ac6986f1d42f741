"""Cheaper month runs (issue 11): the index of reversals is partial, and the index of
postings by account carries the amount.

- ``ix_ledger_entry_reverses`` only on ``reverses IS NOT NULL``: every entry but a reversal
  has NULL there, and a 100,000-household month run inserted 200,000 NULL keys into it.
  A lookup ``reverses = x`` implies ``reverses IS NOT NULL``, so SQLite and PostgreSQL still
  use the partial index for it.
- ``ix_posting_account_seq`` on ``(account, seq, amount_cents)``: summing an account's
  postings (the per-command invariant check re-sums every touched member account) reads the
  index alone instead of one table row per posting.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 17:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_REVERSALS_ONLY = sa.text('reverses IS NOT NULL')


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_index('ix_ledger_entry_reverses', table_name='ledger_entry')
    op.create_index(
        'ix_ledger_entry_reverses',
        'ledger_entry',
        ['reverses'],
        unique=False,
        sqlite_where=_REVERSALS_ONLY,
        postgresql_where=_REVERSALS_ONLY,
    )
    op.drop_index('ix_posting_account_seq', table_name='posting')
    op.create_index(
        'ix_posting_account_seq', 'posting', ['account', 'seq', 'amount_cents'], unique=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_posting_account_seq', table_name='posting')
    op.create_index('ix_posting_account_seq', 'posting', ['account', 'seq'], unique=False)
    op.drop_index('ix_ledger_entry_reverses', table_name='ledger_entry')
    op.create_index('ix_ledger_entry_reverses', 'ledger_entry', ['reverses'], unique=False)
