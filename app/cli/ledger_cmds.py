"""Audit commands: ``caisse verify``, ``caisse export journal``, ``caisse export ledger``.

- ``verify [--database URL | --export DIR] [--public-key KEY] [--jobs N]``: replays the journal and
  compares every entry, balance, lot, marker and checkpoint, the registry tables, and
  re-derives every month run's amounts from the journal's rules and the facts (the
  database's, or with ``--export DIR --facts FILE`` those of ``export facts``; without them
  the report's ``not_checked`` says so: docs/verifier.md); prints a JSON report. Exit 0
  when everything agrees, 1 at the first disagreement (the report names its seq, table and
  row), 2 when the source cannot be read. ``--witness FILE``: also the books must extend
  every head of that witness file (the report's ``witness`` names the first seq that does
  not: truncation, rewrite, fork).
- ``verify-proof FILE [--public-key KEY]``: a member's statement inclusion proof checked
  offline (app.audit.inclusion): exit 0 when it proves the statement is in the signed month
  root, 1 with the reasons otherwise.
- ``witness [--database URL]``: append the journal's head, signed, to the witness file now.
- ``export journal DIR``: the pseudonymised export directory the verifier reads.
- ``export facts FILE``: every household's facts not erased, one preimage of its journal
  commitment per line: PERSONAL DATA, for an authorised auditor's ``verify --facts``.
- ``export ledger --format csv|csv-fr|beancount OUT``: postings as CSV (``csv-fr``: ``;``
  between fields and decimal commas), or a beancount journal.
- ``export fec --siren SIREN --year YEAR [--separator tab|pipe] OUT_DIR``: the year's
  *fichier des écritures comptables*, ``OUT_DIR/<SIREN>FEC<YEAR>1231.txt`` (docs/ledger.md,
  "Export FEC"); exit 2 naming the field for a malformed SIREN or year.

The database is ``--database`` or ``DATABASE_URL`` (default the SQLite file of the app).
Start-up: ``register`` runs for every ``caisse`` command, so the audit modules, SQLAlchemy and
the cryptography are imported by the handlers that use them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from app.db.settings import load_settings

if TYPE_CHECKING:
    from app.audit.sources import Source

# ``app.audit.fec.SEPARATORS``' names, spelled here so that building the parser imports no
# audit module (``caisse --help`` loads neither the ORM nor the cryptography: issue 12;
# tests/cli/test_cli_start.py checks the two agree).
FEC_SEPARATORS = ("tab", "pipe")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = subparsers.add_parser(
        "verify", help="replay the journal and compare every entry and balance (exit 1 if not)"
    )
    where = check.add_mutually_exclusive_group()
    where.add_argument("--database", metavar="URL", help="database URL (default DATABASE_URL)")
    where.add_argument("--export", metavar="DIR", help="an export directory instead")
    check.add_argument("--witness", metavar="FILE",
                       help="a witness file kept outside the database (app.audit.witness, "
                            "GET /v1/audit/checkpoints.jsonl): the books must extend every "
                            "head it holds (exit 1 naming the seq otherwise)")
    check.add_argument("--facts", metavar="FILE",
                       help="with --export: the facts file of `caisse export facts`, to "
                            "re-derive every contribution and credit (without it the report "
                            "says which checks it could not do)")
    check.add_argument("--public-key", metavar="KEY",
                       help="the fund's Ed25519 public key (PEM file or 64 hex digits): "
                            "every checkpoint must be signed with it")
    check.add_argument("--jobs", metavar="N", type=_jobs, default=None,
                       help="1: one process; 2: a second process reads, decodes and "
                            "hash-chains an export's journal while the first replays it "
                            "(default: 2 for an export of 4 MiB or more on 2+ CPUs, else 1; "
                            "the report is the same)")
    check.set_defaults(handler=_verify)

    proof = subparsers.add_parser(
        "verify-proof",
        help="check a member's statement proof offline (exit 0 included, 1 not)")
    proof.add_argument("file", metavar="FILE",
                       help="the proof (GET /v1/members/{id}/statements/{month}/proof)")
    proof.add_argument("--public-key", metavar="KEY",
                       help="the fund's Ed25519 public key (PEM file or 64 hex digits)")
    proof.set_defaults(handler=_verify_proof)
    head = subparsers.add_parser(
        "witness", help="append the journal's current head, signed, to the witness file")
    head.add_argument("--database", metavar="URL", help="database URL (default DATABASE_URL)")
    head.set_defaults(handler=_witness_now)

    export = subparsers.add_parser("export", help="export the journal or the ledger")
    kinds = export.add_subparsers(dest="export_kind", metavar="WHAT")
    kinds.required = True
    journal = kinds.add_parser("journal", help="journal + projections for `caisse verify`")
    journal.add_argument("directory", metavar="DIR")
    journal.add_argument("--database", metavar="URL", help="database URL (default DATABASE_URL)")
    journal.set_defaults(handler=_export_journal)
    facts = kinds.add_parser(
        "facts", help="households' facts (PERSONAL DATA) for an authorised auditor's "
                      "`caisse verify --export DIR --facts FILE`")
    facts.add_argument("out", metavar="FILE", help="output file ('-' for standard output)")
    facts.add_argument("--database", metavar="URL", help="database URL (default DATABASE_URL)")
    facts.set_defaults(handler=_export_facts)
    ledger = kinds.add_parser("ledger", help="the ledger as CSV or as a beancount journal")
    ledger.add_argument("--format", choices=("csv", "csv-fr", "beancount"), default="csv",
                        help="csv-fr: French conventions (';' separator, decimal comma)")
    ledger.add_argument("out", metavar="OUT", help="output file ('-' for standard output)")
    ledger.add_argument("--database", metavar="URL", help="database URL (default DATABASE_URL)")
    ledger.set_defaults(handler=_export_ledger)
    fec = kinds.add_parser("fec", help="the year's fichier des écritures comptables (FEC)")
    fec.add_argument("directory", metavar="OUT_DIR", help="directory to write the file in")
    fec.add_argument("--siren", required=True, help="the fund's SIREN (9 digits)")
    fec.add_argument("--year", required=True, help="fiscal year (calendar year), e.g. 2027")
    fec.add_argument("--separator", choices=FEC_SEPARATORS, default="tab")
    fec.add_argument("--database", metavar="URL", help="database URL (default DATABASE_URL)")
    fec.set_defaults(handler=_export_fec)
    from app.cli.research_cmds import register_export

    register_export(kinds)  # caisse export indicators DIR (issue 13)


def _print(document: dict[str, Any], stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n")


def _fail(message: str) -> int:
    _print({"ok": False, "error": message}, sys.stderr)
    return 2


@contextmanager
def _database(url: str | None) -> Any:
    from app.audit.sources import DbSource, read_engine

    source = DbSource(read_engine(url or load_settings().database_url))
    try:
        yield source
    finally:
        source.close()
        source.engine.dispose()


def public_key_bytes(text: str) -> bytes:
    """Raw Ed25519 public key from 64 hex digits or a PEM file; ``ValueError`` otherwise."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        PublicFormat,
        load_pem_public_key,
    )

    candidate = text.strip().lower()
    if len(candidate) == 64 and all(c in "0123456789abcdef" for c in candidate):
        return bytes.fromhex(candidate)
    key = load_pem_public_key(Path(text).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{text} is not an Ed25519 public key")
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _guarded(work: Callable[[], int]) -> int:
    try:
        return work()
    except Exception as error:
        if not isinstance(error, (OSError, ValueError, KeyError)) and not _database_error(error):
            raise
        return _fail(f"cannot read the books: {type(error).__name__}: {error}")


def _database_error(error: Exception) -> bool:
    """A SQLAlchemy error. Only code that loaded SQLAlchemy can raise one, so it is not
    imported here: verifying an export never loads it (start-up, issue 11)."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(error, errors.SQLAlchemyError)


def _verify(args: argparse.Namespace) -> int:
    from app.audit.sources import ExportSource

    def run() -> int:
        key = None if args.public_key is None else public_key_bytes(args.public_key)
        if args.export is not None:
            facts = None if args.facts is None else Path(args.facts)
            return _report(ExportSource(Path(args.export), facts), key, args.jobs, args.witness)
        if args.facts is not None:
            raise ValueError("--facts goes with --export (a database holds its own facts)")
        with _database(args.database) as source:
            return _report(source, key, args.jobs, args.witness)

    return _guarded(run)


def _jobs(text: str) -> int:
    jobs = int(text)
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more processes, got {text!r}")
    return jobs


def _report(
    source: Source, key: bytes | None, jobs: int | None = None, witness: str | None = None
) -> int:
    from app.audit.verify import verify

    report = verify(source, key, jobs)
    document = report.as_dict()
    ok = report.ok
    if witness is not None:  # the anchor outside the database (app.audit.witness)
        from app.audit.witness import check_source

        document["witness"] = check_source(Path(witness), source, key)
        ok = ok and bool(document["witness"]["ok"])
    _print(document)
    return 0 if ok else 1


def _verify_proof(args: argparse.Namespace) -> int:
    from app.audit.inclusion import check

    def run() -> int:
        key = None if args.public_key is None else public_key_bytes(args.public_key)
        document = json.loads(Path(args.file).read_text(encoding="utf-8"))
        problems = check(document, key)
        statement = document.get("statement") if isinstance(document, dict) else None
        _print({"ok": not problems, "file": args.file, "problems": problems,
                "statement": statement if isinstance(statement, dict) else None})
        return 0 if not problems else 1

    return _guarded(run)


def _witness_now(args: argparse.Namespace) -> int:
    from app.audit.witness import witness_now
    from app.db.settings import witness_file

    def run() -> int:
        with _database(args.database) as source:
            line = witness_now(source.engine)
        _print({"ok": True, "file": str(witness_file()), "witnessed": line})
        return 0

    return _guarded(run)


def _export_journal(args: argparse.Namespace) -> int:
    from app.audit.export import export_journal

    def run() -> int:
        with _database(args.database) as source:
            manifest = export_journal(source, Path(args.directory))
        _print({"ok": True, "directory": args.directory, **manifest})
        return 0

    return _guarded(run)


def _export_facts(args: argparse.Namespace) -> int:
    from app.audit.export import export_facts

    def run() -> int:
        with _database(args.database) as source:
            if args.out == "-":
                lines = export_facts(source, sys.stdout)
            else:
                with Path(args.out).open("w", encoding="utf-8") as out:
                    lines = export_facts(source, out)
        if args.out != "-":
            _print({"ok": True, "file": args.out, "households_facts": lines})
        return 0

    return _guarded(run)


def _export_ledger(args: argparse.Namespace) -> int:
    def run() -> int:
        with _database(args.database) as source:
            if args.out == "-":
                count = _write_ledger(source, args.format, sys.stdout)
            else:
                with open(args.out, "w", encoding="utf-8", newline="") as out:
                    count = _write_ledger(source, args.format, out)
        if args.out != "-":
            _print({"ok": True, "format": args.format, "out": args.out, "rows": count})
        return 0

    return _guarded(run)


def _write_ledger(source: Source, fmt: str, out: TextIO) -> int:
    from app.audit.beancount_export import export_beancount
    from app.audit.export import export_ledger_csv

    if fmt == "beancount":
        return export_beancount(source, out)
    if fmt == "csv-fr":
        return export_ledger_csv(source, out, delimiter=";", decimal=",")
    return export_ledger_csv(source, out)


def _export_fec(args: argparse.Namespace) -> int:
    from app.audit.fec import fec_file_name, validate_siren, validate_year, write_fec

    try:
        siren, year = validate_siren(args.siren), validate_year(args.year)
    except ValueError as error:
        return _fail(f"--{error}")

    def run() -> int:
        directory = Path(args.directory)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / fec_file_name(siren, year)
        partial = path.with_name(path.name + ".part")  # no half-written FEC under its name
        try:
            with _database(args.database) as source, \
                    partial.open("w", encoding="utf-8", newline="") as out:
                summary = write_fec(source, out, year, args.separator)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        _print({"ok": True, "file": str(path), "year": year, **summary._asdict()})
        return 0

    return _guarded(run)
