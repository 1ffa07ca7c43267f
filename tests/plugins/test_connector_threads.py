"""Source calls run on reused daemon threads: a fetch no longer starts a thread per call, and a
plugin that hangs still costs only its own thread."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from core.connectors import Policy
from core.connectors.threads import DaemonThreads
from core.hookspecs import hookimpl
from plugin_test_data import PUPIL


class Answering:
    """Every source answers at once, with nothing found."""

    @hookimpl
    def fetch_pupil_record(self, pupil_id_number):
        return None

    @hookimpl
    def fetch_leases(self, id_numbers):
        return {"leases": []}

    @hookimpl
    def fetch_properties(self, id_numbers):
        return {"properties": []}


def test_fetches_reuse_the_threads_of_earlier_fetches(xuewei_runtime, family):
    runtime = xuewei_runtime(Answering())
    runtime.fetch_facts(PUPIL, family, sources=["leases", "properties"])
    after_first = runtime.threads.started
    for _ in range(20):
        assert runtime.fetch_facts(PUPIL, family, sources=["leases", "properties"]).complete
    assert after_first <= 4  # two sources, each bounded by a thread of its own
    assert runtime.threads.started - after_first <= 2, "twenty fetches should not start a thread each"


def test_a_fetch_hands_each_attempt_to_a_pool_thread_once(xuewei_runtime, family):
    """One hand-off per source asked (a thread hand-off costs more CPU than a sandbox answer):
    the thread that fetches waits for all the attempts itself."""
    runtime = xuewei_runtime(Answering())
    handed: list[str] = []
    submit = runtime.threads.submit
    runtime.threads.submit = lambda fn, *args: handed.append(fn.__name__) or submit(fn, *args)
    assert runtime.fetch_facts(PUPIL, family, sources=["pupil_record", "leases", "properties"]).complete
    assert len(handed) == 3


def test_a_hung_call_keeps_its_thread_and_the_next_call_gets_another(xuewei_runtime, family):
    """The first attempt hangs past its timeout; the retry runs on another thread. Released by
    the retry, the first answers too, late: the retry's answer is the one kept."""
    first_may_answer = threading.Event()
    first_answered = threading.Event()

    class StuckOnce:
        calls = 0

        @hookimpl
        def fetch_business(self, id_numbers):
            StuckOnce.calls += 1
            if StuckOnce.calls == 1:
                first_may_answer.wait(10)
                first_answered.set()
                return {"business": [{"holder": "father", "credit_code": "stale"}]}
            first_may_answer.set()
            first_answered.wait(10)
            return {"business": []}

    runtime = xuewei_runtime(StuckOnce(), policy=Policy(timeout=0.05, retries=1, backoff=0.0))
    outcome, fetched = runtime.call_source_named("business", id_numbers=family)
    assert outcome.attempts == 2 and fetched is not None and fetched.payload == {"business": []}


def test_an_exception_reaches_the_caller():
    pool = DaemonThreads("test")

    def broken():
        raise LookupError("a bug in the runtime")

    with pytest.raises(LookupError, match="a bug"):
        pool.submit(broken).result(5)


def test_idle_threads_retire_and_at_most_keep_idle_wait():
    pool = DaemonThreads("test-retire", keep_idle=2, idle_seconds=0.2)
    go = threading.Barrier(6, timeout=5)
    calls = [pool.submit(go.wait) for _ in range(5)]
    go.wait()
    for call in calls:
        call.result(5)
    time.sleep(0.05)
    assert _alive("test-retire") <= 2
    deadline = time.monotonic() + 5
    while _alive("test-retire") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _alive("test-retire") == 0
    assert pool.submit(lambda: "still serves").result(5) == "still serves"


def test_a_waiting_thread_takes_every_task_handed_to_it():
    """Tasks handed to idle threads under load, while some retire: none is lost."""
    pool = DaemonThreads("test-handover", keep_idle=3, idle_seconds=0.001)
    for round_ in range(200):
        calls = [pool.submit(lambda n=n: n * round_) for n in range(4)]
        assert [call.result(5) for call in calls] == [n * round_ for n in range(4)]


def test_a_hung_plugin_does_not_keep_the_process_from_exiting():
    code = ("from core.connectors.threads import DaemonThreads\n"
            "import threading\n"
            "DaemonThreads('hung').submit(threading.Event().wait)\n"
            "print('exiting')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and done.stdout.strip() == "exiting"


def _alive(prefix: str) -> int:
    return sum(t.name.startswith(prefix) for t in threading.enumerate())


def test_pool_threads_leave_stop_signals_to_the_main_thread():
    """A signal sent to the process goes to a thread that does not block it: it must be the main
    thread (the scheduler takes SIGTERM with sigwait there), never a lingering pool thread."""
    import signal

    from core.connectors.threads import HELD_SIGNALS

    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    blocked = DaemonThreads("test-signals").submit(lambda: signal.pthread_sigmask(signal.SIG_BLOCK, [])).result(5)
    assert {signal.SIGTERM, signal.SIGINT} <= HELD_SIGNALS <= blocked
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before, "the caller's own mask is left as it was"
