"""The one stored form of a consent code's hash, ``hmac_sha256$<salt>$<digest>``.

``salt`` is 32 lowercase hex digits and ``digest`` 64: HMAC-SHA256 under the server's secret
key (app.services.consent makes and checks them). Nothing else is accepted anywhere: not at
charge time (``app.services.consent.code_matches``), not by the verifier, which reports any
other form stored in ``household.consent_code_hash``. Earlier versions stored
``pbkdf2_sha256$<iterations>$<salt>$<hex>``, whose work factor was read from the row itself:
someone able to write one row could plant a hash of 3 iterations of a code they chose and
charge the household; such rows now match no code (the member is given a new one).
"""

from __future__ import annotations

import re

PREFIX = "hmac_sha256$"
_FORM = re.compile(r"hmac_sha256\$[0-9a-f]{32}\$[0-9a-f]{64}")


def well_formed(stored: str | None) -> bool:
    """Whether ``stored`` is the one accepted form (``None``: no code set, also acceptable)."""
    return stored is None or _FORM.fullmatch(stored) is not None
