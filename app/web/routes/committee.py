"""The committee's pages: the rules in force and their versions, writing a new version (YAML
or JSON, typed or uploaded; checked with every problem at its line), one version against
the rules in force (what changes, the impact on the real membership, the cost against the
fund's money) and its adoption on a decision chosen from a list, after a confirmation.

Each route parses, calls ONE service (app.services.rules.committee, .rule_drafts), renders.
The services' refusals are worded here in the reader's language; nothing is written when a
form comes back with problems.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from app.db.session import read_only, unit_of_work
from app.engine.checks import Severity
from app.services import errors as svc
from app.services.charts import impact as impact_chart
from app.services.people import Person
from app.services.rules import committee as committee_rules
from app.services.rules import drafts as rule_drafts
from app.services.tokens import Role
from app.web.i18n import N_, _, language
from app.web.labels import percent_digits
from app.web.pages import (
    FormErrors,
    PageNotFound,
    engine_of,
    form_of,
    now,
    redirect,
    render,
    signed_in,
    text_of,
)

router = APIRouter(include_in_schema=False)
FormDep = Annotated[FormData, Depends(form_of)]
UPLOAD_LIMIT = 200_000

SYNTAX_MESSAGES = {
    "text_empty": N_("Le document est vide : écrivez les règles ou choisissez un fichier."),
    "text_too_long": N_("Le document est trop long : 200 000 caractères au plus."),
    "text_syntax": (
        N_(
            "Ce texte ne se lit pas comme du YAML ou du JSON à cette ligne : vérifiez"
            " l'indentation, les deux-points, les virgules et les guillemets."
        )
    ),
    "text_alias": N_(
        "Les ancres et alias YAML (& et *) ne sont pas acceptés : écrivez chaque valeur."
    ),
    "text_key": N_("Un nom de champ s'écrit en lettres (par exemple base_cents)."),
    "text_deep": N_("Le document est imbriqué trop profondément : simplifiez la formule."),
    "text_not_object": N_(
        "Le document doit être une suite de champs nommés (format, id, version...)."
    ),
    "text_file": N_(
        "Ce fichier ne se lit pas comme du texte UTF-8 : choisissez un fichier .yaml ou .json."
    ),
}
PROBLEM_MESSAGES = {
    "required": N_("Ce champ manque : il est obligatoire ici."),
    "unknown_field": N_("Le champ « {field} » n'existe pas ici ; champs possibles : {allowed}."),
    "whole_cents": (
        N_("Un montant s'écrit en centimes, nombre entier (1250 pour 12,50 €) ; écrit : {got}.")
    ),
    "whole": N_("Un nombre entier est attendu ; écrit : {got}."),
    "decimal": N_("Un taux s'écrit en nombre décimal (0.025 pour 2,5 %) ; écrit : {got}."),
    "choice": N_("La valeur {got} n'est pas connue ; valeurs possibles : {allowed}."),
    "at_least": N_("La valeur doit être au moins {limit} ; écrit : {got}."),
    "at_most": N_("La valeur doit être au plus {limit} ; écrit : {got}."),
    "object": N_("Une section avec des champs nommés est attendue ici ; écrit : {got}."),
    "list": N_("Une liste est attendue ici ; écrit : {got}."),
    "text": N_("Un texte non vide est attendu ici ; écrit : {got}."),
    "boolean": N_("true ou false est attendu ici ; écrit : {got}."),
    "month": N_("Un mois s'écrit AAAA-MM (par exemple 2027-01) ; écrit : {got}."),
    "deep": N_("Le document est imbriqué trop profondément : simplifiez la formule."),
    "adopted": (
        N_(
            "Cette version est déjà adoptée et ne change plus : donnez un nouveau numéro de version."
        )
    ),
    "other": N_("Cette valeur n'est pas acceptée ici."),
}
CONTRIBUTION_KINDS = {
    "proportional": N_("une part fixe des ressources"),
    "effort_rate": N_("un taux d'effort sur les ressources"),
    "linear": N_("une formule linéaire des ressources"),
    "household_amount": N_("un montant fixe par foyer"),
    "brackets": N_("un barème par tranches de ressources"),
    "free_choice": N_("un montant choisi par le membre entre deux bornes"),
    "marginal_rate_scale": N_("un barème à taux marginaux"),
    "marginal_amount_scale": N_("un barème à montants marginaux"),
    "linear_average_rate_scale": N_("un taux moyen qui croît avec les ressources"),
}
CREDIT_KINDS = {
    "means_tested": N_("un crédit selon les ressources"),
    "prorated": N_("un crédit au prorata des jours de membre"),
    "top_up_to_target": N_("un complément jusqu'à un montant cible"),
    "mean_of_contributions": N_("la moyenne des participations du mois, pour tous"),
    "per_person": N_("un montant par personne"),
    "base_plus_extra": N_("un montant de base, plus un montant par personne en plus"),
    "age_weighted": N_("un montant par personne, pondéré selon l'âge"),
    "per_consumption_unit": N_("un montant par unité de consommation"),
}
BASES = {
    "income": N_("des ressources du foyer"),
    "quotient_familial": N_("du quotient familial"),
    "income_per_cu": N_("des ressources par unité de consommation"),
    "income_per_person": N_("des ressources par personne"),
    "persons": N_("du nombre de personnes"),
}
EXAMPLES = {
    "single_1000": N_("Une personne seule, 1 000 € de ressources par mois"),
    "single_2000": N_("Une personne seule, 2 000 € de ressources par mois"),
    "couple_2_children_2000": N_("Un couple avec deux enfants, 2 000 € de ressources par mois"),
}
BUCKETS = {
    "loses_over_20": N_("perdent plus de 20 €"),
    "loses_5_to_20": N_("perdent de 5 à 20 €"),
    "loses_under_5": N_("perdent moins de 5 €"),
    "unchanged": N_("sans changement"),
    "gains_under_5": N_("gagnent moins de 5 €"),
    "gains_5_to_20": N_("gagnent de 5 à 20 €"),
    "gains_over_20": N_("gagnent plus de 20 €"),
    "not_comparable": N_("pas comparables (calculés d'un seul côté)"),
}
SEVERITIES = {
    Severity.ERROR: "Erreur",
    Severity.WARNING: N_("Attention"),
    Severity.INFO: N_("Information"),
}
STATES = {
    "draft": N_("brouillon"),
    "adopted": N_("adoptée"),
}
ADOPT_MESSAGES = {
    "decision": (
        N_(
            "Ce brouillon a été écrit pour une autre décision : choisissez la décision inscrite"
            " dans le document."
        )
    ),
    "closed": (
        N_(
            "Le mois d'entrée en vigueur de cette version est déjà clos : le passé ne change plus."
            " Écrivez une nouvelle version qui commence un mois encore ouvert."
        )
    ),
    "adopted": N_("Cette version est déjà adoptée."),
    "form": "Ce formulaire a déjà servi : rechargez la page et recommencez.",
}


Committee = Annotated[Person, Depends(signed_in(Role.COMMITTEE))]


def new_key() -> str:
    """A fresh idempotency key for a form: sending the same form twice does it once."""
    return secrets.token_urlsafe(18)


def scoped_key(person: Person, key: str) -> str:
    return f"web:{person.access_id}:{key[:60]}"


def percent(rate: Any) -> str:
    """``"0.025"`` -> ``"2,5 %"`` (French) / ``"2.5 %"``."""
    try:
        value = percent_digits(rate)
    except ValueError:
        return str(rate)
    return (value.replace(".", ",") if language() == "fr" else value) + "\u00a0%"


def chart_words() -> impact_chart.Words:
    return impact_chart.Words(
        title=_("Participation et crédit selon les ressources"),
        heading=_("Participation et crédit selon les ressources : règles en vigueur et proposées"),
        description=_(
            "Participation et crédit de chaque foyer selon ses ressources par unité de"
            " consommation, avec les règles en vigueur et avec les règles proposées."
        ),
        x_axis=_("Ressources mensuelles par unité de consommation"),
        y_axis=_("Montant mensuel"),
        placed=_("{count} foyers placés"),
        unplaced=_("{count} sans ressources connues"),
        series=(
            _("Participation actuelle"),
            _("Participation proposée"),
            _("Crédit actuel"),
            _("Crédit proposé"),
        ),
    )


def words() -> dict[str, Any]:
    """The words of the rules' summaries, in the reader's language, for the templates."""
    return {
        "contribution_kinds": {k: _(v) for k, v in CONTRIBUTION_KINDS.items()},
        "credit_kinds": {k: _(v) for k, v in CREDIT_KINDS.items()},
        "bases": {k: _(v) for k, v in BASES.items()},
        "examples": {k: _(v) for k, v in EXAMPLES.items()},
        "states": {k: _(v) for k, v in STATES.items()},
        "percent": percent,
    }


@router.get("/comite")
def overview(request: Request, person: Committee) -> Response:
    with read_only(engine_of(request)) as session:
        found = committee_rules.overview(session, now().date())
    return render(request, "committee/overview.html", {**found, **words()}, title=_("Les règles"))


# --- Writing a new version ------------------------------------------------------------


def problem_rows(checked: rule_drafts.Checked) -> list[dict[str, Any]]:
    """Each problem in words, with its line and the text written on that line."""
    lines = checked.text.splitlines()
    rows = []
    for problem in checked.problems:
        message = problem.text(language())  # the engine's words by message code, as the API
        if message is None:
            template = SYNTAX_MESSAGES.get(problem.kind) or PROBLEM_MESSAGES.get(problem.kind)
            message = _(template or PROBLEM_MESSAGES["other"]).format(**_values(problem.values))
        source = lines[problem.line - 1].strip() if 0 < problem.line <= len(lines) else ""
        rows.append(
            {
                "line": problem.line,
                "path": problem.path,
                "message": message,
                "source": source[:120],
                "detail": problem.detail if problem.kind in ("other", "text_syntax") else "",
            }
        )
    return rows


def _values(values: Mapping[str, str]) -> dict[str, str]:
    defaults = {"field": "", "allowed": "", "got": "", "limit": ""}
    return defaults | {k: v[:120] for k, v in values.items()}


def finding_rows(checked: rule_drafts.Checked) -> list[dict[str, str]]:
    lang = language()
    return [
        {
            "severity": f.severity.value,
            "label": _(SEVERITIES[f.severity]),
            "message": f.message(lang),
        }
        for f in checked.findings
    ]


def draft_page(
    request: Request,
    text: str,
    checked: rule_drafts.Checked | None = None,
    *,
    status: int = 200,
    saved: bool = False,
) -> Response:
    problems = problem_rows(checked) if checked else []
    errors = FormErrors()
    if problems:
        errors.add(
            "document", _("Le document a {n} problème(s) : voir la liste.").format(n=len(problems))
        )
    context = {
        "text": text,
        "checked": checked,
        "problems": problems,
        "findings": finding_rows(checked) if checked and checked.ok else [],
        "errors": errors,
        "saved": saved,
    }
    return render(
        request, "committee/new_rules.html", context, status=status, title=_("Nouvelle version")
    )


@router.get("/comite/regles/nouvelle")
def new_rules_page(request: Request, person: Committee) -> Response:
    with read_only(engine_of(request)) as session:
        text = committee_rules.starting_text(session, now().date())
    return draft_page(request, text)


async def _posted_text(form: FormData) -> tuple[str, bool]:
    """The document: the uploaded file when one was chosen, else the text area. The
    second value is False when the file cannot be read as UTF-8 text."""
    upload = form.get("fichier")
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read(UPLOAD_LIMIT + 1)
        try:
            return content.decode("utf-8-sig"), True
        except UnicodeDecodeError:
            return str(form.get("document") or ""), False
    return str(form.get("document") or ""), True


@router.post("/comite/regles/nouvelle")
async def new_rules(request: Request, person: Committee, form: FormDep) -> Response:
    text, readable = await _posted_text(form)
    if not readable:
        unreadable = rule_drafts.Checked(
            text, "yaml", (rule_drafts.LineProblem(1, "", "text_file"),)
        )
        return draft_page(request, text, unreadable, status=422)
    if text_of(form, "action") != "enregistrer":
        checked = rule_drafts.check_text(text)
        return draft_page(request, text, checked, status=200 if checked.ok else 422)
    with unit_of_work(engine_of(request)) as session:
        checked = rule_drafts.save_draft(session, text)
    if not checked.ok or checked.rules is None:
        return draft_page(request, text, checked, status=422)
    rules = checked.rules
    return redirect(f"/comite/regles/{rules.rule_set_id}/{rules.version}?brouillon=1")


# --- One version -----------------------------------------------------------------------


def _version_number(version: str) -> int:
    if not version.isdigit() or len(version) > 7:
        raise PageNotFound()
    return int(version)


def version_page(
    request: Request,
    rule_set_id: str,
    version: str,
    extra: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    template: str = "committee/version.html",
) -> Response:
    number = _version_number(version)
    try:
        with read_only(engine_of(request)) as session:
            found = committee_rules.version_view(
                session, rule_set_id, number, now().date(), chart_words()
            )
    except svc.NotFound:
        raise PageNotFound() from None
    context = {
        **found,
        **words(),
        "buckets_words": {k: _(v) for k, v in BUCKETS.items()},
        "key": new_key(),
        "values": {"decision": found["decisions"][0] if found["decisions"] else ""},
        **(extra or {}),
    }
    title = _("Version {version} de « {name} »").format(
        version=number, name=found["version"]["name"]
    )
    return render(request, template, context, status=status, title=title)


@router.get("/comite/regles/{rule_set_id}/{version}")
def version(request: Request, person: Committee, rule_set_id: str, version: str) -> Response:
    return version_page(request, rule_set_id, version)


def adoption_errors(refusal: svc.ServiceError) -> FormErrors:
    errors = FormErrors()
    if isinstance(refusal, svc.MonthClosed):
        errors.add("decision", _(ADOPT_MESSAGES["closed"]))
    elif isinstance(refusal, svc.IdempotencyConflict):
        errors.add("decision", _(ADOPT_MESSAGES["form"]))
    elif isinstance(refusal, svc.Conflict):
        errors.add("decision", _(ADOPT_MESSAGES["adopted"]))
    else:
        errors.add("decision", _(ADOPT_MESSAGES["decision"]))
    return errors


@router.post("/comite/regles/{rule_set_id}/{version}/adopter")
def adopt(
    request: Request, person: Committee, form: FormDep, rule_set_id: str, version: str
) -> Response:
    """First the confirmation page (nothing written), then, confirmed, the adoption."""
    number = _version_number(version)
    decision, key = text_of(form, "decision"), text_of(form, "cle") or new_key()
    values = {"decision": decision}
    if text_of(form, "etape") != "confirmer":
        return version_page(
            request,
            rule_set_id,
            version,
            {"values": values, "key": key},
            template="committee/confirm_adoption.html",
        )
    try:
        with unit_of_work(engine_of(request)) as session:
            committee_rules.adopt_version(
                session,
                rule_set_id,
                number,
                decision,
                actor=person.principal.actor,
                idempotency_key=scoped_key(person, key),
                now=now(),
            )
    except svc.NotFound:
        raise PageNotFound() from None
    except (svc.InvalidRequest, svc.Conflict) as refusal:
        extra = {"values": values, "key": key, "errors": adoption_errors(refusal)}
        return version_page(request, rule_set_id, version, extra, status=422)
    return redirect(f"/comite/regles/{rule_set_id}/{number}?adoptee=1")


__all__ = ["Committee", "FormDep", "new_key", "router", "scoped_key"]
