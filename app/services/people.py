"""People's accesses to the web pages: creation by an operator, activation, sign-in with a
bounded lockout, sessions, resets; members' till cards, and a member's own change of their
till consent code once their sign-in secret is checked (``change_consent_code``).

People never handle API tokens. An operator creates an access (one role, and for a member
the household, for a merchant the merchant) and hands the person a one-time activation
code; the person chooses a sign-in name and a secret, then signs in and gets a session
cookie. Guarantees:

- secrets are stored as Argon2id hashes (memory-hard) of an HMAC of the secret under the
  server's key (app.services.consent.secret_key): a stolen database alone does not allow
  guessing even a short PIN offline;
- activation codes and session cookies are 60+ random bits resp. 256 random bits, stored
  as their sha256 only; an activation code works once and for ``ACTIVATION_DAYS`` days;
- sign-in failures are counted per access; from the ``FREE_FAILURES``-th wrong secret in a
  row the access is locked for a while that doubles with each further failure, at most
  ``MAX_LOCK_SECONDS``. The lock always ends by itself (nobody can lock a person out for
  good) and an operator's reset ends it at once. A wrong sign-in name and a wrong secret
  get the same answer, in about the same time;
- a session lasts ``SESSION_HOURS`` from sign-in; signing in always opens a NEW session
  (a cookie planted before sign-in is never promoted: no session fixation); a reset or a
  revocation ends the access's sessions;
- nothing here is journalled: accesses are security state, not books.

Services only flush; the caller's unit of work commits.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.db import tables as t
from app.db.tables_people import MemberCard, PersonAccess, WebSession
from app.engine.problems import Problem
from app.services import errors as svc
from app.services.backoff import Backoff
from app.services.consent import change_code, secret_key
from app.services.tokens import Principal, Role

ACTIVATION_DAYS = 14
SESSION_HOURS = 12
FREE_FAILURES = 4  # the 5th wrong secret in a row locks
FIRST_LOCK_SECONDS = 60
MAX_LOCK_SECONDS = 15 * 60
SECRET_LENGTHS = (6, 128)
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,39}$")
# No 0/O, 1/I/L, 5/S, 8/B, 2/Z: a code read aloud or copied from paper is typed right.
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CODE_LENGTH = 12

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = _hasher.hash("caisse: not a secret anyone has")


class SignInRefused(svc.Unauthenticated):
    """Wrong sign-in name or secret (the same answer for both)."""

    code = "sign-in-refused"
    title = "Sign-in refused"


class SignInLocked(svc.Conflict):
    """Too many wrong secrets in a row: sign-ins wait until ``locked_until``."""

    code = "sign-in-locked"
    title = "Too many wrong secrets"


@dataclass(frozen=True, slots=True)
class Person:
    """A signed-in person: their access, role, display name and, for a member or a
    merchant, whose books they may see."""

    access_id: str
    role: Role
    display_name: str
    subject_id: str | None

    @property
    def principal(self) -> Principal:
        """The same principal an API token of this role would be (the services' checks of
        who may see what are shared); the journal's actor is ``role:access_id``."""
        return Principal(
            token_id=self.access_id,
            role=self.role,
            household_id=self.subject_id if self.role is Role.MEMBER else None,
            merchant_id=self.subject_id if self.role is Role.MERCHANT else None,
        )


@dataclass(frozen=True, slots=True)
class NewAccess:
    """An access just created or reset, with its one-time activation code (shown once)."""

    access_id: str
    activation_code: str
    expires_at: str


def moment(when: datetime) -> str:
    """The stored text of a time (UTC, seconds, ``Z``), ordered like the time itself."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _peppered(secret: str) -> bytes:
    return hmac.new(secret_key(), b"person-secret\x00" + secret.encode(), hashlib.sha256).digest()


def normalise_code(code: str) -> str:
    """An activation code as typed (any case, spaces or dashes) -> its canonical form."""
    return re.sub(r"[\s-]", "", code).upper()


def format_code(code: str) -> str:
    """``ABCDEFGHJKMN`` -> ``ABCD-EFGH-JKMN`` (easier to read aloud and to copy)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _validate_subject(session: Session, role: Role, subject_id: str | None) -> str | None:
    if role is Role.MEMBER:
        row = session.get(t.Household, subject_id or "")
        if row is None or row.erased:
            raise svc.invalid("household_id", f"no enrolled household has the id {subject_id!r}")
        return subject_id
    if role is Role.MERCHANT:
        if subject_id is None or session.get(t.Merchant, subject_id) is None:
            raise svc.invalid("merchant_id", f"no merchant has the id {subject_id!r}")
        return subject_id
    if subject_id:
        raise svc.invalid("subject_id", f"a {role.value} access belongs to nobody's books")
    return None


def create_access(
    session: Session,
    role: Role,
    subject_id: str | None,
    display_name: str,
    now: datetime,
    *,
    request_key: str | None = None,
) -> NewAccess:
    """A new access for one person, not yet activated, with its one-time code. A member's
    household gets its till card at the same time (``issue_card``).

    ``request_key`` (the creating form's idempotency key): the same key again with the same
    role, subject and name is the same access, given a fresh code (only the code shown last
    works: the first is never stored, so it cannot be shown again); with anything else,
    ``IdempotencyConflict``; once the access is activated, ``InvalidRequest``."""
    subject = _validate_subject(session, role, subject_id)
    name = display_name.strip()
    if not name or len(name) > 120:
        raise svc.invalid("display_name", "give the person's name, 1 to 120 characters")
    if request_key is not None:
        replayed = _replayed_access(session, request_key, role, subject, name)
        if replayed is not None:
            return reset_access(session, replayed.access_id, now)
    row = PersonAccess(
        access_id=f"acc_{secrets.token_hex(8)}",
        role=role.value,
        subject_id=subject,
        display_name=name,
        request_key=request_key,
        created_at=moment(now),
    )
    code = _new_activation(row, now)
    session.add(row)
    if role is Role.MEMBER and subject is not None:
        issue_card(session, subject, now)
    session.flush()
    return NewAccess(row.access_id, code, row.activation_expires_at or "")


def _replayed_access(
    session: Session, request_key: str, role: Role, subject: str | None, name: str
) -> PersonAccess | None:
    row = session.exec(
        select(PersonAccess).where(col(PersonAccess.request_key) == request_key)
    ).first()
    if row is None:
        return None
    if (row.role, row.subject_id, row.display_name) != (role.value, subject, name):
        raise svc.IdempotencyConflict(
            (Problem("request_key", "this form was already used for another access"),),
            "This form was already used to open another access; reload the page.",
        )
    if row.secret_hash is not None or row.revoked_at is not None:
        raise svc.invalid("request_key", "this access was already opened by its person")
    return row


def _new_activation(row: PersonAccess, now: datetime) -> str:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    row.activation_sha256 = _sha256(code)
    row.activation_expires_at = moment(now + timedelta(days=ACTIVATION_DAYS))
    return format_code(code)


def access(session: Session, access_id: str) -> PersonAccess:
    """One access (``NotFound`` when unknown)."""
    row = session.get(PersonAccess, access_id)
    if row is None:
        raise svc.not_found("access", access_id)
    return row


def list_accesses(session: Session) -> list[PersonAccess]:
    """Every access, newest first."""
    statement = select(PersonAccess).order_by(
        col(PersonAccess.created_at).desc(), col(PersonAccess.access_id)
    )
    return list(session.exec(statement))


def reset_access(session: Session, access_id: str, now: datetime) -> NewAccess:
    """A new activation code for a person who forgot their secret or is locked out: the old
    secret, sign-in name, lock and sessions are gone; the person activates again."""
    row = access(session, access_id)
    if row.revoked_at is not None:
        raise svc.invalid("access_id", "this access was revoked; create a new one")
    row.secret_hash = None
    row.login = None
    row.failed_signins = 0
    row.locked_until = None
    code = _new_activation(row, now)
    session.add(row)
    end_sessions(session, access_id)
    session.flush()
    return NewAccess(row.access_id, code, row.activation_expires_at or "")


def revoke_access(session: Session, access_id: str, now: datetime) -> None:
    """The person can no longer sign in; their sessions end now."""
    row = access(session, access_id)
    if row.revoked_at is None:
        row.revoked_at = moment(now)
        row.activation_sha256 = None
        session.add(row)
    end_sessions(session, access_id)
    session.flush()


def _pending(session: Session, code: str, now: datetime) -> PersonAccess:
    canonical = normalise_code(code)
    row = session.exec(
        select(PersonAccess).where(col(PersonAccess.activation_sha256) == _sha256(canonical))
    ).first()
    if row is None or row.revoked_at is not None or (row.activation_expires_at or "") < moment(now):
        raise svc.InvalidRequest(
            (Problem("code", "this activation code is unknown, already used or expired"),),
            "The activation code is unknown, already used or expired: ask the fund's office"
            " for a new one.",
        )
    return row


def pending_activation(session: Session, code: str, now: datetime) -> PersonAccess:
    """The access an activation code opens (``InvalidRequest`` when unknown, used or past)."""
    return _pending(session, code, now)


def validate_login(login: str) -> str:
    """A sign-in name: 3 to 40 lower-case letters, digits, ``.``, ``_``, ``-`` or ``@``."""
    text = login.strip().lower()
    if not LOGIN_PATTERN.match(text):
        raise svc.invalid(
            "login",
            "3 to 40 characters: letters without accents, digits, dot, dash, underscore or @,"
            " starting with a letter or a digit",
        )
    return text


def validate_secret(secret: str) -> str:
    """A secret: 6 to 128 characters (a 6-digit PIN is enough: sign-ins are bounded)."""
    low, high = SECRET_LENGTHS
    if not low <= len(secret) <= high:
        raise svc.invalid("secret", f"the secret needs {low} to {high} characters")
    return secret


def activate(session: Session, code: str, login: str, secret: str, now: datetime) -> Person:
    """Set the person's sign-in name and secret with their one-time code (which then stops
    working). Every problem of the three fields is reported at once."""
    problems: list[Problem] = []
    row: PersonAccess | None = None
    chosen = ""
    try:
        row = _pending(session, code, now)
    except svc.InvalidRequest as error:
        problems.extend(error.problems)
    for check, value, field in (
        (validate_login, login, "login"),
        (validate_secret, secret, "secret"),
    ):
        try:
            result = check(value)
            if field == "login":
                chosen = result
        except svc.InvalidRequest as error:
            problems.extend(error.problems)
    if chosen and not any(p.path == "login" for p in problems):
        taken = session.exec(select(PersonAccess).where(col(PersonAccess.login) == chosen)).first()
        if taken is not None and (row is None or taken.access_id != row.access_id):
            problems.append(Problem("login", "this sign-in name is taken; choose another"))
    if problems or row is None:
        raise svc.InvalidRequest(tuple(problems), "The activation could not be completed.")
    row.login = chosen
    row.secret_hash = _hasher.hash(_peppered(secret))
    row.activation_sha256 = None
    row.activation_expires_at = None
    row.failed_signins = 0
    row.locked_until = None
    session.add(row)
    session.flush()
    return person_of(row)


def person_of(row: PersonAccess) -> Person:
    return Person(row.access_id, Role(row.role), row.display_name, row.subject_id)


SIGN_IN_BACKOFF = Backoff(FREE_FAILURES, FIRST_LOCK_SECONDS, MAX_LOCK_SECONDS)


def _lock_seconds(failures: int) -> int:
    """Seconds of lock after ``failures`` wrong secrets in a row (0 below the threshold)."""
    return SIGN_IN_BACKOFF.seconds(failures)


def sign_in(
    session: Session, login: str, secret: str, now: datetime
) -> Person | SignInRefused | SignInLocked:
    """The person whose sign-in name and secret these are, else the refusal:
    ``SignInRefused`` for a wrong name or secret (one answer for both), ``SignInLocked``
    while the access is locked, even with the right secret. The refusal is RETURNED, not
    raised, so that the caller's unit of work commits the failure count with it."""
    name = login.strip().lower()
    row = session.exec(select(PersonAccess).where(col(PersonAccess.login) == name)).first()
    if row is None or row.secret_hash is None or row.revoked_at is not None:
        _verify(_DUMMY_HASH, secret)  # the same time as a real check: names are not probed
        return _refused()
    now_text = moment(now)
    if row.locked_until is not None and row.locked_until > now_text:
        return _locked(row.locked_until)
    if _verify(row.secret_hash, secret):
        row.failed_signins = 0
        row.locked_until = None
        session.add(row)
        session.flush()
        return person_of(row)
    row.failed_signins += 1
    lock = _lock_seconds(row.failed_signins)
    if lock:
        row.locked_until = moment(now + timedelta(seconds=lock))
    session.add(row)
    session.flush()
    return _locked(row.locked_until or now_text) if lock else _refused()


def _verify(stored: str, secret: str) -> bool:
    try:
        return _hasher.verify(stored, _peppered(secret))
    except (VerificationError, InvalidHashError):
        return False


def _refused() -> SignInRefused:
    return SignInRefused(
        (Problem("secret", "the sign-in name or the secret is wrong"),),
        "The sign-in name or the secret is wrong.",
    )


def _locked(until: str) -> SignInLocked:
    return SignInLocked(
        (Problem("secret", f"too many wrong secrets; try again after {until}"),),
        f"Too many wrong secrets in a row: sign-in waits until {until} (UTC).",
        extras={"locked_until": until},
    )


def open_session(session: Session, person: Person, now: datetime) -> str:
    """A new session for ``person``; returns the cookie's value (never stored)."""
    cookie = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            session_sha256=_sha256(cookie),
            access_id=person.access_id,
            created_at=moment(now),
            expires_at=moment(now + timedelta(hours=SESSION_HOURS)),
        )
    )
    session.flush()
    return cookie


def session_person(session: Session, cookie: str, now: datetime) -> Person | None:
    """The person signed in with this cookie, or None (unknown, expired or revoked)."""
    if not cookie or len(cookie) > 100:
        return None
    row = session.get(WebSession, _sha256(cookie))
    if row is None or row.expires_at <= moment(now):
        return None
    owner = session.get(PersonAccess, row.access_id)
    if owner is None or owner.revoked_at is not None or owner.secret_hash is None:
        return None
    return person_of(owner)


def close_session(session: Session, cookie: str) -> None:
    """Sign out: the cookie stops working at once."""
    session.execute(delete(WebSession).where(col(WebSession.session_sha256) == _sha256(cookie)))
    session.flush()


def end_sessions(session: Session, access_id: str) -> None:
    session.execute(delete(WebSession).where(col(WebSession.access_id) == access_id))


def session_token(cookie: str) -> str:
    """The anti-forgery token of a session or anonymous cookie: an HMAC of it under the
    server's key, so only a page this server rendered for this browser carries it."""
    return hmac.new(secret_key(), b"csrf\x00" + cookie.encode(), hashlib.sha256).hexdigest()


def token_matches(cookie: str, token: str) -> bool:
    return bool(cookie) and hmac.compare_digest(session_token(cookie), token)


# --- Members' till cards -------------------------------------------------------------------


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of ``digits`` (catches one wrong digit and most swaps)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def card_is_well_formed(number: str) -> bool:
    return (
        len(number) == 10
        and number.isascii()
        and number.isdigit()
        and luhn_digit(number[:9]) == number[9]
    )


def issue_card(session: Session, household_id: str, now: datetime) -> str:
    """The household's card number, issued now if it has none yet."""
    existing = session.exec(
        select(MemberCard).where(col(MemberCard.household_id) == household_id)
    ).first()
    if existing is not None:
        return existing.card_number
    while True:
        body = str(100_000_000 + secrets.randbelow(900_000_000))
        number = body + luhn_digit(body)
        if session.get(MemberCard, number) is None:
            break
    session.add(MemberCard(card_number=number, household_id=household_id, issued_at=moment(now)))
    session.flush()
    return number


def card_of(session: Session, household_id: str) -> str | None:
    row = session.exec(
        select(MemberCard).where(col(MemberCard.household_id) == household_id)
    ).first()
    return None if row is None else row.card_number


def household_of_card(session: Session, card_number: str) -> str:
    """The household a card belongs to. ``InvalidRequest`` for a mistyped number (the check
    digit), ``NotFound`` for a number no card has or whose household was erased."""
    number = re.sub(r"[\s-]", "", card_number)
    if not card_is_well_formed(number):
        raise svc.invalid("card_number", "a card number has 10 digits; check the number typed")
    row = session.get(MemberCard, number)
    household = None if row is None else session.get(t.Household, row.household_id)
    if row is None or household is None or household.erased:
        raise svc.not_found("card", number)
    return row.household_id


# --- A member's own till consent code ---------------------------------------------------

# What a till accepts as a consent code (app.services.consent), in digits.
CODE_LENGTHS = (4, 12)


def change_consent_code(
    session: Session, access_id: str, secret: str, code: str, code_again: str, now: datetime
) -> SignInRefused | SignInLocked | None:
    """Give the person's household the consent code ``code`` once their own sign-in
    secret is checked.

    ``InvalidRequest`` (nothing written) for a code that is not 4 to 12 digits
    (``code``) or not typed the same twice (``code_again``). A wrong secret is RETURNED
    (``SignInRefused``, or ``SignInLocked`` while the access is locked), so that the
    caller's unit of work commits the failure count; ``None`` when the code was changed."""
    problems: list[Problem] = []
    low, high = CODE_LENGTHS
    if not (code.isascii() and code.isdigit() and low <= len(code) <= high):
        problems.append(Problem("code", "the consent code must be 4 to 12 digits"))
    elif code != code_again:
        problems.append(Problem("code_again", "the two codes differ"))
    if problems:
        raise svc.InvalidRequest(tuple(problems), "The consent code was not changed.")
    row = access(session, access_id)
    if row.role != "member" or row.subject_id is None or row.login is None:
        raise svc.not_found("access", access_id)
    outcome = sign_in(session, row.login, secret, now)
    if not isinstance(outcome, Person):
        return outcome
    change_code(session, row.subject_id, code)
    return None
