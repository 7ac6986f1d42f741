"""Research (issue 13): the fund's indicators as JSON or as an open data zip (researcher,
committee, auditor: aggregates only, small cells suppressed, never a household id), and a
merchant's kind (committee)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import Response

from app.api.deps import CommitteeDep, Principal, Role, SessionDep, require_roles
from app.api.errors import problem_responses
from app.api.routers.audit import utc_now
from app.api.routing import api_router
from app.api.schemas.research import IndicatorsOut, MerchantKindIn, MerchantKindOut
from app.services.research import indicators, merchant_kinds, open_data

router = api_router()

IndicatorReader = Annotated[
    Principal, Depends(require_roles(Role.RESEARCHER, Role.COMMITTEE, Role.AUDITOR))
]
First = Annotated[str | None, Query(alias="from", description="First month, YYYY-MM.")]
Last = Annotated[str | None, Query(alias="to", description="Last month, YYYY-MM (default: from).")]


@router.get(
    "/research/indicators",
    summary="The fund's indicators",
    response_model=IndicatorsOut,
    responses=problem_responses(422),
)
def read_indicators(
    session: SessionDep, _: IndicatorReader, first: First = None, last: Last = None
) -> IndicatorsOut:
    """Each month's indicators from `from` to `to` (whole calendar months), then the whole
    period's: exact numerator and denominator, cells built from fewer households than the
    fund's threshold suppressed (also against differences of overlapping periods). 422 for
    a missing or malformed month, or `to` before `from`."""
    start, end = indicators.parse_range(first, last)
    found = indicators.report(session, start, end)
    return IndicatorsOut.model_validate(indicators.as_json(found))


@router.get(
    "/research/indicators.zip",
    summary="The fund's indicators as open data",
    response_class=Response,
    responses={**problem_responses(422), 200: {"content": {"application/zip": {}}}},
)
def download_indicators(
    session: SessionDep, _: IndicatorReader, first: First = None, last: Last = None
) -> Response:
    """The same indicators as CSV files with a Frictionless `datapackage.json` (fields,
    units, licence, fund, period, rule-set hashes), the same layout for every fund."""
    start, end = indicators.parse_range(first, last)
    found = indicators.report(session, start, end)
    name = f"indicateurs-{found.table.first}-{found.table.last}.zip"
    return Response(
        open_data.zip_bytes(found),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.put(
    "/merchants/{merchant_id}/kind",
    summary="Set a merchant's kind",
    response_model=MerchantKindOut,
    responses=problem_responses(404, 422),
)
def set_merchant_kind(
    merchant_id: str, request: MerchantKindIn, session: SessionDep, _: CommitteeDep
) -> MerchantKindOut:
    """Producer, shop, solidarity grocery (épicerie solidaire) or market: how the indicators
    group spending. Not money: kept beside the books, not journalled. 404 for an unknown
    merchant."""
    merchant_kinds.set_kind(session, merchant_id, request.kind, utc_now())
    return MerchantKindOut(merchant_id=merchant_id, kind=request.kind)
