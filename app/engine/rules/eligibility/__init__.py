"""Eligibility: who may receive credit; failing it is an explicit outcome, never a zero.

- ``groups``: ``all_of`` / ``any_of`` / ``not`` over conditions (three-valued: a missing
  fact matters only when the answer depends on it) and ``Eligibility``, the section;
- ``leaves``: the leaf conditions (children, persons, a resource base, an attribute);
- ``read``: reading a leaf from the rule document, every problem reported with its path.
"""

from app.engine.rules.eligibility.groups import Eligibility, parse_eligibility

__all__ = ["Eligibility", "parse_eligibility"]
