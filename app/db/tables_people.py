"""People's accesses to the web pages, their sign-in sessions, members' till cards and
merchants' names.

These tables are not books: never journalled, never exported to auditors. The first three
are security state; ``merchant_profile`` is the name people read for a merchant (a shop's
sign is not money: the books know a merchant by its id only).
A ``person_access`` row may hold a person's chosen sign-in name and display name, so it is
personal data and erasable (its ``secret_hash`` is an Argon2id hash, never the secret).
A ``web_session`` row holds only the sha256 of the cookie's value, so a copy of the
database cannot be used to take over a session. Times are ISO-8601 UTC text (``...Z``).
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class PersonAccess(SQLModel, table=True):
    """One person's access to the pages, with one role (as an API token has).

    ``subject_id`` is the household of a member and the merchant of a merchant. Until the
    person activates it, ``login`` and ``secret_hash`` are empty and ``activation_sha256``
    holds the hash of the one-time code an operator handed over. ``request_key`` is the
    creating form's idempotency key: the same form posted twice opens one access."""

    __tablename__ = "person_access"

    access_id: str = Field(max_length=40, primary_key=True)
    role: str = Field(max_length=20)
    subject_id: str | None = Field(default=None, max_length=80, nullable=True, index=True)
    display_name: str = Field(default="", max_length=120)
    login: str | None = Field(default=None, max_length=80, nullable=True, unique=True)
    secret_hash: str | None = Field(default=None, max_length=200, nullable=True)
    activation_sha256: str | None = Field(default=None, max_length=64, nullable=True, unique=True)
    activation_expires_at: str | None = Field(default=None, max_length=40, nullable=True)
    failed_signins: int = 0
    locked_until: str | None = Field(default=None, max_length=40, nullable=True)
    request_key: str | None = Field(default=None, max_length=120, nullable=True, unique=True)
    created_at: str = Field(max_length=40)
    revoked_at: str | None = Field(default=None, max_length=40, nullable=True)


class WebSession(SQLModel, table=True):
    """A signed-in browser: the sha256 of its cookie, whose access, and until when (a
    fixed lifetime from sign-in; signing out deletes the row)."""

    __tablename__ = "web_session"

    session_sha256: str = Field(max_length=64, primary_key=True)
    access_id: str = Field(max_length=40, index=True)
    created_at: str = Field(max_length=40)
    expires_at: str = Field(max_length=40)


class MemberCard(SQLModel, table=True):
    """A household's till card: a 10-digit number (the last digit a Luhn check) that the
    merchant types or scans instead of the household's internal id."""

    __tablename__ = "member_card"

    card_number: str = Field(max_length=10, primary_key=True)
    household_id: str = Field(max_length=80, unique=True)
    issued_at: str = Field(max_length=40)


class MerchantProfile(SQLModel, table=True):
    """A merchant's name as people read it (``"Boulangerie du Centre-Ville — Épis d'or"``),
    and optionally what kind of shop it is (épicerie, producteur, marché, commerce...).
    Written by app.services.merchant_profiles; one row per merchant of the books."""

    __tablename__ = "merchant_profile"

    merchant_id: str = Field(max_length=80, primary_key=True)
    name: str = Field(max_length=120)
    kind: str | None = Field(default=None, max_length=40, nullable=True)
    updated_at: str = Field(max_length=40)
