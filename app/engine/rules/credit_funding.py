"""Credit kinds that depend on who pays: a third-party top-up, the mean of contributions.

Guarantees:
- ``top_up_to_target``: the credit is exactly ``target_cents``; the funder pays
  ``max(0, target − the household's contribution)`` (never more than the target, never
  negative), written to ``ctx.funder_share_cents`` / ``ctx.funder_id`` so the share is booked
  to the funder, not the fund's own pot;
- ``mean_of_contributions`` is decided for the whole fund (``fund_level = True``): the
  per-household assessment leaves the credit pending and ``app.engine.fund`` splits the
  month's total contributions equally. Calling its ``evaluate`` per household is a
  programming error and raises ``FundLevelOnly``.

Both must be the whole credit formula (not inside min/max/clamp/prorated...): a clause that
changes the credit after a top-up would make the funder's share disagree with the credit,
and a fund-level credit cannot be combined with per-household amounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from app.engine.exact import Q
from app.engine.explain import Step, register_messages, step
from app.engine.resources import Context, NeedsData
from app.engine.rules.nodes import CREDIT_KINDS, Kinds, Node
from app.engine.rules.reader import Reader

register_messages(
    {
        "credit.top_up": {
            "fr": "Crédit fixé à {target_cents} : votre participation est de "
            "{contribution_cents}, le financeur « {funder_id} » complète de {funder_share_cents}.",
            "en": "Credit set at {target_cents}: your contribution is {contribution_cents}, "
            'the funder "{funder_id}" tops it up by {funder_share_cents}.',
        },
    }
)


class FundLevelOnly(RuntimeError):
    """A fund-level credit clause was evaluated for a single household."""


def _is_whole_formula(path: str) -> bool:
    """True for the root of a section (``credit.formula``), false for any nested clause."""
    return path.rsplit(".", 1)[-1] == "formula"


@dataclass(frozen=True, slots=True)
class TopUpToTarget:
    path: str
    target_cents: int
    funder_id: str

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        contribution = ctx.contribution_cents
        if contribution is None:
            raise NeedsData("contribution_cents", "needs.contribution")
        share = self.target_cents - contribution if contribution < self.target_cents else 0
        ctx.funder_share_cents = share
        ctx.funder_id = self.funder_id
        if trace is not None:
            trace.append(
                step(
                    self.path,
                    "credit.top_up",
                    target_cents=self.target_cents,
                    contribution_cents=contribution,
                    funder_id=self.funder_id,
                    funder_share_cents=share,
                )
            )
        return (self.target_cents, 1)


@dataclass(frozen=True, slots=True)
class MeanOfContributions:
    """Credit = the month's total contributions split equally (set by ``app.engine.fund``)."""

    path: str
    fund_level: ClassVar[bool] = True

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        raise FundLevelOnly(
            f"{self.path}: mean_of_contributions is decided for the whole fund at month end; "
            "the per-household assessment must leave the credit pending (fund_level = True)"
        )


def _root_only(reader: Reader, path: str, kind: str) -> bool:
    if _is_whole_formula(path):
        return True
    reader.add(
        f"{path}.kind",
        f"{kind} must be the whole credit formula; it cannot be combined inside another clause",
    )
    return False


def _parse_top_up(reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds) -> Node | None:
    reader.only_keys(doc, ("kind", "target_cents", "funder_id"), path)
    target = reader.cents(doc, "target_cents", path)
    funder_id = reader.text(doc, "funder_id", path)
    root = _root_only(reader, path, "top_up_to_target")
    if target is None or funder_id is None or not root:
        return None
    return TopUpToTarget(path, target, funder_id)


def _parse_mean(reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds) -> Node | None:
    reader.only_keys(doc, ("kind",), path)
    if not _root_only(reader, path, "mean_of_contributions"):
        return None
    return MeanOfContributions(path)


CREDIT_KINDS["top_up_to_target"] = _parse_top_up
CREDIT_KINDS["mean_of_contributions"] = _parse_mean
