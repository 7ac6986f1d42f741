"""Research (issue 13): the fund's indicators, loaded from the books, and their open data.

- ``books``: reads one ``MonthBooks`` per month (aggregate queries, read-only);
- ``indicators``: ``report(session, first, last, environ)``: the engine's table with the
  fund's settings (suppression threshold, licence, name) and the rule sets the runs used;
  ``rows``/``as_json``/``as_text``: the one rendering of a report for the CLI and the API;
- ``open_data``: the CSV files and the Frictionless ``datapackage.json``, identical in
  layout for every fund;
- ``merchant_kinds``: the committee sets a merchant's kind (producer, shop, épicerie
  solidaire, market).

Read-only: nothing here writes the books; no household id ever leaves (cells only).
"""
