"""``pynetlink._bounded.Bounded``, the dict of the process-wide caches: at most ``limit``
entries, the oldest put dropped first; used from many threads at once, nothing raises and
the bound holds."""
from __future__ import annotations

import sys
import threading

import pytest

from pynetlink._bounded import Bounded


def test_a_full_dict_drops_the_oldest_for_a_new_key() -> None:
    b: Bounded[str, int] = Bounded(3)
    for k, v in (("a", 1), ("b", 2), ("c", 3)):
        assert b.put(k, v) == v
    assert b.get("a") == 1 and b["b"] == 2 and "c" in b          # (reading keeps no order)
    assert b.put("d", 4) == 4
    assert dict(b) == {"b": 2, "c": 3, "d": 4}
    b.put("e", 5)
    assert list(b) == ["c", "d", "e"] and len(b) == 3


def test_putting_a_key_it_holds_replaces_the_value_and_drops_nothing() -> None:
    b: Bounded[str, int] = Bounded(2)
    b.put("a", 1)
    b.put("b", 2)
    b.put("a", 10)
    assert dict(b) == {"a": 10, "b": 2}


def test_an_entry_taken_out_leaves_room() -> None:
    b: Bounded[int, str] = Bounded(2)
    b.put(1, "x")
    b.put(2, "y")
    assert b.pop(1) == "x"
    b.put(3, "z")
    assert dict(b) == {2: "y", 3: "z"}


def test_the_bound_holds_for_many_keys() -> None:
    b: Bounded[int, int] = Bounded(64)
    for i in range(1000):
        b.put(i, i)
        assert len(b) <= 64
    assert list(b) == list(range(1000 - 64, 1000))


@pytest.mark.parametrize("limit", [0, -1])
def test_a_limit_below_one_is_refused(limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        Bounded(limit)


def test_threads_putting_getting_and_borrowing_at_once_raise_nothing() -> None:
    """Eight threads on one small dict: puts of new keys (evicting), gets, and pops with puts
    back (``NetlinkSocket.dump_prepared``'s borrow); no exception, never over the bound, and
    every value read is the one put under its key."""
    b: Bounded[int, int] = Bounded(8)
    errors: list[BaseException] = []
    over: list[int] = []
    wrong: list[tuple[int, int]] = []
    start = threading.Barrier(8)

    def work(t: int) -> None:
        try:
            start.wait()
            for i in range(200000):
                k = (i * 7 + t) % 10
                if i % 3 == 0:
                    b.put(k, k * 10)
                elif i % 3 == 1:
                    got = b.get(k)
                    if got is not None and got != k * 10:
                        wrong.append((k, got))
                else:
                    v = b.pop(k, None)
                    if v is not None:
                        b.put(k, v)
                if len(b) > b.limit:
                    over.append(len(b))
        except BaseException as exc:      # (what the test is about)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)               # (threads switch between any two operations)
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == [] and over == [] and wrong == []
    assert len(b) <= 8 and all(v == k * 10 for k, v in b.items())
