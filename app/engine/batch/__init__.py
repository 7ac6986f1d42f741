"""Assessing households: the rule nodes compiled for one month and run over many households.

``assess_batch`` is the one path from a rule set and households' facts to ``Assessment``s
(``app.engine.assess.assess`` is its batch of one); ``assess_columns`` the same from
households given as columns (``HouseholdColumns``), which is what the plan runs on: facts
are turned into columns first. The modules, by concept:

- ``columns``: the households as columns, the plan's one input (facts become columns);
- ``compositions``: households reduced to how many persons they have in each age class;
- ``compile``: the parsed rule nodes' fast integer form (dispatch on the node's class);
- ``explain``: the nodes' own explanation steps for the compiled households;
- ``paths``: those steps traced once per path, each household's own numbers beside;
- ``household``: one household through the nodes' ``evaluate``, for what has no fast form;
- ``plan``: the compiled plan, its run and its ``BatchResult``.
"""

from app.engine.batch.columns import HouseholdColumns, NumberedIds
from app.engine.batch.compile import Unsupported
from app.engine.batch.plan import (
    BatchPlan,
    BatchResult,
    assess_batch,
    assess_columns,
    compile_batch,
)

__all__ = [
    "BatchPlan",
    "BatchResult",
    "HouseholdColumns",
    "NumberedIds",
    "Unsupported",
    "assess_batch",
    "assess_columns",
    "compile_batch",
]
