"""The ``caisse`` command line loads only what a command uses (issue 12).

Building the parser runs every command family's ``register``; if one of those modules
imported the web framework, the ORM or the cryptography at module level, every command,
``--help`` included, would pay their ~1 s of imports. Each case runs the real CLI in a fresh
interpreter and lists the heavy packages left in ``sys.modules``: a check of what is loaded,
not a timing (timings are in bench/cli_start.py and docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.audit.fec import SEPARATORS
from app.cli.api_cmds import ROLES
from app.cli.ledger_cmds import FEC_SEPARATORS
from app.services.tokens import Role

ROOT = Path(__file__).resolve().parents[2]
CALIEN = str(ROOT / "app" / "rulesets" / "calien.yaml")

# Third-party packages a command of the engine (or --help) never needs, and the layers of
# the application above the engine that pull them in.
HEAVY = (
    "fastapi",
    "starlette",
    "pydantic",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "psycopg",
    "cryptography",
    "uvicorn",
    "jinja2",
    "argon2",
    "app.api",
    "app.web",
    "app.services",
    "app.ledger",
    "app.audit",
    "app.db.session",
)

# Runs the CLI as ``caisse`` does, then reports (on a line of its own, on standard error)
# the heavy modules loaded, whatever the command's exit status.
PROBE = """
import json, sys
from app.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
heavy = json.loads(HEAVY)
loaded = sorted(
    name for name in sys.modules
    if any(name == h or name.startswith(h + ".") for h in heavy)
)
print("LOADED " + json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""

HOUSEHOLDS = [
    {"household_id": "h1", "income_cents": 120000, "persons": [{"birth_on": "1980-05-17"}]},
    {"household_id": "h2", "persons": [{"birth_on": "1990-01-01"}, {"birth_on": "2016-09-30"}]},
]


def loaded_by(*argv: str, env: dict[str, str] | None = None) -> tuple[object, list[str]]:
    """Run ``caisse ARGV`` in a new interpreter: its exit code and the heavy modules loaded."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.replace("HEAVY", repr(json.dumps(HEAVY))), *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    reports = [line for line in done.stderr.splitlines() if line.startswith("LOADED ")]
    assert reports, done.stderr
    report = json.loads(reports[-1].removeprefix("LOADED "))
    return report["code"], report["loaded"]


@pytest.fixture(scope="module")
def households(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli-start") / "households.json"
    path.write_text(json.dumps(HOUSEHOLDS), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "argv",
    [
        ("--help",),
        ("token", "--help"),
        ("access", "create", "--help"),
        ("demo", "--help"),
        ("serve", "--help"),
        ("verify", "--help"),
        ("check-rules", CALIEN),
        ("check-rules", CALIEN, "--text", "--lang", "en", "--period", "2027-03"),
        ("check-rules", str(ROOT / "no-such-rules.yaml")),
    ],
    ids=lambda argv: " ".join(Path(a).name if "/" in a else a for a in argv),
)
def test_help_and_check_rules_load_no_framework_no_database_no_cryptography(
    argv: tuple[str, ...],
) -> None:
    code, loaded = loaded_by(*argv)
    assert code in (0, 2)  # --help exits 0; a missing file is refused with 2
    assert loaded == []


def test_assess_and_preview_load_only_the_engine(households: str) -> None:
    assess = ("assess", "--rules", CALIEN, "--households", households, "--period", "2027-01")
    assert loaded_by(*assess) == (0, [])
    assert loaded_by(*assess, "--text") == (0, [])
    preview = ("preview", "--proposed", CALIEN, "--households", households, "--text")
    assert loaded_by(*preview) == (0, [])


def test_the_probe_sees_heavy_modules_when_a_command_loads_them(tmp_path: Path) -> None:
    """The check is real: ``token list`` does import the ORM and the services (on a SQLite
    file of its own)."""
    database = f"sqlite:///{tmp_path / 'tokens.db'}"
    code, loaded = loaded_by("token", "list", env={**os.environ, "DATABASE_URL": database})
    assert code == 0
    assert {"sqlalchemy", "sqlmodel", "app.services"} <= set(loaded)


def test_the_parser_offers_exactly_the_roles_and_separators_of_the_services() -> None:
    """Choices the parser spells out itself, so as not to import their modules."""
    assert tuple(role.value for role in Role) == ROLES
    assert tuple(SEPARATORS) == FEC_SEPARATORS
