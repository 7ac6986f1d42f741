"""Readable text (French by default, or English) for ``check-rules``, ``assess`` and ``preview``.

Only presentation: every figure comes from the engine's values, amounts shown as euros
("12,50 €" / "€12.50"). JSON output (the default) carries the same figures in cents.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.engine import Assessment, Problem, RuleSet
from app.engine.checks import Finding
from app.engine.fund import FundMonth
from app.engine.money import format_cents
from app.engine.preview import Preview, Side

_STATUS = {
    "fr": {
        "assessed": "calculé",
        "needs_data": "données manquantes",
        "not_eligible": "non éligible",
        "rejected": "refusé",
    },
    "en": {
        "assessed": "assessed",
        "needs_data": "needs data",
        "not_eligible": "not eligible",
        "rejected": "rejected",
    },
}
_SEVERITY = {
    "fr": {"error": "erreur", "warning": "attention", "info": "info"},
    "en": {"error": "error", "warning": "warning", "info": "info"},
}
_BUCKETS = {
    "fr": {
        "loses_over_20": "perd plus de 20 €",
        "loses_5_to_20": "perd de 5 à 20 €",
        "loses_under_5": "perd moins de 5 €",
        "unchanged": "inchangé",
        "gains_under_5": "gagne moins de 5 €",
        "gains_5_to_20": "gagne de 5 à 20 €",
        "gains_over_20": "gagne plus de 20 €",
        "not_comparable": "non comparable (statut)",
    },
    "en": {
        "loses_over_20": "loses over €20",
        "loses_5_to_20": "loses €5 to €20",
        "loses_under_5": "loses under €5",
        "unchanged": "unchanged",
        "gains_under_5": "gains under €5",
        "gains_5_to_20": "gains €5 to €20",
        "gains_over_20": "gains over €20",
        "not_comparable": "not comparable (status)",
    },
}


def eur(cents: int | None, lang: str, signed: bool = False) -> str:
    if cents is None:
        return "—"
    sign = "+" if signed and cents > 0 else ""
    if lang == "fr":
        return f"{sign}{format_cents(cents, ',')} €"
    return f"{sign}€{format_cents(cents, '.')}" if cents >= 0 else f"-€{format_cents(-cents, '.')}"


def _title(rules: RuleSet, lang: str) -> str:
    if lang == "fr":
        return f"Règles « {rules.rule_set_id} » version {rules.version}"
    return f'Rules "{rules.rule_set_id}" version {rules.version}'


def problems_text(path: str, problems: Sequence[Problem], lang: str) -> str:
    head = f"{path} : invalide" if lang == "fr" else f"{path}: invalid"
    return "\n".join([head] + [f"  - {p.path}: {p.message}" for p in problems])


def check_text(rules: RuleSet, findings: Sequence[Finding], lang: str) -> str:
    verdict = "valides" if lang == "fr" else "valid"
    lines = [f"{_title(rules, lang)} ({rules.content_hash.split(':')[-1][:12]}) : {verdict}."]
    if lang == "en":
        lines[0] = lines[0].replace(" : ", ": ")
    if not findings:
        lines.append("Aucune remarque." if lang == "fr" else "Nothing to report.")
    for finding in findings:
        lines.append(f"[{_SEVERITY[lang][finding.severity.value]}] {finding.message(lang)}")
    return "\n".join(lines)


def assess_text(rules: RuleSet, month: FundMonth, lang: str) -> str:
    fr = lang == "fr"
    count = len(month.assessments)
    lines = [
        f"{_title(rules, lang)}, {'mois' if fr else 'month'} {month.period} : {count} "
        f"{'foyer(s)' if fr else 'household(s)'}."
    ]
    if not fr:
        lines[0] = lines[0].replace(" : ", ": ")
    for item in month.assessments:
        lines += _assessment_lines(item, lang)
    totals = month.totals
    lines.append(
        (
            "Total : participations {c}, crédits {k}, part des financeurs {f}, à la charge du fonds {s}."
        )
        if fr
        else "Total: contributions {c}, credits {k}, funders' share {f}, left to the fund {s}."
    )
    lines[-1] = lines[-1].format(
        c=eur(totals.contributions_cents, lang),
        k=eur(totals.credits_cents, lang),
        f=eur(totals.funder_shares_cents, lang),
        s=eur(totals.shortfall_cents, lang),
    )
    return "\n".join(lines)


def _assessment_lines(item: Assessment, lang: str) -> list[str]:
    fr = lang == "fr"
    status = _STATUS[lang][item.status.value]
    head = f"{'Foyer' if fr else 'Household'} {item.household_id} — {status}"
    if item.status.value == "assessed":
        head += (
            f" : participation {eur(item.contribution_cents, lang)}, crédit {eur(item.credit_cents, lang)}."
            if fr
            else f": contribution {eur(item.contribution_cents, lang)}, credit {eur(item.credit_cents, lang)}."
        )
    else:
        head += " :" if fr else ":"
    lines = [head]
    lines += [f"  ! {p.path}: {p.message}" for p in item.problems]
    if item.explanation is not None and item.status.value == "assessed":
        lines += [f"    {line}" for line in item.explanation.render(lang).splitlines()]
    return lines


def _side_name(side: Side | None, lang: str) -> str:
    if side is None:
        return "aucune" if lang == "fr" else "none"
    return f"{side.rule_set_id} v{side.version}"


def preview_text(result: Preview, lang: str) -> str:
    fr = lang == "fr"
    before, after = result.current, result.proposed
    lines = [
        (
            f"Aperçu {result.period} : {_side_name(after, lang)} (proposées) contre "
            f"{_side_name(before, lang)} (en vigueur), {after.households} foyer(s)."
        )
        if fr
        else (
            f"Preview {result.period}: {_side_name(after, lang)} (proposed) against "
            f"{_side_name(before, lang)} (in force), {after.households} household(s)."
        )
    ]
    labels = (
        ("Participations", "Crédits", "Part des financeurs", "Coût net", "Rationnement nécessaire")
        if fr
        else ("Contributions", "Credits", "Funders' share", "Net cost", "Rationing needed")
    )
    header = ("en vigueur", "proposées", "écart") if fr else ("in force", "proposed", "change")
    lines.append(f"{'':<24}{header[0]:>14}{header[1]:>14}{header[2]:>14}")
    fields = ["contributions_cents", "credits_cents", "funder_shares_cents", "net_cost_cents"]
    if result.budget_cents is not None:
        fields.append("rationing_needed_cents")
    for label, name in zip(labels, fields, strict=False):
        old = getattr(before, name) if before else None
        new = getattr(after, name)
        change = new - old if old is not None and new is not None else None
        lines.append(
            f"{label:<24}{eur(old, lang):>14}{eur(new, lang):>14}{eur(change, lang, True):>14}"
        )
    lines.append(
        "Gagnants et perdants (solde = crédit − participation) :"
        if fr
        else "Winners and losers (net = credit − contribution):"
    )
    lines += [f"  {_BUCKETS[lang][name]:<26}{count:>6}" for name, count in result.buckets.items()]
    lines.append("Par décile de ressources par UC :" if fr else "By decile of income per CU:")
    for row in result.deciles:
        if row.group == "needs_data":
            name = "données manquantes" if fr else "needs data"
        else:
            low, high = (
                eur(row.income_per_cu_min_cents, lang),
                eur(row.income_per_cu_max_cents, lang),
            )
            name = f"{'décile' if fr else 'decile'} {row.group} ({low} – {high})"
        lines.append(
            f"  {name} : {row.households} foyer(s), évolution du solde {eur(row.net_change_cents, lang, True)}"
            if fr
            else f"  {name}: {row.households} household(s), net change {eur(row.net_change_cents, lang, True)}"
        )
    return "\n".join(lines)
