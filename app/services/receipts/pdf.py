"""A tax receipt as PDF (the fields of Cerfa 11580 *Reçu au titre des dons à certains
organismes d'intérêt général*), drawn with fpdf2.

Guarantees: deterministic: the same printed facts give the same bytes (fixed creation date =
the receipt's issue day, fixed producer and creator, no timestamp, the file id derived from
the content); text in the PDF's standard Helvetica with the Windows-1252 encoding (French
accents, €, œ), so ``pypdf`` reads it back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from babel.dates import format_date
from fpdf import FPDF

from app.engine.money import format_cents, format_rate, parse_rate

MODES = {
    "cheque": "Chèque",
    "virement": "Virement, prélèvement, carte bancaire",
    "especes": "Remise d'espèces",
}
_LINE = 5.5


def _euros(cents: int) -> str:
    whole, rest = format_cents(cents).split(",")
    groups = f"{int(whole):,}".replace(",", " ")
    return f"{groups},{rest} €"


def _percent(rate: str) -> str:
    return format_rate(parse_rate(rate) * 100).replace(".", ",") + " %"


def _day(text: str) -> str:
    return date.fromisoformat(text).strftime("%d/%m/%Y")


def _month(period: str) -> str:
    """``2027-03`` -> ``mars 2027``."""
    year, month = period.split("-")
    return format_date(date(int(year), int(month), 1), format="MMMM y", locale="fr")


def _months(months: list[dict[str, Any]]) -> str:
    """Each month's over-contribution: paid, credit granted, gift."""
    return " ; ".join(
        f"{_month(str(m['period']))} : cotisation payée {_euros(int(m['paid_cents']))}, "
        f"crédit reçu {_euros(int(m['granted_cents']))}, don {_euros(int(m['gift_cents']))}"
        for m in months
    )


class _Receipt(FPDF):
    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font("helvetica", "B", 11)
        self.set_fill_color(230, 230, 230)
        self.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT", fill=True)
        self.set_font("helvetica", "", 10)
        self.ln(1)

    def field(self, label: str, value: str) -> None:
        """``label`` in bold and its value after it, on one line when it fits."""
        self.set_font("helvetica", "B", 10)
        self.write(_LINE, f"{label} ")
        self.set_font("helvetica", "", 10)
        self.multi_cell(0, _LINE, value, new_x="LMARGIN", new_y="NEXT")

    def box(self, ticked: bool, text: str) -> None:
        self.multi_cell(
            0, _LINE, f"[{'X' if ticked else ' '}] {text}", new_x="LMARGIN", new_y="NEXT"
        )


def render(printed: dict[str, Any]) -> bytes:
    """The PDF of one receipt from what it printed (app.services.receipts.issue)."""
    org: dict[str, str] = printed["organisation"]
    donor: dict[str, str] = printed["donor"]
    issued = date.fromisoformat(str(printed["issued_on"]))
    pdf = _Receipt(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_creation_date(datetime(issued.year, issued.month, issued.day, tzinfo=UTC))
    pdf.set_producer("caisse")
    pdf.set_creator("caisse")
    pdf.set_title(f"Reçu fiscal {printed['receipt_id']}")
    pdf.set_margins(18, 15, 18)
    pdf.set_auto_page_break(True, 15)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 13)
    pdf.multi_cell(
        0,
        7,
        "Reçu au titre des dons à certains organismes d'intérêt général",
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    pdf.set_font("helvetica", "", 9)
    pdf.multi_cell(
        0,
        5,
        "Articles 200, 238 bis et 978 du code général des impôts (modèle Cerfa n° 11580)",
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(0, 8, f"Reçu numéro {printed['receipt_id']}", new_x="LMARGIN", new_y="NEXT", align="C")

    pdf.heading("Organisme bénéficiaire")
    pdf.field("Nom ou dénomination :", org["name"])
    pdf.field("Adresse :", org["address"])
    pdf.field("N° SIREN ou RNA :", org["siren_rna"])
    pdf.field("Objet :", org["object"])
    pdf.field("Qualité de l'organisme :", org["quality"])
    pdf.box(True, "Organisme d'intérêt général")

    pdf.heading("Donateur")
    pdf.field("Nom, prénoms ou dénomination :", donor["name"])
    pdf.field("Adresse :", donor["address"])

    pdf.heading("Don")
    pdf.multi_cell(
        0,
        _LINE,
        "Le bénéficiaire reconnaît avoir reçu au titre des dons et versements ouvrant droit à "
        "réduction d'impôt la somme de :",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.field("Montant en chiffres :", _euros(int(printed["amount_cents"])))
    pdf.field("Somme en toutes lettres :", str(printed["amount_words"]))
    days = [_day(str(d)) for d in printed["paid_on"]]
    pdf.field("Date(s) du versement ou du don :", ", ".join(days))
    pdf.field("Année :", str(printed["year"]))
    pdf.field("Forme du don :", str(printed["form"]))
    pdf.field("Nature du don :", str(printed["nature"]))
    if printed.get("basis") == "over_contribution":
        pdf.field("Origine du don :", str(printed["rule"]))
        pdf.field("Détail par mois :", _months(list(printed["months"])))
    pdf.set_font("helvetica", "B", 10)
    pdf.cell(0, _LINE, "Mode de versement :", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 10)
    for code, label in MODES.items():
        pdf.box(code == printed["mode"], label)
    pdf.ln(1)
    pdf.multi_cell(
        0,
        _LINE,
        f"Le bénéficiaire certifie sur l'honneur que les dons et versements qu'il reçoit "
        f"ouvrent droit à la réduction d'impôt prévue à l'article {printed['article']} du code "
        f"général des impôts (CGI).",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.multi_cell(
        0,
        _LINE,
        f"Réduction d'impôt sur le revenu : {_percent(str(printed['reduction_rate']))} du "
        f"montant du don, soit {_euros(int(printed['reduction_cents']))}, dans la limite de "
        f"{_percent(str(printed['ceiling_rate']))} du revenu imposable du donateur (l'excédent "
        f"est reportable sur les cinq années suivantes).",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    pdf.field("Date et signature :", f"Fait à {org['place']}, le {_day(str(printed['issued_on']))}")
    pdf.multi_cell(0, _LINE, org["signatory"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.cell(0, _LINE, "Signature : ______________________________", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
