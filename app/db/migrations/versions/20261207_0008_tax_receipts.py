"""Tax receipts (Cerfa 11580): the receipts issued (gapless numbers per year), the donors'
identities (personal data, erasable) and the fund's settings as JSON documents.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'tax_receipt',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('donor_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('basis', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('amount_cents', sa.BigInteger(), nullable=False,
                  comment='amount given, receipted, in euro cents (integer)'),
        sa.Column('paid_on', sa.Text(), nullable=False),
        sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('issued_on', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('printed', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('year', 'number'),
        sa.UniqueConstraint('year', 'donor_id', 'basis'),
    )
    op.create_index(op.f('ix_tax_receipt_donor_id'), 'tax_receipt', ['donor_id'], unique=False)
    op.create_table(
        'tax_donor',
        sa.Column('donor_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column('household_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('salt', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint('donor_id'),
    )
    op.create_index(op.f('ix_tax_donor_household_id'), 'tax_donor', ['household_id'],
                    unique=False)
    op.create_table(
        'fund_setting',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('fund_setting')
    op.drop_index(op.f('ix_tax_donor_household_id'), table_name='tax_donor')
    op.drop_table('tax_donor')
    op.drop_index(op.f('ix_tax_receipt_donor_id'), table_name='tax_receipt')
    op.drop_table('tax_receipt')
