"""kill -9 in the middle of a submission burst: nothing answered is lost, nothing is doubled,
nothing is half-written, and the audit chain still verifies (§4.2: a serial is issued once)."""
from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter

import pytest
from click.testing import CliRunner
from sqlmodel import select

from bench.common import AsyncClient, HttpError, Timings
from bench.load import StepFailed, fill_in, prepare_guardians, submit
from core.cli import main
from core.db import make_engine, read_session
from core.models import Application, Event
from core.serials import is_valid_serial
from tests.production.conftest import SECRET_KEY

GUARDIANS = 24
SANDBOX = {"XUEWEI_SANDBOX_SEED": "8", "XUEWEI_SANDBOX_POPULATION": str(GUARDIANS)}


async def _fill_in_all(port, guardians):
    client, timings = AsyncClient("127.0.0.1", port), Timings()
    for guardian in guardians:
        await fill_in(client, guardian, timings)
    await client.close()


async def _burst(port, guardians, kill, kill_after: int, clients: int = 6) -> dict[int, str]:
    """Submit for every guardian from `clients` connections; call kill() once `kill_after` answered."""
    answered: dict[int, str] = {}
    queue = iter(guardians)
    killed = False

    async def one_tab():
        nonlocal killed
        client = AsyncClient("127.0.0.1", port, timeout=20, retry_stale=False)
        for guardian in queue:
            try:
                answered[guardian.application_id] = await submit(client, guardian, Timings())
            except (HttpError, StepFailed):
                continue
            if len(answered) >= kill_after and not killed:
                killed = True
                kill()
        await client.close()

    await asyncio.gather(*(one_tab() for _ in range(clients)))
    return answered


def _audit_verify(db_url: str):
    """`xuewei audit verify` on the database, as an operator runs it after a crash."""
    return CliRunner().invoke(main, ["audit", "verify"], env={"DATABASE_URL": db_url})


def _assert_consistent(db_url: str, answered: dict[int, str]) -> None:
    engine = make_engine(db_url)
    with read_session(engine) as session:
        applications = session.exec(select(Application)).all()
        submit_events = session.exec(select(Event).where(Event.action == "submit")).all()
    engine.dispose()
    stored = {a.id: a.serial for a in applications if a.serial}
    # Every serial a guardian was shown is stored on their application.
    assert {i: stored.get(i) for i in answered} == answered
    # No serial twice, every serial well-formed.
    assert [s for s, n in Counter(stored.values()).items() if n > 1] == []
    assert all(is_valid_serial(s) for s in stored.values())
    # Nothing half-written: a serial comes with the whole submission, and without one nothing moved.
    for a in applications:
        if a.serial:
            assert (a.state, a.frozen_facts is not None, a.ruleset_sha256 is not None, a.submitted_at is not None) \
                == ("submitted", True, True, True), a.id
        else:
            assert (a.state, a.frozen_facts, a.submitted_at) == ("draft", None, None), a.id
    # Exactly one audit event per submission, naming the serial it issued.
    assert sorted((e.subject_id, (e.data or {}).get("serial")) for e in submit_events) == \
        sorted((str(i), s) for i, s in stored.items())
    result = _audit_verify(db_url)
    assert result.exit_code == 0, result.output


@pytest.mark.slow
@pytest.mark.parametrize("victims", ["workers", "master_and_workers"])
def test_kill_9_during_submission_burst_loses_and_doubles_nothing(db_url, serve, victims):
    guardians = prepare_guardians(db_url, SECRET_KEY, count=GUARDIANS, seed=int(SANDBOX["XUEWEI_SANDBOX_SEED"]))
    server = serve(workers=2, threads=4, extra_env=SANDBOX)
    asyncio.run(_fill_in_all(server.port, guardians))
    server.wait_workers(2)

    def kill():
        if victims == "workers":
            for pid in server.worker_pids():
                os.kill(pid, signal.SIGKILL)
        else:
            server.kill(signal.SIGKILL)

    answered = asyncio.run(_burst(server.port, guardians, kill, kill_after=GUARDIANS // 4))
    assert GUARDIANS // 4 <= len(answered) < GUARDIANS, "the kill did not land in the middle of the burst"
    if victims == "master_and_workers":
        server = serve(workers=2, threads=4, extra_env=SANDBOX, port=server.port)
    _assert_consistent(db_url, answered)

    # After the restart every guardian can submit again: the ones whose submission committed
    # unanswered get the serial they already have, the others a new one.
    again = asyncio.run(_burst(server.port, guardians, kill=lambda: None, kill_after=GUARDIANS + 1))
    assert len(again) == GUARDIANS
    assert {i: again[i] for i in answered} == answered
    _assert_consistent(db_url, again)
