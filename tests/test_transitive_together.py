"""``--transitive`` resolves the apps' closures on the calling thread while the process keeps
busy (a warm cache: threads taking the GIL in turn only slow that work down), and hands the
rest to threads once it waits for the index (a cold cache: the waits then overlap)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from depsplit.errors import DepsplitError
from depsplit.transitive import closures


def _recording(runs: list[tuple[int, str]], work: Callable[[], None]) -> list[Callable[[], None]]:
    def job(i: int) -> Callable[[], None]:
        def run() -> None:
            work()
            runs.append((i, threading.current_thread().name))

        return run

    return [job(i) for i in range(12)]


def _busy() -> None:
    end = time.process_time() + 0.05
    while time.process_time() < end:
        pass


def test_work_that_keeps_the_process_busy_stays_on_the_calling_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """0.6 s of work in all: were wall time (not waiting) counted, the rest would go to
    the threads after 0.5 s."""
    monkeypatch.setattr(closures, "WAIT_BEFORE_THREADS", 0.5)
    runs: list[tuple[int, str]] = []
    closures.together(_recording(runs, _busy))
    assert sorted(i for i, _ in runs) == list(range(12))
    assert {name for _, name in runs} == {threading.current_thread().name}


def test_once_the_process_waits_the_rest_goes_to_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(closures, "WAIT_BEFORE_THREADS", 0.25)
    runs: list[tuple[int, str]] = []
    closures.together(_recording(runs, lambda: time.sleep(0.1)))  # a fetch: waiting, idle
    assert sorted(i for i, _ in runs) == list(range(12))  # each job once
    here = threading.current_thread().name
    on_caller = [i for i, name in runs if name == here]
    # Over 0.25 s waited after the third job (the second when a sleep overshoots).
    assert on_caller in ([0, 1], [0, 1, 2])
    assert all(name.startswith("depsplit-resolve") for i, name in runs if i not in on_caller)


def test_a_job_s_index_error_is_left_to_the_pass_that_follows() -> None:
    ran: list[int] = []

    def failing(i: int) -> Callable[[], None]:
        def run() -> None:
            ran.append(i)
            raise DepsplitError("the index is down")

        return run

    closures.together([failing(i) for i in range(4)])
    assert sorted(ran) == [0, 1, 2, 3]
