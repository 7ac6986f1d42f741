"""Purchase ids per merchant: the purchase table's primary key becomes (merchant_id, purchase_id).

A purchase id is the merchant's own (a till's receipt number): two merchants may use the same
one. Every stored row keeps its values (ids were globally unique until now, so they are unique
per merchant too). PostgreSQL swaps the key in place; SQLite cannot alter a primary key, so
batch mode copies the table into one declared with the new key (``copy_from``: the reflected
table's column flags would contradict the new key).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _purchase(primary_key: list[str]) -> sa.Table:
    """The purchase table as revision 0001 made it, with ``primary_key``."""
    return sa.Table('purchase', sa.MetaData(),
    sa.Column('purchase_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('household_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('merchant_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False, comment='price of the purchase, in euro cents (integer)'),
    sa.Column('credit_cents', sa.BigInteger(), nullable=False, comment="part paid from the member's credit, in euro cents (integer)"),
    sa.Column('refunded_cents', sa.BigInteger(), nullable=False, comment='credit part refunded so far, in euro cents (integer)'),
    sa.Column('lots_expire', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True),
    sa.Column('refund_ids', sa.Text(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint(*primary_key),
    sa.Index('ix_purchase_household', 'household_id', 'seq'),
    sa.Index('ix_purchase_merchant', 'merchant_id', 'seq'),
    )


def _primary_key(columns: list[str]) -> None:
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table(
            'purchase', schema=None, recreate='always', copy_from=_purchase(columns)
        ):
            pass
        return
    with op.batch_alter_table('purchase', schema=None) as batch_op:
        batch_op.drop_constraint('purchase_pkey', type_='primary')
        batch_op.create_primary_key('purchase_pkey', columns)


def upgrade() -> None:
    """Upgrade schema."""
    _primary_key(['merchant_id', 'purchase_id'])


def downgrade() -> None:
    """Downgrade schema (refused by the database if two merchants share a purchase id)."""
    _primary_key(['purchase_id'])
