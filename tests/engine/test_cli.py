"""The engine commands of the ``caisse`` CLI: exact outputs, exit codes, every input problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.engine import parse_rule_set


def _doc(version: int, rate: str, credit: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": "caisse.rules/1",
        "id": "simple",
        "version": version,
        "effective_from": "2026-11",
        "decision": "Comité du 2026-10-01",
        "contribution": {"formula": {"kind": "proportional", "base": "income", "rate": rate}},
        "credit": {"formula": credit},
    }


CURRENT = _doc(1, "0.02", {"kind": "per_person", "amount_cents": 6000})
PROPOSED = _doc(2, "0.03", {"kind": "fixed", "amount_cents": 10000})
HOUSEHOLDS = [
    {"household_id": "h1", "income_cents": 100000, "persons": [{"birth_on": "1980-05-17"}]},
    {
        "household_id": "h2",
        "income_cents": 200000,
        "persons": [{"birth_on": "1980-05-17"}, {"birth_on": "1982-01-02"}],
    },
    {"household_id": "h3", "persons": [{"birth_on": "1990-01-01"}]},
]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    paths = {
        "current": tmp_path / "current.json",
        "proposed": tmp_path / "proposed.yaml",
        "households": tmp_path / "households.json",
    }
    paths["current"].write_text(json.dumps(CURRENT), encoding="utf-8")
    # YAML accepts JSON; the proposed rules are read through the YAML path.
    paths["proposed"].write_text(json.dumps(PROPOSED), encoding="utf-8")
    paths["households"].write_text(json.dumps(HOUSEHOLDS), encoding="utf-8")
    return {name: str(path) for name, path in paths.items()}


def _json(text: str) -> Any:
    return json.loads(text)


def test_check_rules_prints_the_rule_set_and_no_finding_as_sorted_json(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-rules", files["current"]]) == 0
    out = capsys.readouterr().out
    expected = {
        "file": files["current"],
        "findings": [],
        "problems": [],
        "rule_set": {
            "content_hash": parse_rule_set(CURRENT).content_hash,
            "decision": "Comité du 2026-10-01",
            "effective_from": "2026-11",
            "rule_set_id": "simple",
            "version": 1,
        },
        "valid": True,
    }
    assert out == json.dumps(expected, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_check_rules_lists_every_problem_with_its_path_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = dict(CURRENT, version=0)
    del bad["decision"]
    bad["contribution"] = {"formula": {"kind": "proportional", "base": "income", "rate": 0.02}}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    assert main(["check-rules", str(path)]) == 2
    report = _json(capsys.readouterr().out)
    assert report["valid"] is False
    assert [p["path"] for p in report["problems"]] == [
        "version",
        "decision",
        "contribution.formula.rate",
    ]


def test_check_rules_text_reports_error_findings_in_french_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixed = dict(CURRENT, contribution={"formula": {"kind": "fixed", "amount_cents": 1000}})
    path = tmp_path / "fixed.yaml"
    path.write_text(json.dumps(fixed), encoding="utf-8")
    assert main(["check-rules", str(path), "--max-share", "0.1", "--text"]) == 1
    digest = parse_rule_set(fixed).content_hash.split(":")[-1][:12]
    shapes = [
        "1 adulte",
        "2 adultes",
        "1 adulte + 1 enfant (8 ans)",
        "2 adultes + 2 enfants (15 et 8 ans)",
        "2 adultes + 3 enfants (15, 8 et 3 ans)",
    ]
    assert capsys.readouterr().out.splitlines() == [
        f"Règles « simple » version 1 ({digest}) : valides.",
        *(
            f"[erreur] Composition « {shape} » : la participation dépasse 10,00 % des "
            "ressources de 0,00 € à 50,00 € de ressources (par exemple 10,00 € pour 0,00 €)."
            for shape in shapes
        ),
    ]


def test_assess_outputs_every_household_and_the_totals_in_cents(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["assess", "--rules", files["current"], "--households", files["households"]]) == 0
    report = _json(capsys.readouterr().out)
    assert report["period"] == "2026-11"
    assert report["totals"] == {
        "households": 3,
        "by_status": {"assessed": 2, "needs_data": 1, "not_eligible": 0, "rejected": 0},
        "contributions_cents": 6000,
        "entitlements_cents": 18000,
        "credits_cents": 18000,
        "funder_shares_cents": 0,
        "shortfall_cents": 12000,
    }
    first, _, third = report["assessments"]
    assert (first["household_id"], first["contribution_cents"], first["credit_cents"]) == (
        "h1",
        2000,
        6000,
    )
    assert first["explanation"]["rule_set"]["version"] == 1
    assert (third["status"], third["problems"]) == (
        "needs_data",
        [{"path": "income_cents", "message": "the household's monthly resources are not declared"}],
    )


def test_assess_text_is_french_by_default(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["assess", "--rules", files["current"], "--households", files["households"]]
    assert main([*args, "--text", "--no-explain"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Règles « simple » version 1, mois 2026-11 : 3 foyer(s).",
        "Foyer h1 — calculé : participation 20,00 €, crédit 60,00 €.",
        "Foyer h2 — calculé : participation 40,00 €, crédit 120,00 €.",
        "Foyer h3 — données manquantes :",
        "  ! income_cents: the household's monthly resources are not declared",
        "Total : participations 60,00 €, crédits 180,00 €, part des financeurs 0,00 €, "
        "à la charge du fonds 120,00 €.",
    ]


def test_assess_text_in_english_with_a_budget_and_a_period(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["assess", "--rules", files["current"], "--households", files["households"]]
    assert (
        main(
            [
                *args,
                "--text",
                "--lang",
                "en",
                "--no-explain",
                "--budget-cents",
                "9000",
                "--period",
                "2026-12",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.splitlines() == [
        'Rules "simple" version 1, month 2026-12: 3 household(s).',
        "Household h1 — assessed: contribution €20.00, credit €30.00.",
        "Household h2 — assessed: contribution €40.00, credit €60.00.",
        "Household h3 — needs data:",
        "  ! income_cents: the household's monthly resources are not declared",
        "Total: contributions €60.00, credits €90.00, funders' share €0.00, left to the fund €30.00.",
    ]


def test_preview_json_has_totals_changes_buckets_and_deciles(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["preview", "--current", files["current"], "--proposed", files["proposed"]]
    assert main([*args, "--households", files["households"]]) == 0
    report = _json(capsys.readouterr().out)
    assert report["current"]["net_cost_cents"] == 12000
    assert report["proposed"]["net_cost_cents"] == 11000
    assert report["buckets"]["gains_over_20"] == 1
    assert report["buckets"]["loses_over_20"] == 1
    assert report["buckets"]["not_comparable"] == 1
    assert [c["net_delta_cents"] for c in report["changes"]] == [3000, -4000, None]
    assert [row["group"] for row in report["deciles"]] == ["1", "6", "needs_data"]


def test_preview_text_compares_both_rule_sets(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["preview", "--current", files["current"], "--proposed", files["proposed"]]
    assert main([*args, "--households", files["households"], "--text"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Aperçu 2026-11 : simple v2 (proposées) contre simple v1 (en vigueur), 3 foyer(s).",
        "                            en vigueur     proposées         écart",
        "Participations                 60,00 €       90,00 €      +30,00 €",
        "Crédits                       180,00 €      200,00 €      +20,00 €",
        "Part des financeurs             0,00 €        0,00 €        0,00 €",
        "Coût net                      120,00 €      110,00 €      -10,00 €",
        "Gagnants et perdants (solde = crédit − participation) :",
        "  perd plus de 20 €              1",
        "  perd de 5 à 20 €               0",
        "  perd moins de 5 €              0",
        "  inchangé                       0",
        "  gagne moins de 5 €             0",
        "  gagne de 5 à 20 €              0",
        "  gagne plus de 20 €             1",
        "  non comparable (statut)        1",
        "Par décile de ressources par UC :",
        "  décile 1 (1000,00 € – 1000,00 €) : 1 foyer(s), évolution du solde +30,00 €",
        "  décile 6 (1333,33 € – 1333,33 €) : 1 foyer(s), évolution du solde -40,00 €",
        "  données manquantes : 1 foyer(s), évolution du solde 0,00 €",
    ]


def test_households_file_problems_are_all_reported_with_paths(
    tmp_path: Path, files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "households.yaml"
    path.write_text(
        "- household_id: a\n"
        "  income_cents: -5\n"
        "  persons: [{birth_on: '1980-13-01'}]\n"
        "- household_id: a\n"
        "  colour: blue\n"
        "- {household_id: '', priority_tier: -1}\n",
        encoding="utf-8",
    )
    assert main(["assess", "--rules", files["current"], "--households", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{path}: households[0].persons[0].birth_on: expected a date \"YYYY-MM-DD\", got '1980-13-01'",
        f"{path}: households[0].income_cents: expected zero or more, got -5",
        f"{path}: households[1].colour: unknown field; allowed: household_id, income_cents, "
        "persons, chosen_contribution_cents, engagement_minutes, attributes, active_from, "
        "active_until, priority_tier",
        f"{path}: households[2].priority_tier: expected 0 or more, got -1",
        f"{path}: households[2].household_id: expected a non-empty identifier",
    ]


def test_negative_income_is_refused_with_its_path(
    tmp_path: Path, files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "households.json"
    path.write_text(json.dumps([{"household_id": "a", "income_cents": -5}]), encoding="utf-8")
    assert main(["assess", "--rules", files["current"], "--households", str(path)]) == 2
    assert (
        capsys.readouterr().err
        == f"{path}: households[0].income_cents: expected zero or more, got -5\n"
    )


def test_missing_rules_file_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nope.yaml")
    assert main(["check-rules", missing]) == 2
    report = _json(capsys.readouterr().out)
    assert report == {
        "file": missing,
        "valid": False,
        "problems": [
            {"path": missing, "message": "cannot read the file: No such file or directory"}
        ],
    }


def test_bundled_rule_sets_pass_check_rules(capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[2] / "app" / "rulesets"
    for path in sorted(root.glob("*.yaml")):
        assert main(["check-rules", str(path)]) == 0, path.name
        report = _json(capsys.readouterr().out)
        assert report["valid"] is True
        assert [f["severity"] for f in report["findings"] if f["severity"] != "info"] == []
