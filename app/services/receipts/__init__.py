"""Tax receipts (*reçus fiscaux*, Cerfa 11580) for gifts to the fund.

- ``settings``: the fund's receipt settings (organisation, reduction rate and ceiling) as
  data in ``fund_setting``, each field checked with a message naming it.
- ``donors``: donors' identities (personal data, erasable) and the salted commitment the
  journal carries instead.
- ``issue``: a year's receipts, numbered without gaps, recorded in the journal
  (``issue_tax_receipt``), reprinted identically; ``pdf`` draws the Cerfa's fields.
"""
