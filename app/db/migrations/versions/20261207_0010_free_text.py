"""Free text out of the journal: references and reasons live in ``free_text`` (erasable),
the journal keeps a salted commitment (app.services.free_text).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 12:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'free_text',
        sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('salt', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('seq', 'field'),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('free_text')
