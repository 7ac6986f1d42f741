"""What the fund teaches (issue 13): indicators computed from plain values of the books.

Pure: standard library only, no clock, no I/O. Integer cents and exact ``Fraction`` ratios;
the same months give the same cells in the same order. Modules by concept:

- ``inputs``: the values read from the books (``MonthBooks``, its ``Households`` as columns...);
- ``cells``: additive ``Tally`` values and published ``Cell`` values;
- ``financing``: self-financing, funding mix, reserve and runway;
- ``redistribution``: net transfer and income share, by decile of resources per CU and size;
- ``use``: credit spent / expired / carried, rationing rate;
- ``spending``: by merchant category and kind, producers' share, merchant concentration;
- ``participation``: active households, arrivals, departures, engagement hours;
- ``suppression``: small cells withheld so that no difference of queries reveals them;
- ``table``: the month-by-month and whole-period table.
"""

from app.engine.indicators.cells import Cell
from app.engine.indicators.inputs import (
    DEFAULT_MERCHANT_KIND,
    MERCHANT_KINDS,
    FundingLine,
    HouseholdMonth,
    Households,
    MonthBooks,
    SpendLine,
)
from app.engine.indicators.table import DEFAULT_THRESHOLD, IndicatorTable, indicator_table

__all__ = [
    "DEFAULT_MERCHANT_KIND",
    "DEFAULT_THRESHOLD",
    "MERCHANT_KINDS",
    "Cell",
    "FundingLine",
    "HouseholdMonth",
    "Households",
    "IndicatorTable",
    "MonthBooks",
    "SpendLine",
    "indicator_table",
]
