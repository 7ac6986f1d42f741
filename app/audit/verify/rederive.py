"""Re-derivation of every month run from the journal's rules and the committed facts.

The verifier's walk feeds this module the records that decide a month run's amounts
(``Rederivation.record``): the adopted rule documents (``adopt_rule_set`` carries the whole
public document and its hash), the facts commitments (``enrol_household``, ``change_facts``)
and the runs (``run_month``). At each run record it checks, from the journal alone:

- ``rule_set_hash`` is the hash of a rule document adopted before the run (the document is
  re-hashed and parsed by the engine), and it is the rule set in force for the month, chosen
  as the service chooses it (latest ``effective_from`` not after the month, then the latest
  adopted);
- the run's unspent-credit policy is the rule document's;
- each household's ``facts_commitment`` is the one in force for the month (latest
  ``from_period`` not after the month), as the journal had it while the run was written.

After the walk, ``finish`` recomputes every run's lines with the engine path the run itself
uses (``assess_fund``, then ``app.engine.month_run.run_line``) from the rule document and the
facts behind each commitment, each facts preimage re-hashed to the journal's commitment first,
and compares them with the booked lines. Facts come from a ``FactsRow`` list (the database's
erasable table, or a facts file an operator handed to an auditor); without them, only the
journal checks above run and the report says so. A household whose facts were erased (salt
gone) is counted as "could not re-derive: erased", never as a failure; a month whose amounts
depend on every household (rationing, a credit shared at fund level) cannot be re-derived at
all once one of its households is erased, and is counted likewise.

Disagreements name the run's seq, the month and the household (table ``run_month``), or the
facts row whose preimage does not hash to the journal's commitment (table ``household_facts``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from app.audit.sources import FactsRow
from app.audit.verify.finding import Disagreement
from app.engine.commitment import committed_facts, facts_commitment
from app.engine.facts import HouseholdFacts
from app.engine.fund import assess_fund
from app.engine.month_run import LINE_FIELDS, run_line
from app.engine.period import Period
from app.engine.problems import EngineError
from app.engine.ruleset import RuleSet, parse_rule_set

FACTS_KINDS = frozenset({"enrol_household", "change_facts"})
KINDS = frozenset({"adopt_rule_set", "run_month"}) | FACTS_KINDS


class _Adopted(NamedTuple):
    seq: int
    effective_from: str
    content_hash: str
    rules: RuleSet | None
    problem: str | None
    rule_set_id: str
    version: int
    decision: str


@dataclass(slots=True)
class _Group:
    """Consecutive run records of one month with the same rules and rationing: one run."""

    period: str
    rule_hash: str
    rationing: Any
    after_seq: int  # the last run record before this run (facts in force since then count)
    lines: list[tuple[int, Mapping[str, Any]]] = field(default_factory=list)
    households: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Outcome:
    """What ``finish`` did: households re-derived to the cent, erased, months, and why not."""

    households: int = 0
    erased: int = 0
    months: int = 0
    unchecked: list[str] = field(default_factory=list)


class Rederivation:
    """Fed by the verifier's walk, in journal order; see the module docstring."""

    def __init__(self) -> None:
        self.adopted: list[_Adopted] = []
        self.by_hash: dict[str, _Adopted] = {}
        # household -> [(from_period, seq, commitment)] in journal order
        self.commitments: dict[str, list[tuple[str, int, str]]] = {}
        self.groups: list[_Group] = []
        self.last_run_seq = 0
        self.lines = 0

    def record(self, kind: str, payload: Mapping[str, Any], seq: int) -> Disagreement | None:
        if kind == "run_month":
            return self._run(payload, seq)
        if kind in FACTS_KINDS:
            household = str(payload["household_id"])
            entry = (str(payload["from_period"]), seq, str(payload["facts_commitment"]))
            self.commitments.setdefault(household, []).append(entry)
        elif kind == "adopt_rule_set":
            self._adopt(payload, seq)
        return None

    def _adopt(self, payload: Mapping[str, Any], seq: int) -> None:
        rules: RuleSet | None = None
        problem = None
        try:
            rules = parse_rule_set(payload["document"])
        except EngineError as error:
            problem = f"the rule document adopted at seq {seq} does not parse: {error}"
        declared = str(payload["content_hash"])
        if rules is not None and rules.content_hash != declared:
            problem = f"the rule document adopted at seq {seq} hashes to {rules.content_hash}"
        adopted = _Adopted(
            seq,
            str(payload["effective_from"]),
            declared,
            rules,
            problem,
            str(payload["rule_set_id"]),
            int(payload["version"]),
            str(payload.get("decision", "")),
        )
        self.adopted.append(adopted)
        self.by_hash.setdefault(declared, adopted)

    def _in_force(self, period: str) -> _Adopted | None:
        best: _Adopted | None = None
        for adopted in self.adopted:
            if adopted.effective_from <= period and (
                best is None
                or (adopted.effective_from, adopted.seq) >= (best.effective_from, best.seq)
            ):
                best = adopted
        return best

    def _run(self, payload: Mapping[str, Any], seq: int) -> Disagreement | None:
        period = str(payload["period"])
        rule_hash = str(payload["rule_set_hash"])
        row = f"period={period} seq={seq}"
        adopted = self.by_hash.get(rule_hash)
        if adopted is None:
            return Disagreement(
                seq,
                "run_month",
                row,
                f"rule_set_hash {rule_hash} matches no adopted rule document in the journal",
            )
        if adopted.problem is not None or adopted.rules is None:
            return Disagreement(seq, "run_month", row, str(adopted.problem))
        in_force = self._in_force(period)
        if in_force is None or in_force.content_hash != rule_hash:
            what = (
                "none"
                if in_force is None
                else (f"{in_force.content_hash} (adopted at seq {in_force.seq})")
            )
            return Disagreement(
                seq,
                "run_month",
                row,
                f"the rule set in force in {period} is {what}, the run used {rule_hash}",
            )
        policy = adopted.rules.unspent_credit
        expected = {
            "policy": policy.policy,
            "after_months": policy.after_months,
            "cap_cents": policy.cap_cents,
        }
        if payload.get("unspent_credit") != expected:
            return Disagreement(
                seq,
                "run_month",
                row,
                f"unspent_credit is "
                f"{payload.get('unspent_credit')!r}, the rule document says "
                f"{expected!r}",
            )
        lines = payload["households"]
        group = self._group(period, rule_hash, payload.get("rationing"), lines)
        for line in lines:
            bad = self._commitment(line, period, seq, group.after_seq)
            if bad is not None:
                return bad
            group.lines.append((seq, line))
            group.households.add(str(line["household_id"]))
            self.lines += 1
        self.last_run_seq = seq
        return None

    def _group(
        self, period: str, rule_hash: str, rationing: Any, lines: Iterable[Mapping[str, Any]]
    ) -> _Group:
        """The run this record continues, or a new one (another month, other rules or
        rationing, or a household run again: its run was reversed, and the new run may have
        read other facts, so it is re-derived on its own, after the first)."""
        last = self.groups[-1] if self.groups else None
        if (
            last is not None
            and (last.period, last.rule_hash, last.rationing) == (period, rule_hash, rationing)
            and not any(str(line["household_id"]) in last.households for line in lines)
        ):
            return last
        group = _Group(period, rule_hash, rationing, self.last_run_seq)
        self.groups.append(group)
        return group

    def _commitment(
        self, line: Mapping[str, Any], period: str, seq: int, after_seq: int
    ) -> Disagreement | None:
        """The line's commitment was in force for ``period`` at some point of the run
        (the run read the facts before writing its first chunk, so a change recorded while
        it was being written may or may not be in it)."""
        household = str(line["household_id"])
        committed = line.get("facts_commitment")
        history = self.commitments.get(household, [])
        in_force = {_latest(history, period, after_seq)}
        in_force.update(_latest(history, period, s) for _, s, _ in history if s > after_seq)
        in_force.discard(None)
        if committed in in_force:
            return None
        now = _latest(history, period, seq)
        return Disagreement(
            seq,
            "run_month",
            f"period={period} household_id={household}",
            f"facts_commitment {committed} is not the household's commitment "
            f"in force for {period} in the journal ({now})",
        )

    def finish(
        self, facts: Sequence[FactsRow] | None, erased: Iterable[str]
    ) -> tuple[Disagreement | None, Outcome]:
        """Recompute every run's lines (see the module docstring); ``erased``: households
        the journal erased."""
        outcome = Outcome(months=len({g.period for g in self.groups}))
        if facts is None:
            outcome.unchecked.append(
                "amounts not re-derived: no facts given (the journal's rules and commitments "
                "were checked; pass --facts FILE from `caisse export facts` to re-derive)"
            )
            return None, outcome
        index = _FactsIndex(facts, set(erased))
        for number, group in enumerate(self.groups):
            earlier = [
                line for g in self.groups[:number] if g.period == group.period for line in g.lines
            ]
            bad = self._rederive(group, earlier, index, outcome)
            if bad is not None:
                return bad, outcome
        return None, outcome

    def _rederive(
        self,
        group: _Group,
        earlier: list[tuple[int, Mapping[str, Any]]],
        index: _FactsIndex,
        outcome: Outcome,
    ) -> Disagreement | None:
        rules = self.by_hash[group.rule_hash].rules
        assert rules is not None  # a run naming a bad document stopped the walk
        fund_level = group.rationing is not None or getattr(rules.credit.node, "fund_level", False)
        # The run's plan assessed the month's households already credited too (they weigh in
        # a fund-level split); the latest line of each household stands for its facts.
        latest = {str(line["household_id"]): (seq, line) for seq, line in (*earlier, *group.lines)}
        facts: list[HouseholdFacts] = []
        missing: set[str] = set()
        for household, (seq, line) in sorted(latest.items()):
            found = index.facts(household, str(line["facts_commitment"]), seq, group.period)
            if isinstance(found, Disagreement):
                return found
            if found is None:
                missing.add(household)
            elif "arrears_months" in line:
                # Months in arrears come from the books at the run, recorded on its line.
                facts.append(replace(found, arrears_months=int(line["arrears_months"])))
            else:
                facts.append(found)
        mine = {str(line["household_id"]) for _, line in group.lines}
        if missing and fund_level:
            outcome.erased += len(mine)
            return None
        outcome.erased += len(mine & missing)
        budget = None if group.rationing is None else group.rationing.get("budget_cents")
        if missing:
            budget = None
        fund = assess_fund(
            rules, facts, Period.parse(group.period), budget_cents=budget, explain=False
        )
        derived = {a.household_id: a for a in fund.assessments}
        for seq, line in group.lines:
            household = str(line["household_id"])
            if household in missing:
                continue
            late = line.get("arrears_months")
            expected = run_line(
                derived[household],
                str(line["facts_commitment"]),
                None if late is None else int(late),
            )
            if dict(line) != expected:
                return _differs(seq, group.period, household, line, expected)
            outcome.households += 1
        return None


def _latest(history: list[tuple[str, int, str]], period: str, at_seq: int) -> str | None:
    """The commitment in force for ``period`` given the records up to ``at_seq``."""
    best: tuple[str, int, str] | None = None
    for entry in history:
        if entry[1] <= at_seq and entry[0] <= period and (best is None or entry[:2] >= best[:2]):
            best = entry
    return None if best is None else best[2]


def _differs(
    seq: int, period: str, household: str, line: Mapping[str, Any], expected: Mapping[str, Any]
) -> Disagreement:
    for name in (*LINE_FIELDS, *sorted(set(line) - set(LINE_FIELDS))):
        if line.get(name) != expected.get(name):
            return Disagreement(
                seq,
                "run_month",
                f"period={period} household_id={household}",
                f"{name} is {line.get(name)!r}, re-derived from the rules and "
                f"facts: {expected.get(name)!r}",
                f"419:{household}",
            )
    raise AssertionError("lines differ but no field does")  # pragma: no cover


class _FactsIndex:
    """Facts rows by the commitment their preimage hashes to (each row hashed once)."""

    def __init__(self, rows: Sequence[FactsRow], erased: set[str]) -> None:
        self.by_commitment: dict[str, FactsRow] = {}
        self.by_household: dict[str, list[FactsRow]] = {}
        self.erased = erased
        for row in rows:
            self.by_household.setdefault(row.household_id, []).append(row)
            if row.salt is not None:
                key = facts_commitment(row.salt, row.household_id, row.from_period, row.facts)
                self.by_commitment.setdefault(key, row)
        self.parsed: dict[str, HouseholdFacts | Disagreement] = {}

    def facts(
        self, household: str, commitment: str, seq: int, period: str
    ) -> HouseholdFacts | Disagreement | None:
        """The engine facts behind ``commitment``; ``None`` if erased; else why not."""
        known = self.parsed.get(commitment)
        if known is not None:
            return known
        row = self.by_commitment.get(commitment)
        if row is None or row.household_id != household:
            rows = self.by_household.get(household, [])
            if household in self.erased or (rows and all(r.salt is None for r in rows)):
                return None
            return Disagreement(
                seq,
                "household_facts",
                f"household_id={household}",
                f"no facts given for {household} hash to the commitment "
                f"{commitment} its {period} run used ({_candidates(rows)})",
            )
        try:
            value: HouseholdFacts | Disagreement = committed_facts(household, row.facts)
        except EngineError as error:
            value = Disagreement(
                seq,
                "household_facts",
                f"household_id={household} from_period={row.from_period}",
                f"the facts in {row.where} are malformed: {error}",
            )
        self.parsed[commitment] = value
        return value


def _candidates(rows: Sequence[FactsRow]) -> str:
    if not rows:
        return "none given"
    return "given: " + ", ".join(f"{r.where} from {r.from_period}" for r in rows[:5])
