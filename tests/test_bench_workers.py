"""The runner's workers (benchmarks/workers.py): a process per implementation."""
from __future__ import annotations

import os
from typing import Any

from benchmarks.workers import Workers

SEEN: list[Any] = []


def body(index: int, *args: Any) -> Any:
    if args[0] == "raise":
        raise ValueError("bad input")
    if args[0] == "die":
        os._exit(3)
    SEEN.append(args[0])              # in the worker's memory only
    return {"index": index, "pid": os.getpid(), "seen": list(SEEN)}


def test_each_implementation_runs_in_its_own_process_kept_between_calls() -> None:
    w = Workers(body)
    try:
        a1, b1, a2 = w.call(0, "x"), w.call(1, "y"), w.call(0, "z")
        assert a1["pid"] != os.getpid() and b1["pid"] not in (os.getpid(), a1["pid"])
        assert a2["pid"] == a1["pid"]                    # the same worker, its state kept
        assert a2["seen"] == ["x", "z"] and b1["seen"] == ["y"]
        assert SEEN == []                                # nothing in the runner's process
        pids = list(w.pids.values())
    finally:
        w.close()
    assert w.conns == {} and w.pids == {}
    for pid in pids:                                     # reaped, not left as zombies
        try:
            os.kill(pid, 0)
            raise AssertionError(f"worker {pid} still there")
        except ProcessLookupError:
            pass


def test_an_exception_comes_back_as_an_error_and_the_worker_goes_on() -> None:
    w = Workers(body)
    try:
        first = w.call(0, "x")
        assert w.call(0, "raise") == {"error": "ValueError: bad input"}
        assert w.call(0, "y")["pid"] == first["pid"]
    finally:
        w.close()


def test_a_worker_that_dies_is_an_error_and_the_next_call_starts_another() -> None:
    w = Workers(body)
    try:
        first = w.call(0, "x")
        err = w.call(0, "die")
        assert "died" in err["error"]
        again = w.call(0, "y")
        assert again["pid"] != first["pid"] and again["seen"] == ["y"]
    finally:
        w.close()
