"""The charge writer process and the workers' link to it (app.services.writes.charge_link)."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import Future
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.audit.sources import DbSource
from app.audit.verify import verify
from app.cli.charge_writer import charge_writer_process
from app.db.settings import Settings
from app.engine.problems import Problem
from app.services import errors as svc
from app.services.consent import ConsentLocked
from app.services.merchants import purchase_command
from app.services.writes.charge_link import RemoteWriter, encode_outcome, settle
from app.services.writes.execute import prepare
from app.services.writes.group_commit import Charge, GroupWriter, record_one
from tests.services.helpers import ACTOR, CODE, NOW, small_fund

DAY = date(2026, 11, 20)


def charge(purchase_id: str, amount_cents: int, code: str = CODE) -> Charge:
    command = purchase_command(purchase_id, "hh_a", "shop", "food", amount_cents, DAY)
    return Charge(prepare(command), ACTOR, f"key-{purchase_id}", NOW, code)


async def outcome(remote: RemoteWriter, one: Charge) -> Any:
    try:
        return await remote.record(one)
    except svc.ServiceError as error:
        return error


def credit_of_hh_a(engine: Engine) -> int:
    with engine.connect() as connection:
        value = connection.execute(
            text("SELECT balance_cents FROM balance WHERE account = '419:hh_a'")
        ).scalar_one()
    return int(value)


def verified(engine: Engine) -> None:
    source = DbSource(engine)
    try:
        assert verify(source).ok
    finally:
        source.close()


def test_charges_sent_to_the_writer_process_come_back_with_their_outcomes(
    engine: Engine, db_url: str
) -> None:
    small_fund(engine)  # hh_a: 10 000 cents of credit
    with charge_writer_process(Settings(database_url=db_url)) as path:
        assert oct(os.stat(path).st_mode & 0o777) == "0o600"
        remote = RemoteWriter(path, GroupWriter(engine))

        async def run() -> list[Any]:
            charges = [charge(f"p{i:02d}", 1_500) for i in range(20)]
            try:
                return await asyncio.gather(
                    *(outcome(remote, one) for one in [*charges, charge("p99", 10, code="0000")])
                )
            finally:
                remote.stop()

        outcomes = asyncio.run(run())
    accepted = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, svc.InsufficientCredit)]
    assert (len(accepted), len(refused)) == (6, 14)
    assert all(o.extras["requested_cents"] == 1_500 for o in refused)
    assert sorted(o.extras["available_cents"] for o in refused) == [1_000] * 14
    assert isinstance(outcomes[-1], svc.Forbidden)
    assert (remote.sent, remote.local_charges) == (21, 0)
    assert credit_of_hh_a(engine) == -1_000
    verified(engine)


def test_without_a_writer_process_the_worker_records_its_charges_itself(
    engine: Engine, tmp_path: Path
) -> None:
    small_fund(engine)
    remote = RemoteWriter(str(tmp_path / "nobody.sock"), GroupWriter(engine))

    async def run() -> dict[str, Any]:
        try:
            return await remote.record(charge("p1", 2_000))
        finally:
            remote.stop()

    result = asyncio.run(run())
    assert result["credit_cents"] == 2_000
    assert (remote.sent, remote.local_charges) == (0, 1)
    assert credit_of_hh_a(engine) == -8_000


def test_charges_in_flight_on_a_broken_link_are_recorded_once(
    engine: Engine, tmp_path: Path
) -> None:
    """The writer may have committed a charge whose answer was lost: recording it again
    with the same key returns the original result; one it had not committed is recorded."""
    small_fund(engine)
    committed = record_one(engine, charge("p1", 1_000))  # as if the writer had done it
    path = str(tmp_path / "flaky.sock")

    async def run() -> list[Any]:
        async def drop_everything(reader: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            await reader.readline()
            await reader.readline()
            w.close()  # answers nothing: the link breaks with both charges in flight

        server = await asyncio.start_unix_server(drop_everything, path)
        remote = RemoteWriter(path, GroupWriter(engine))
        try:
            return await asyncio.gather(
                remote.record(charge("p1", 1_000)), remote.record(charge("p2", 500))
            )
        finally:
            remote.stop()
            server.close()

    again, fresh = asyncio.run(run())
    assert again == committed
    assert fresh["credit_cents"] == 500 and fresh["seq"] == committed["seq"] + 1
    assert credit_of_hh_a(engine) == -(10_000 - 1_500)
    verified(engine)


def test_refusals_keep_their_class_problems_detail_and_extras_across_the_link() -> None:
    sent: Future[dict[str, Any]] = Future()
    sent.set_exception(
        ConsentLocked(
            (Problem("consent_code", "too many wrong codes"),),
            "Locked.",
            extras={"locked_until": "2026-11-26T10:15:00.000000Z"},
        )
    )
    import json

    received: Future[dict[str, Any]] = Future()
    settle(received, json.loads(encode_outcome(7, sent)))
    error = received.exception()
    assert isinstance(error, ConsentLocked)
    assert error.problems == (Problem("consent_code", "too many wrong codes"),)
    assert error.detail == "Locked."
    assert error.extras == {"locked_until": "2026-11-26T10:15:00.000000Z"}
