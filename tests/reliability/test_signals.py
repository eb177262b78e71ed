"""Ctrl-C (SIGINT) and SIGTERM: namespaces made in bulk, rollbacks, deferred signals."""
from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from pynetlink.networks.undo import Undo
from pynetlink.transport import NetNS
from pynetlink.transport.signals import Terminated, deferred, sigterm_raises

from ..conftest import unique_name
from . import faulty

pytestmark = pytest.mark.root


def _ours(prefix: str) -> list[str]:
    return [n for n in NetNS.list() if n.startswith(prefix)]


@pytest.mark.parametrize("k", [1, 3])
def test_ctrl_c_during_create_many_leaves_no_namespace(k: int) -> None:
    prefix = unique_name("cm") + "-"
    code = f"""
        import time
        from pynetlink.transport import NetNS
        try:
            NetNS.create_many([{prefix!r} + str(i) for i in range(30)])
        except KeyboardInterrupt:        # the program lives on (a shell, a daemon)
            time.sleep(0.5)
            print("interrupted")
    """
    try:
        proc = faulty.run(code, fault=f"int@{k}")
        assert proc.stdout == "interrupted\n", proc.stderr
        assert _ours(prefix) == []
        assert [p for p in os.listdir("/run/netns") if p.startswith(prefix)] == []
    finally:
        for n in _ours(prefix):
            NetNS.named(n).delete()


def test_create_many_rerun_after_kill_takes_over_empty_mount_points() -> None:
    """A SIGKILL between the mount point's creation and the mount leaves an empty file; the
    re-run takes it over instead of failing with 'exists'."""
    name = unique_name("mp")
    Path(f"/run/netns/{name}").touch()            # what a kill at that moment leaves
    try:
        (ns,) = NetNS.create_many([name])
        assert os.stat(ns.path).st_dev == os.stat("/proc/self/ns/net").st_dev
        with pytest.raises(FileExistsError):       # a real namespace is never taken over
            NetNS.create(name)
    finally:
        NetNS.named(name).delete()


def test_rollback_survives_a_second_ctrl_c() -> None:
    ran: list[str] = []

    def interrupted_again() -> None:
        ran.append("first")
        signal.raise_signal(signal.SIGINT)       # Ctrl-C pressed again during the rollback
        ran.append("first, after the signal")

    with pytest.raises(KeyboardInterrupt):
        with Undo() as undo:
            undo.push("last", lambda: ran.append("last"))
            undo.push("first", interrupted_again)
            raise KeyboardInterrupt
    assert ran == ["first", "first, after the signal", "last"]


def test_deferred_redelivers_after_the_block() -> None:
    seen: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        with deferred():
            signal.raise_signal(signal.SIGINT)
            seen.append("still inside")
            with deferred():                        # nested: delivered by the outermost
                signal.raise_signal(signal.SIGINT)
                seen.append("nested")
            seen.append("after nested")
    assert seen == ["still inside", "nested", "after nested"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigterm_raises_terminated() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated) as info:
        with sigterm_raises():
            with deferred():
                signal.raise_signal(signal.SIGTERM)
                inside = True
    assert inside and info.value.code == 143
    assert signal.getsignal(signal.SIGTERM) == before
