"""The sustainability projection: the fund's months ahead under stated assumptions.

Pure (standard library and the engine only). See ``simulate`` for what it guarantees.
"""

from app.engine.projection.assumptions import Assumptions, FundNow
from app.engine.projection.credit_flow import LotColumns
from app.engine.projection.explain import explain_month, share_percent, summary
from app.engine.projection.simulate import ProjectedMonth, Projection, project

__all__ = [
    "Assumptions",
    "FundNow",
    "LotColumns",
    "ProjectedMonth",
    "Projection",
    "explain_month",
    "project",
    "share_percent",
    "summary",
]
