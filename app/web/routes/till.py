"""The merchant's till (``/commercant``): find the member by card, type the basket by
category, show the quote, the member types their consent code, pay; then the receipt.
Also the day's sales with refunds, and the settlements the fund paid.

Every figure comes from app.services.till (the quote, the charge, the receipts); the routes
parse the forms, call it, and word its refusals in French. The member is known here only by
their card number and their spendable credit. Every page shows the shop's own name
(``till.shop_name``) in its header, and the receipt shows it too, when the shop has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from app.services import consent, till
from app.services import errors as svc
from app.services.people import Person
from app.services.tokens import Role
from app.web.formats import euros, moment, parse_cents
from app.web.i18n import N_, _, language
from app.web.labels import category_name, percent_digits
from app.web.pages import (
    FormErrors,
    PageNotFound,
    engine_of,
    form_of,
    now,
    person_of,
    redirect,
    render,
    signed_in,
    text_of,
)

router = APIRouter(include_in_schema=False)
FormDep = Annotated[FormData, Depends(form_of)]
Merchant = Annotated[Person, Depends(signed_in(Role.MERCHANT))]

AMOUNT_PREFIX = "montant-"
# French names of the usual categories (msgids; translated when shown).
MESSAGES = {
    "card_typo": N_(
        "Ce numéro de carte n'est pas valable : il a 10 chiffres. Vérifiez le numéro tapé."
    ),
    "card_unknown": N_("Aucune carte ne porte ce numéro. Vérifiez-le avec le membre."),
    "card_missing": N_("Indiquez le numéro de la carte du membre."),
    "amount": N_("Indiquez un montant en euros, par exemple 12,50."),
    "basket_empty": N_("Indiquez le montant d'au moins une catégorie."),
    "code_missing": N_("Le membre doit taper son code de consentement."),
    "code_wrong": N_("Ce code ne correspond pas. Le membre peut réessayer : rien n'a été payé."),
    "code_locked": N_(
        "Trop de codes faux : votre caisse doit attendre {heure} avant de réessayer"
        " pour ce membre (ses autres commerces ne sont pas bloqués). Rien n'a été payé."
    ),
    "closed": "Votre commerce n'est pas conventionné aujourd'hui : aucun paiement n'est possible."
    " Contactez le bureau de la caisse.",
    "month_closed": N_("Le mois est clos : aucun paiement n'est possible. Contactez le bureau."),
    "refused": N_("La caisse a refusé ce paiement : rien n'a été payé. Contactez le bureau."),
    "refund_amount": N_("Indiquez un montant à rembourser en euros, par exemple 12,50."),
    "refund_zero": N_("Le montant à rembourser doit être plus grand que 0,00 €."),
    "refund_over": N_("Vous pouvez rembourser au plus {montant} pour cette vente."),
    "refund_refused": N_("La caisse a refusé ce remboursement : rien n'a été rendu."),
}


def message(key: str) -> str:
    return _(MESSAGES[key])


def category_label(name: str) -> str:
    return category_name(name)


def rate_label(rate: str) -> str:
    """``"0.5"`` -> ``50 %`` (``12,5 %`` in French)."""
    if not rate:
        return ""
    percent = percent_digits(rate)
    if language() == "fr":
        return f"{percent.replace('.', ',')}\u00a0%"
    return f"{percent}%"


def clock(recorded_at: str) -> str:
    """The time of day of a journal time, in the fund's zone: ``14:05``."""
    when = datetime.fromisoformat(recorded_at.replace("Z", "+00:00"))
    return when.astimezone(till.FUND_ZONE).strftime("%H:%M")


def _context(**values: Any) -> dict[str, Any]:
    return {"category_label": category_label, "rate_label": rate_label, "clock": clock, **values}


def _render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    title: str = "",
) -> Response:
    """A till page, with the shop's own name for its header (and receipt) when it has one."""
    shop = context.get("shop")
    if isinstance(shop, till.Till):  # the page read its till already: its name came with it
        name = shop.name
    else:
        person = person_of(request)
        subject = None if person is None else person.subject_id
        name = None if subject is None else till.shop_name(engine_of(request), str(subject))
    return render(request, template, {"shop_name": name, **context}, status=status, title=title)


def _on() -> date:
    return till.till_day(now())


# --- Step 1: the card ---------------------------------------------------------------------


def _card_page(request: Request, person: Person, errors: FormErrors, card: str) -> Response:
    shop = till.till_of(engine_of(request), str(person.subject_id), _on())
    context = _context(errors=errors, values={"carte": card}, shop=shop)
    status = 422 if errors else 200
    return _render(request, "till/card.html", context, status=status, title=_("Encaisser"))


@router.get("/commercant")
def card_page(request: Request, person: Merchant) -> Response:
    return _card_page(request, person, FormErrors(), "")


def card_errors(refusal: svc.ServiceError) -> FormErrors:
    errors = FormErrors()
    typo = isinstance(refusal, svc.InvalidRequest)
    errors.add("carte", message("card_typo" if typo else "card_unknown"))
    return errors


@router.post("/commercant")
def find_member(request: Request, person: Merchant, form: FormDep) -> Response:
    card = text_of(form, "carte")
    if not card:
        errors = FormErrors()
        errors.add("carte", message("card_missing"))
        return _card_page(request, person, errors, card)
    try:
        start = till.start(engine_of(request), str(person.subject_id), card, _on())
    except (svc.InvalidRequest, svc.NotFound) as refusal:
        return _card_page(request, person, card_errors(refusal), card)
    return _basket_page(request, start, FormErrors(), {})


# --- Step 2: the basket, and the quote ----------------------------------------------------


def _basket_page(
    request: Request, start: till.Start, errors: FormErrors, typed: dict[str, str]
) -> Response:
    values = {"carte": start.card_number, **typed}
    context = _context(errors=errors, values=values, start=start, prefix=AMOUNT_PREFIX)
    status = 422 if errors else 200
    return _render(request, "till/basket.html", context, status=status, title=_("Le panier"))


@dataclass(frozen=True, slots=True)
class Basket:
    """A posted basket: the card, the amounts typed (as typed and in cents), the problems."""

    card: str
    typed: dict[str, str]
    amounts: dict[str, int]
    errors: FormErrors


def basket_of(form: FormData) -> Basket:
    typed: dict[str, str] = {}
    amounts: dict[str, int] = {}
    errors = FormErrors()
    for name in form:
        if not name.startswith(AMOUNT_PREFIX):
            continue
        text = text_of(form, name)
        typed[name] = text
        cents = parse_cents(text) if text else 0
        if cents is None:
            errors.add(name, message("amount"))
        else:
            amounts[name[len(AMOUNT_PREFIX) :]] = cents
    if not errors and not any(amounts.values()):
        first = next(iter(typed), f"{AMOUNT_PREFIX}1")
        errors.add(first, message("basket_empty"))
    return Basket(text_of(form, "carte"), typed, amounts, errors)


def _restart(request: Request, person: Person, card: str) -> Response:
    """The basket's card no longer reads (it was edited): back to step 1."""
    errors = FormErrors()
    errors.add("carte", message("card_typo"))
    return _card_page(request, person, errors, card)


@router.post("/commercant/modifier")
def edit_basket(request: Request, person: Merchant, form: FormDep) -> Response:
    basket = basket_of(form)
    try:
        start = till.start(engine_of(request), str(person.subject_id), basket.card, _on())
    except (svc.InvalidRequest, svc.NotFound):
        return _restart(request, person, basket.card)
    return _basket_page(request, start, FormErrors(), basket.typed)


def _quote_page(
    request: Request,
    basket: Basket,
    found: till.Quote,
    reference: str,
    *,
    errors: FormErrors | None = None,
    changed: bool = False,
) -> Response:
    context = _context(
        errors=errors or FormErrors(),
        quote=found,
        card=basket.card,
        typed=basket.typed,
        reference=reference,
        changed=changed,
    )
    status = 422 if errors else 200
    return _render(request, "till/quote.html", context, status=status, title=_("À payer"))


@router.post("/commercant/panier")
def quote_basket(request: Request, person: Merchant, form: FormDep) -> Response:
    basket = basket_of(form)
    engine, merchant_id = engine_of(request), str(person.subject_id)
    try:
        if basket.errors:
            start = till.start(engine, merchant_id, basket.card, _on())
            return _basket_page(request, start, basket.errors, basket.typed)
        found = till.prepare(engine, merchant_id, basket.card, basket.amounts, _on())
    except (svc.InvalidRequest, svc.NotFound):
        return _restart(request, person, basket.card)
    return _quote_page(request, basket, found, till.new_reference())


# --- Step 3: the consent code, pay, the receipt -------------------------------------------


def charge_errors(refusal: svc.ServiceError) -> FormErrors:
    errors = FormErrors()
    if isinstance(refusal, consent.ConsentLocked):
        until = moment(str(refusal.extras.get("locked_until", "")))
        errors.add("code", message("code_locked").format(heure=until))
    elif isinstance(refusal, svc.Forbidden):
        errors.add("code", message("code_wrong"))
    elif isinstance(refusal, svc.MerchantSuspended):
        errors.add("code", message("closed"))
    elif isinstance(refusal, svc.MonthClosed):
        errors.add("code", message("month_closed"))
    else:
        errors.add("code", message("refused"))
    return errors


def receipt_path(reference: str, amounts: dict[str, int]) -> str:
    basket = urlencode(sorted((name, str(cents)) for name, cents in amounts.items() if cents))
    return f"/commercant/recu/{reference}?{basket}"


def _requote(
    request: Request, person: Person, basket: Basket, reference: str, errors: FormErrors
) -> Response:
    """The quote page again (the credit as it is now), with the problems of the payment."""
    try:
        found = till.prepare(
            engine_of(request), str(person.subject_id), basket.card, basket.amounts, _on()
        )
    except (svc.InvalidRequest, svc.NotFound):
        return _restart(request, person, basket.card)
    return _quote_page(request, basket, found, reference, errors=errors)


@router.post("/commercant/payer")
def pay(request: Request, person: Merchant, form: FormDep) -> Response:
    basket, code = basket_of(form), str(form.get("code") or "").strip()
    reference, expected = text_of(form, "reference"), text_of(form, "attendu")
    if basket.errors or not till.is_reference(reference):  # an edited form: quote again
        return _requote(request, person, basket, till.new_reference(), FormErrors())
    errors = FormErrors()
    if not code:
        errors.add("code", message("code_missing"))
        return _requote(request, person, basket, reference, errors)
    try:
        till.charge(
            engine_of(request),
            str(person.subject_id),
            basket.card,
            basket.amounts,
            reference,
            expected,
            code,
            _on(),
            actor=person.principal.actor,
            now=now(),
        )
    except till.QuoteChanged as changed:
        return _quote_page(request, basket, changed.quote, reference, changed=True)
    except svc.ServiceError as refusal:
        return _requote(request, person, basket, reference, charge_errors(refusal))
    return redirect(receipt_path(reference, basket.amounts))


@router.get("/commercant/recu/{reference}")
def receipt_page(request: Request, person: Merchant, reference: str) -> Response:
    if not till.is_reference(reference):
        raise PageNotFound()
    amounts = {
        name: int(value)
        for name, value in request.query_params.items()
        if value.isdigit() and len(value) <= 12
    }
    try:
        found = till.receipt(engine_of(request), str(person.subject_id), reference, amounts)
    except svc.NotFound as missing:
        raise PageNotFound() from missing
    context = _context(receipt=found)
    return _render(request, "till/receipt.html", context, title=_("Reçu"))


# --- Sales and refunds ----------------------------------------------------------------------


@router.get("/commercant/ventes")
def sales_page(
    request: Request, person: Merchant, jour: str = "", rembourse: str = "", especes: str = ""
) -> Response:
    today = _on()
    try:
        day = date.fromisoformat(jour) if jour else today
    except ValueError:
        day = today
    found = till.sales_of_day(engine_of(request), str(person.subject_id), day)
    refunded = int(rembourse) if rembourse.isdigit() and len(rembourse) <= 12 else None
    cash = int(especes) if especes.isdigit() and len(especes) <= 12 else 0
    context = _context(
        sales=found,
        day=day,
        today=today,
        previous=date.fromordinal(day.toordinal() - 1),
        following=date.fromordinal(day.toordinal() + 1) if day < today else None,
        refunded=refunded,
        cash_back=cash,
    )
    return _render(request, "till/sales.html", context, title=_("Mes ventes"))


def _sale(request: Request, person: Person, purchase_id: str) -> till.Sale:
    try:
        return till.sale(engine_of(request), str(person.subject_id), purchase_id)
    except svc.NotFound as missing:
        raise PageNotFound() from missing


def _refund_page(
    request: Request,
    sale: till.Sale,
    *,
    errors: FormErrors | None = None,
    typed: str = "",
    key: str = "",
    confirm_cents: int | None = None,
) -> Response:
    context = _context(
        sale=sale,
        errors=errors or FormErrors(),
        values={"montant": typed},
        key=key or till.new_reference(),
        confirm_cents=confirm_cents,
    )
    status = 422 if errors else 200
    return _render(request, "till/refund.html", context, status=status, title=_("Rembourser"))


@router.get("/commercant/ventes/{purchase_id}/rembourser")
def refund_page(request: Request, person: Merchant, purchase_id: str) -> Response:
    sale = _sale(request, person, purchase_id)
    return _refund_page(request, sale, typed=_cents_text(sale.refundable_cents))


def _cents_text(cents: int) -> str:
    whole, part = divmod(cents, 100)
    return f"{whole},{part:02d}"


def refund_errors(sale: till.Sale, cents: int | None) -> FormErrors:
    errors = FormErrors()
    if cents is None:
        errors.add("montant", message("refund_amount"))
    elif cents <= 0:
        errors.add("montant", message("refund_zero"))
    elif cents > sale.refundable_cents:
        errors.add("montant", message("refund_over").format(montant=euros(sale.refundable_cents)))
    return errors


@router.post("/commercant/ventes/{purchase_id}/rembourser")
def refund(request: Request, person: Merchant, purchase_id: str, form: FormDep) -> Response:
    sale = _sale(request, person, purchase_id)
    typed, key = text_of(form, "montant"), text_of(form, "cle")
    cents = parse_cents(typed)
    errors = refund_errors(sale, cents)
    if errors or cents is None or not till.is_reference(key):
        return _refund_page(request, sale, errors=errors, typed=typed)
    if text_of(form, "etape") != "confirmer":
        return _refund_page(request, sale, typed=typed, key=key, confirm_cents=cents)
    try:
        done = till.refund(
            engine_of(request),
            str(person.subject_id),
            purchase_id,
            cents,
            key,
            _on(),
            actor=person.principal.actor,
            now=now(),
        )
    except svc.ServiceError:
        errors.add("montant", message("refund_refused"))
        return _refund_page(
            request, _sale(request, person, purchase_id), errors=errors, typed=typed
        )
    cash = int(done.get("member_due_cents", 0))
    return redirect(f"/commercant/ventes?jour={sale.on}&rembourse={cents}&especes={cash}")


# --- Settlements ------------------------------------------------------------------------------


@router.get("/commercant/reglements")
def settlements_page(request: Request, person: Merchant) -> Response:
    paid, owed = till.settlements(engine_of(request), str(person.subject_id))
    context = _context(paid=paid, owed=owed)
    return _render(request, "till/settlements.html", context, title=_("Mes règlements"))
