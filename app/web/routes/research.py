"""The research pages, for the committee (under /comite) and researchers (under /recherche):
the fund's indicators for a period (small cells shown as "—", never a household), the open
data download, and the sustainability projection with its assumptions and chart.

Each route parses, calls ONE service (app.services.research.views, research.open_data),
renders. Forms are GET forms: they only read, so a result can be bookmarked and shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.db.session import read_only
from app.engine.indicators import Cell
from app.engine.money import format_rate, parse_rate, round_fraction
from app.engine.period import Period
from app.engine.projection import share_percent
from app.services import errors as svc
from app.services.charts.research import BarWords, ReserveWords
from app.services.people import Person
from app.services.research import indicators, open_data
from app.services.research import views as research_views
from app.services.research.settings import research_settings
from app.services.tokens import Role
from app.web.formats import euros, parse_cents
from app.web.i18n import N_, _, language
from app.web.pages import FormErrors, engine_of, now, render, signed_in

router = APIRouter(include_in_schema=False)
CommitteeDep = Annotated[Person, Depends(signed_in(Role.COMMITTEE))]
ResearcherDep = Annotated[Person, Depends(signed_in(Role.RESEARCHER))]
AREAS = {Role.COMMITTEE: "/comite", Role.RESEARCHER: "/recherche"}
KIND_LABELS = {
    "producer": N_("Producteurs"),
    "shop": N_("Commerces"),
    "solidarity_grocery": N_("Épiceries solidaires"),
    "market": N_("Marchés"),
}
HEADLINE_LABELS = {
    "self_financing": N_("Autofinancement (participations reçues ÷ crédit accordé)"),
    "reserve_cents": N_("Réserve à la fin de la période"),
    "runway_months": N_("Mois de crédit que la réserve couvre"),
    "credit_granted_cents": N_("Crédit accordé"),
    "credit_spent_cents": N_("Crédit dépensé"),
    "credit_expired_cents": N_("Crédit expiré"),
    "rationing_rate": N_("Part des droits non servie (rationnement)"),
    "producer_share": N_("Part dépensée chez les producteurs"),
    "active_households": N_("Foyers actifs"),
    "arrivals": N_("Arrivées"),
    "departures": N_("Départs"),
}


def reserve_words() -> ReserveWords:
    """The reserve chart's words in the reader's language."""
    return ReserveWords(
        title=_("Réserve projetée"),
        heading=_("Réserve de la caisse, mois par mois"),
        description=_(
            "Réserve libre de la caisse à la fin de chaque mois projeté, selon les hypothèses"
            " indiquées ; un cercle rouge marque un mois où les crédits seraient rationnés."
        ),
        x_axis=_("Mois"),
        y_axis=_("Réserve à la fin du mois"),
        rules=_("Règles {label}"),
        rationed=_("Mois rationné"),
        subtitle=_("À partir de {start}, {months} mois"),
    )


def bar_words() -> tuple[BarWords, BarWords]:
    """The decile and merchant-kind charts' words in the reader's language."""
    suppressed = _("— : moins de {threshold} foyers, chiffre masqué")
    deciles = BarWords(
        title=_("Transfert net par décile"),
        heading=_("Transfert net moyen par foyer, par décile de ressources"),
        description=_(
            "Crédit reçu moins participation due, en moyenne par foyer et par mois, pour chaque"
            " dixième des foyers rangés par ressources par unité de consommation."
        ),
        x_axis=_("Décile de ressources par unité de consommation (1 : les plus modestes)"),
        y_axis=_("Par foyer"),
        subtitle="{period}",
        suppressed=suppressed,
    )
    kinds = BarWords(
        title=_("Dépenses par type de commerce"),
        heading=_("Crédit dépensé par type de commerce"),
        description=_("Crédit dépensé chez chaque type de commerce conventionné sur la période."),
        x_axis=_("Type de commerce"),
        y_axis=_("Crédit dépensé"),
        subtitle="{period}",
        suppressed=suppressed,
    )
    return deciles, kinds


def _area(person: Person) -> str:
    return AREAS[person.role]


def _layout(person: Person) -> str:
    return "committee/_layout.html" if person.role == Role.COMMITTEE else "research/_layout.html"


@router.get("/recherche")
def researcher_home(request: Request, person: ResearcherDep) -> Response:
    return _indicators(request, person)


@router.get("/comite/indicateurs")
def committee_indicators(request: Request, person: CommitteeDep) -> Response:
    return _indicators(request, person)


def _indicators(request: Request, person: Person) -> Response:
    first, last = request.query_params.get("de"), request.query_params.get("a")
    labels = {code: _(label) for code, label in KIND_LABELS.items()}
    errors = FormErrors()
    page: dict[str, Any] | None = None
    try:
        with read_only(engine_of(request)) as session:
            page = research_views.indicators_page(
                session, first, last, now().date(), labels, bar_words()
            )
    except svc.InvalidRequest as error:
        for problem in error.problems:
            field = "a" if problem.path == "to" else "de"
            errors.add(field, _("Choisissez des mois, le premier avant le dernier, 120 au plus."))
    context = {
        "layout": _layout(person),
        "area": _area(person),
        "page": page,
        "errors": errors,
        "values": {
            "de": first or (page or {}).get("from", ""),
            "a": last or (page or {}).get("to", ""),
        },
        "headline_labels": {k: _(v) for k, v in HEADLINE_LABELS.items()},
        "shown": shown,
    }
    return render(request, "research/indicators.html", context, title=_("Indicateurs"))


@router.get("/recherche/donnees.zip")
def researcher_open_data(request: Request, person: ResearcherDep) -> Response:
    return _open_data(request)


@router.get("/comite/donnees.zip")
def committee_open_data(request: Request, person: CommitteeDep) -> Response:
    return _open_data(request)


def _open_data(request: Request) -> Response:
    first, last = request.query_params.get("de"), request.query_params.get("a")
    try:
        with read_only(engine_of(request)) as session:
            start, end = indicators.parse_range(first, last)
            found = indicators.report(session, start, end)
    except svc.InvalidRequest:
        return render(request, "error.html", {"kind": "bad_request"}, status=422, title=_("Erreur"))
    name = f"indicateurs-{start}-{end}.zip"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(open_data.zip_bytes(found), media_type="application/zip", headers=headers)


@router.get("/recherche/projection")
def researcher_projection(request: Request, person: ResearcherDep) -> Response:
    return _projection(request, person)


@router.get("/comite/projection")
def committee_projection(request: Request, person: CommitteeDep) -> Response:
    return _projection(request, person)


DEFAULTS = {"mois": "12", "arrivees": "0", "departs": "0", "revenus": "0", "depense": "100"}


def _projection(request: Request, person: Person) -> Response:
    values = DEFAULTS | {k: v.strip() for k, v in request.query_params.items()}
    # A researcher's projection must not single a household out (app.services.projection):
    # adopted rules only, and no arrivals or departures (the form does not offer them).
    limits = research_settings() if person.role == Role.RESEARCHER else None
    if limits is not None:
        values |= {"arrivees": "0", "departs": "0"}
    errors = FormErrors()
    raw = _assumptions(values, errors)
    result: dict[str, Any] | None = None
    notice = None
    with read_only(engine_of(request)) as session:
        choices = research_views.rule_choices(session, adopted_only=limits is not None)
        if not errors:
            try:
                result = research_views.projection_page(
                    session,
                    raw,
                    values.get("regles"),
                    values.get("comparer"),
                    now().date(),
                    reserve_words(),
                    limits,
                )
            except svc.ServiceError as error:
                notice = _refusal(error, errors)
    context = {
        "layout": _layout(person),
        "area": _area(person),
        "values": values,
        "errors": errors,
        "choices": choices,
        "result": result,
        "notice": notice,
        "served": served,
        "for_researcher": limits is not None,
    }
    return render(request, "research/projection.html", context, title=_("Projection"))


def _refusal(error: svc.ServiceError, errors: FormErrors) -> str | None:
    """The service's refusal in the reader's words: on its field, or as a notice."""
    paths = [p.path for p in error.problems]
    if isinstance(error, svc.Forbidden):
        return _("Un chercheur projette avec les règles adoptées par le comité seulement.")
    if paths == ["households"]:
        return _("Trop peu de foyers pour publier une projection (seuil des petits effectifs).")
    if any(path.startswith("subsidies") for path in paths):
        errors.add("subvention_mois", _("Choisissez un des mois projetés."))
        return None
    if any(path.startswith("compare") for path in paths):
        return _("La version à comparer ne peut pas être calculée : vérifiez-la sur sa page.")
    if any(path.startswith("rules") for path in paths) and isinstance(error, svc.Conflict):
        return _("Aucune règle n'est adoptée pour les mois projetés : choisissez une version.")
    return _("Cette version ne peut pas être calculée : vérifiez-la sur sa page.")


def _whole(values: Mapping[str, str], name: str, low: int, high: int, errors: FormErrors) -> int:
    text = values.get(name, "")
    if not text.isdigit() or not low <= int(text) <= high:
        errors.add(
            name, _("Écrivez un nombre entier de {low} à {high}.").format(low=low, high=high)
        )
        return low
    return int(text)


def _percent(values: Mapping[str, str], name: str, errors: FormErrors, low: int, high: int) -> str:
    text = values.get(name, "").replace(",", ".").replace("%", "").strip()
    try:
        rate = parse_rate(text) / 100
    except ValueError:
        rate = None
    if rate is None or not Fraction(low, 100) <= rate <= Fraction(high, 100):
        errors.add(
            name,
            _("Écrivez un pourcentage de {low} à {high} (par exemple 2,5).").format(
                low=low, high=high
            ),
        )
        return "0"
    return format_rate(rate)


def _assumptions(values: Mapping[str, str], errors: FormErrors) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "months": _whole(values, "mois", 1, 60, errors),
        "arrivals_per_month": _whole(values, "arrivees", 0, 100_000, errors),
        "departures_per_month": _whole(values, "departs", 0, 100_000, errors),
        "income_drift": _percent(values, "revenus", errors, -50, 50),
        "spend_rate": _percent(values, "depense", errors, 0, 100),
        "subsidies": {},
    }
    month, amount = values.get("subvention_mois", ""), values.get("subvention", "")
    if amount:
        cents = parse_cents(amount)
        if cents is None or cents < 0:
            errors.add("subvention", _("Écrivez un montant en euros, par exemple 5 000."))
        try:
            period = str(Period.parse(month))
        except ValueError:
            errors.add("subvention_mois", _("Choisissez le mois où la subvention arrive."))
        else:
            raw["subsidies"] = {period: cents or 0}
    return raw


def _sep() -> str:
    return "," if language() == "fr" else "."


def served(fraction: str) -> str:
    """An exact share ("31/90") as a percentage, rounded down."""
    numerator, _slash, denominator = fraction.partition("/")
    return share_percent(Fraction(int(numerator), int(denominator or 1)), _sep())


def shown(cell: Cell) -> str:
    """A published cell's value in words: euros, a share, a count, months."""
    value = cell.value
    if value is None:
        return _("sans objet")
    if cell.unit in ("cents", "cents_per_household"):
        return euros(round_fraction(value))
    if cell.unit == "ratio":
        return share_percent(value, _sep())
    if cell.unit == "months":
        tenths = value.numerator * 10 // value.denominator
        return _("{n} mois").format(n=f"{tenths // 10}{_sep()}{tenths % 10}")
    return str(round_fraction(value * 100) // 100)
