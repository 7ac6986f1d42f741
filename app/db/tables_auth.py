"""API tokens: one role each, stored as the sha256 of the secret (never the secret).

``subject_id`` binds a ``member`` token to one household id and a ``merchant`` token to one
merchant id; it is empty for staff roles. Times are ISO-8601 UTC text (``...Z``), like the
other tables, so every backend stores the same value. ``revoked_at`` set = refused.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class ApiToken(SQLModel, table=True):
    """One bearer token. The secret is shown once at creation and never stored."""

    __tablename__ = "api_token"

    token_id: str = Field(max_length=40, primary_key=True)
    role: str = Field(max_length=20)
    subject_id: str | None = Field(default=None, max_length=80, nullable=True)
    secret_sha256: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=200)
    created_at: str = Field(max_length=40)
    revoked_at: str | None = Field(default=None, max_length=40, nullable=True)
