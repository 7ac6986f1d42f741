"""Impact preview of a rule change: ``preview`` (``compare``) assesses the same households
under the rules in force and the proposed ones; its parts (``parts``) are the per-side
totals, per-household changes, buckets and deciles, in integer cents."""

from __future__ import annotations

from app.engine.preview.compare import Preview, preview
from app.engine.preview.parts import BUCKETS, Change, DecileRow, Side, bucket_of

__all__ = ["BUCKETS", "Change", "DecileRow", "Preview", "Side", "bucket_of", "preview"]
