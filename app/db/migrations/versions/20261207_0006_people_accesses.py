"""People's accesses to the web pages (``person_access``), their sign-in sessions
(``web_session``), members' till cards (``member_card``) and merchants' names
(``merchant_profile``). Not books: never journalled. New tables only; nothing existing
changes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('member_card',
    sa.Column('card_number', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('household_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('issued_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.PrimaryKeyConstraint('card_number'),
    sa.UniqueConstraint('household_id')
    )
    op.create_table('merchant_profile',
    sa.Column('merchant_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.PrimaryKeyConstraint('merchant_id')
    )
    op.create_table('person_access',
    sa.Column('access_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('subject_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('login', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('activation_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('activation_expires_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('failed_signins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('request_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.PrimaryKeyConstraint('access_id'),
    sa.UniqueConstraint('activation_sha256'),
    sa.UniqueConstraint('login'),
    sa.UniqueConstraint('request_key')
    )
    with op.batch_alter_table('person_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_access_subject_id'), ['subject_id'], unique=False)

    op.create_table('web_session',
    sa.Column('session_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('access_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.PrimaryKeyConstraint('session_sha256')
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_access_id'), ['access_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_access_id'))

    op.drop_table('web_session')
    with op.batch_alter_table('person_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_access_subject_id'))

    op.drop_table('person_access')
    op.drop_table('merchant_profile')
    op.drop_table('member_card')
