"""A sealed month's Merkle root over its statements (RFC 9162 hashing) and the number of
statements it covers, kept beside the checkpoint they are signed with. Nullable: months
sealed before this revision have none and their signatures stay valid.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 11:45:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('checkpoint') as batch:
        batch.add_column(sa.Column('month_root', sqlmodel.sql.sqltypes.AutoString(length=64),
                                   nullable=True))
        batch.add_column(sa.Column('month_statements', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('checkpoint') as batch:
        batch.drop_column('month_statements')
        batch.drop_column('month_root')
