"""A rule set: the validated, frozen form of a rule document.

``parse_rule_set`` reads a JSON-like document (the shell parses JSON/YAML text), reports
EVERY problem at once (``RuleSetInvalid``), and returns a ``RuleSet`` whose ``content_hash``
is the sha256 of the document's canonical JSON. Same document -> same hash, forever.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from app.engine.arrears import ArrearsPolicy, parse_arrears
from app.engine.canonical import content_hash
from app.engine.explain import RuleSetRef
from app.engine.money import Rounding
from app.engine.period import Period
from app.engine.problems import RuleSetInvalid
from app.engine.resources import (
    AgeBand,
    ConsumptionUnits,
    FamilyParts,
    ResourceDefinitions,
    measures_read,
)
from app.engine.rules import CONTRIBUTION_KINDS, CREDIT_KINDS
from app.engine.rules.choice import FreeChoice
from app.engine.rules.eligibility import Eligibility, parse_eligibility
from app.engine.rules.engagement import Engagement, parse_engagement
from app.engine.rules.nodes import Node, parse_node
from app.engine.rules.policies import (
    RationingPolicy,
    UnspentCreditPolicy,
    parse_rationing,
    parse_unspent_credit,
)
from app.engine.rules.reader import Reader
from app.engine.rules.tax_receipts import TaxReceiptsPolicy, parse_tax_receipts

FORMAT = "caisse.rules/1"

TOP_LEVEL_FIELDS = (
    "format",
    "id",
    "version",
    "name",
    "effective_from",
    "decision",
    "currency",
    "age_reference_day",
    "resources",
    "eligibility",
    "contribution",
    "credit",
    "engagement",
    "unspent_credit",
    "rationing",
    "arrears",
    "tax_receipts",
    "notes",
)


@dataclass(frozen=True, slots=True)
class Formula:
    """A section (contribution or credit): a node tree and the single rounding applied to it."""

    node: Node
    rounding: Rounding


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A validated rule set. Immutable; a change is a new version with a new hash."""

    rule_set_id: str
    version: int
    name: str
    effective_from: Period
    decision: str
    currency: str
    definitions: ResourceDefinitions
    eligibility: Eligibility | None
    contribution: Formula
    credit: Formula
    engagement: Engagement | None
    unspent_credit: UnspentCreditPolicy
    rationing: RationingPolicy
    document: Mapping[str, Any]
    content_hash: str
    # What unpaid contributions do to the credit (app.engine.arrears); default keep crediting.
    arrears: ArrearsPolicy = field(default_factory=ArrearsPolicy)
    # Whether contributions paid above the month's credit are gifts (app.engine.rules.
    # tax_receipts); default no.
    tax_receipts: TaxReceiptsPolicy = field(default_factory=TaxReceiptsPolicy)

    ref: RuleSetRef = field(init=False, repr=False, compare=False)
    # Composition measures the rules read (consumption units, CAF parts): explanations show them.
    measures: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built once: every explanation of every household refers to it.
        ref = RuleSetRef(
            self.rule_set_id,
            self.version,
            self.content_hash,
            self.decision,
            str(self.effective_from),
        )
        object.__setattr__(self, "ref", ref)
        object.__setattr__(self, "measures", measures_read(self.document))


def parse_rule_set(document: Any) -> RuleSet:
    """Validate a rule document; raise ``RuleSetInvalid`` listing every problem."""
    reader = Reader()
    doc = reader.mapping(document, "")
    if doc is None:
        raise RuleSetInvalid(reader.problems)
    reader.only_keys(doc, TOP_LEVEL_FIELDS, "")
    reader.text(doc, "format", "", choices=(FORMAT,))
    rule_set_id = reader.text(doc, "id", "")
    version = reader.integer(doc, "version", "", minimum=1)
    name = reader.text(doc, "name", "", required=False, default=rule_set_id or "")
    effective_from = _period(reader, doc, "effective_from")
    decision = reader.text(doc, "decision", "")
    currency = reader.text(doc, "currency", "", required=False, choices=("EUR",), default="EUR")
    definitions = _definitions(reader, doc)
    eligibility = (
        parse_eligibility(reader, doc["eligibility"], "eligibility")
        if "eligibility" in doc
        else None
    )
    contribution = _formula(reader, doc, "contribution", CONTRIBUTION_KINDS)
    credit = _formula(reader, doc, "credit", CREDIT_KINDS)
    engagement = (
        parse_engagement(reader, doc["engagement"], "engagement") if "engagement" in doc else None
    )
    unspent = parse_unspent_credit(reader, doc.get("unspent_credit"), "unspent_credit")
    rationing = parse_rationing(reader, doc.get("rationing"), "rationing")
    arrears = parse_arrears(reader, doc.get("arrears"), "arrears")
    tax_receipts = parse_tax_receipts(reader, doc.get("tax_receipts"), "tax_receipts")
    _check_fund_level_engagement(reader, credit, engagement)
    if reader.problems:
        raise RuleSetInvalid(reader.problems)
    assert rule_set_id is not None and version is not None and effective_from is not None
    assert decision is not None and contribution is not None and credit is not None
    return RuleSet(
        rule_set_id=rule_set_id,
        version=version,
        name=name or rule_set_id,
        effective_from=effective_from,
        decision=decision,
        currency=currency or "EUR",
        definitions=definitions,
        eligibility=eligibility,
        contribution=contribution,
        credit=credit,
        engagement=engagement,
        unspent_credit=unspent,
        rationing=rationing,
        document=doc,
        content_hash=content_hash(_plain(doc)),
        arrears=arrears,
        tax_receipts=tax_receipts,
    )


def _check_fund_level_engagement(
    reader: Reader, credit: Formula | None, engagement: Engagement | None
) -> None:
    """A credit set for the whole fund (mean of contributions) has no per-household credit
    to condition or top up: engagement clauses on the credit would be silently ignored."""
    if credit is None or engagement is None or not getattr(credit.node, "fund_level", False):
        return
    if engagement.requires_minutes is not None or engagement.bonus is not None:
        reader.add(
            "engagement",
            "the credit is the mean of the month's contributions (set for the whole fund): "
            "credit_requires_minutes and credit_bonus cannot apply to it; "
            "use contribution_offset, or a per-household credit formula",
        )


def _plain(value: Any) -> Any:
    """A JSON-ready copy (tuples -> lists) so the hash sees exactly what JSON would."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _period(reader: Reader, doc: Mapping[str, Any], key: str) -> Period | None:
    text = reader.text(doc, key, "")
    if text is None:
        return None
    try:
        return Period.parse(text)
    except ValueError as error:
        reader.add(key, str(error))
        return None


def _formula(
    reader: Reader, doc: Mapping[str, Any], key: str, kinds: dict[str, Any]
) -> Formula | None:
    section = reader.mapping(doc.get(key), key) if key in doc else None
    if key not in doc:
        reader.add(key, "this section is required")
    if section is None:
        return None
    reader.only_keys(section, ("formula", "rounding", "notes"), key)
    rounding = reader.rounding(section, "rounding", key)
    if "formula" not in section:
        reader.add(f"{key}.formula", "this field is required")
        return None
    node = parse_node(reader, section["formula"], f"{key}.formula", kinds)
    if isinstance(node, FreeChoice) and rounding.unit_cents != 1:
        # Rounding a member's own choice would silently change what they chose.
        reader.add(
            f"{key}.rounding.unit_cents",
            f"a free choice is recorded as chosen, to the cent: the rounding unit must be 1, "
            f"got {rounding.unit_cents} (use step_cents on the choice instead)",
        )
        return None
    return Formula(node, rounding) if node is not None else None


def _definitions(reader: Reader, doc: Mapping[str, Any]) -> ResourceDefinitions:
    day_value = doc.get("age_reference_day", 1)
    age_day: int | str = 1
    if day_value == "last" or (
        isinstance(day_value, int) and not isinstance(day_value, bool) and 1 <= day_value <= 31
    ):
        age_day = day_value
    else:
        reader.add("age_reference_day", f'expected a day 1..31 or "last", got {day_value!r}')
    section = doc.get("resources", {})
    res = reader.mapping(section, "resources")
    if res is None:
        return ResourceDefinitions(age_reference_day=age_day)
    reader.only_keys(res, ("consumption_units", "family_parts"), "resources")
    units = _consumption_units(reader, res.get("consumption_units"), "resources.consumption_units")
    parts = _family_parts(reader, res.get("family_parts"), "resources.family_parts")
    return ResourceDefinitions(units, parts, age_day)


def _consumption_units(reader: Reader, value: Any, path: str) -> ConsumptionUnits:
    doc = reader.section(value, path)
    if doc is None:
        return ConsumptionUnits()
    reader.only_keys(doc, ("first_person", "bands"), path)
    first = reader.rate(doc, "first_person", path, required=False, default=Fraction(1))
    bands: list[AgeBand] = []
    items = reader.sequence(doc.get("bands", []), f"{path}.bands")
    for _, where, band in reader.entries(items or [], f"{path}.bands", ("min_age", "weight")):
        min_age = reader.integer(band, "min_age", where, minimum=0, maximum=130)
        weight = reader.rate(band, "weight", where)
        if min_age is not None and weight is not None:
            bands.append(AgeBand(min_age, weight))
    if not bands:
        return ConsumptionUnits(first_person=first or Fraction(1))
    if all(band.min_age != 0 for band in bands):
        reader.add(f"{path}.bands", "one band must start at min_age 0 so every age has a weight")
    bands.sort(key=lambda band: -band.min_age)
    return ConsumptionUnits(first or Fraction(1), tuple(bands))


def _family_parts(reader: Reader, value: Any, path: str) -> FamilyParts:
    doc = reader.section(value, path)
    if doc is None:
        return FamilyParts()
    reader.only_keys(doc, ("adults", "children", "each_further_child", "child_age_below"), path)
    default = FamilyParts()
    adults = reader.rate(doc, "adults", path, required=False, default=default.adults)
    further = reader.rate(
        doc, "each_further_child", path, required=False, default=default.each_further_child
    )
    below = reader.integer(
        doc,
        "child_age_below",
        path,
        required=False,
        minimum=1,
        maximum=30,
        default=default.child_age_below,
    )
    children: list[Fraction] = []
    items = reader.sequence(doc.get("children", []), f"{path}.children")
    for index, item in enumerate(items or []):
        part = reader.rate({"part": item}, "part", f"{path}.children[{index}]")
        if part is not None:
            children.append(part)
    if adults is not None and adults <= 0:
        reader.add(f"{path}.adults", "expected a positive number of parts")
    return FamilyParts(
        adults or default.adults,
        tuple(children) if "children" in doc else default.children,
        further if further is not None else default.each_further_child,
        below or default.child_age_below,
    )
