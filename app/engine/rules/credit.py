"""Credit formula kinds, registered into ``CREDIT_KINDS`` on import.

Every kind computes an exact amount of cents (``Q``); the credit section rounds once.
Caps and floors on any of them compose through ``clamp`` (``app.engine.rules.combinators``).

- persons and ages (``credit_people``): ``per_person``, ``base_plus_extra`` (flat or by age
  band), ``age_weighted``, ``per_consumption_unit``;
- adjustments of another formula (``credit_adjust``): ``means_tested``, ``prorated``;
- who pays (``credit_funding``): ``top_up_to_target`` (third-party funder share),
  ``mean_of_contributions`` (decided for the whole fund).
"""

from app.engine.rules import credit_adjust, credit_funding, credit_people

__all__ = ["credit_adjust", "credit_funding", "credit_people"]
