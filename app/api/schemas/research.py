"""Research: the fund's indicators (aggregates only, small cells suppressed) and a merchant's
kind."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from app.api.schemas.fields import described

MerchantKind = Literal["producer", "shop", "solidarity_grocery", "market"]


class IndicatorCell(BaseModel):
    """One figure of one indicator for one group and period; empty when suppressed."""

    period: str = described("A month, or the whole period first..last.", "2027-01", "YYYY-MM")
    indicator: str = described("The indicator.", "self_financing", "text")
    group: str = described(
        "'all' or the group (decile:3, size:2, kind:producer...).", "all", "text"
    )
    unit: str = described("The value's unit.", "ratio", "text")
    numerator: int | None = described("Exact value's numerator.", 2, "in the cell's unit")
    denominator: int | None = described("Exact value's denominator.", 9, "count")
    value: str | None = described("The value, 6 decimals, for reading.", "0.222222", "decimal")
    households: int | None = described("Distinct households behind the cell.", 197, "households")
    suppressed: bool = described("Withheld (statistical confidentiality).", False, "boolean")


class IndicatorsOut(BaseModel):
    """The indicators of each month and of the whole period."""

    fund: str = described("The fund's name.", "CALIEN", "text")
    from_: str = described("First month.", "2027-01", "YYYY-MM", alias="from")
    to: str = described("Last month.", "2027-03", "YYYY-MM")
    threshold: int = described("Smallest number of households a cell may show.", 10, "households")
    licence: str = described("Open data licence.", "ODbL-1.0", "SPDX id")
    rule_set_hashes: list[str] = described("Rule sets the months' runs used.", [], "sha256")
    engine_version: str = described("Engine that computed them.", "caisse-engine/0.1.0", "text")
    cells: list[IndicatorCell] = described(
        "Each month's cells, then the whole period's.", [], "cells"
    )

    model_config = {"populate_by_name": True}


class MerchantKindIn(BaseModel):
    kind: MerchantKind = described("What kind of merchant it is.", "producer", "text")


class MerchantKindOut(BaseModel):
    merchant_id: str = described("The merchant.", "m_ferme-du-bois", "identifier")
    kind: MerchantKind = described("Its kind.", "producer", "text")
