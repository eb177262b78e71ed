"""pnl_netns_del_many's helper threads (forced here with slow_ns=0, which the timing only decides
otherwise): every path tried, each error at its own path, the same result as one thread; it
behaves from a thread, from asyncio and in a forked child, and leaves no thread behind."""
from __future__ import annotations

import asyncio
import errno
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from pynetlink._native import ffi, lib, netns_del_many
from pynetlink.transport import NetNS

from ..conftest import unique_name
from .test_netns_delete_many import listed

MNT_DETACH, UMOUNT_NOFOLLOW = 2, 8


def files(tmp_path: Path, n: int, missing: int = 7) -> tuple[list[str], list[int]]:
    """n plain files in tmp_path (umount2: EINVAL, then unlinked), one in ``missing`` absent
    (0: none); the errs netns_del_many owes them."""
    paths, want = [], []
    for i in range(n):
        p = tmp_path / f"f{i}"
        absent = bool(missing) and i % missing == 3
        if not absent:
            p.write_text("")
        paths.append(str(p))
        want.append(-errno.ENOENT if absent else 0)
    return paths, want


def tasks() -> int:
    return len(os.listdir("/proc/self/task"))


@pytest.mark.parametrize("threads", [1, 2, 4, 16, 1000])
def test_each_error_at_its_path_on_any_number_of_threads(tmp_path: Path, threads: int) -> None:
    paths, want = files(tmp_path, 100)
    before = tasks()
    assert netns_del_many(paths, MNT_DETACH | UMOUNT_NOFOLLOW, threads, 0) == want
    assert not any(os.path.lexists(p) for p in paths)
    assert tasks() == before                                # the helpers were joined


def test_all_there_is_an_empty_list(tmp_path: Path) -> None:
    paths, _ = files(tmp_path, 30, missing=0)
    assert netns_del_many(paths, MNT_DETACH, 8, 0) == []
    errs = ffi.new("int32_t[]", 1)
    assert lib.pnl_netns_del_many(b"", 0, 0, MNT_DETACH, 8, 0, errs) == 0


@pytest.mark.root
def test_namespaces_on_helpers_with_ghosts_among_them(make_netns: Any) -> None:
    spaces = [make_netns(f"dt{i}") for i in range(24)]
    ghosts = [NetNS.named(unique_name("dtghost")) for _ in range(3)]
    mixed = spaces[:8] + ghosts[:1] + spaces[8:16] + ghosts[1:] + spaces[16:]
    errs = netns_del_many([ns.path for ns in mixed], MNT_DETACH | UMOUNT_NOFOLLOW, 4, 0)
    assert [e for ns, e in zip(mixed, errs) if ns in ghosts] == [-errno.ENOENT] * 3
    assert not any(e for ns, e in zip(mixed, errs) if ns not in ghosts)
    assert not {ns.name for ns in spaces} & listed()


def test_from_a_thread(tmp_path: Path) -> None:
    paths, want = files(tmp_path, 60)
    got: list[list[int]] = []
    t = threading.Thread(target=lambda: got.append(netns_del_many(paths, MNT_DETACH, 8, 0)))
    t.start()
    t.join()
    assert got == [want]


def test_from_asyncio(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    paths, want = files(tmp_path / "a", 60)
    more, more_want = files(tmp_path / "b", 60)

    async def main() -> tuple[list[int], list[int]]:
        inline = netns_del_many(paths, MNT_DETACH, 8, 0)                  # blocks the loop, briefly
        off = await asyncio.get_running_loop().run_in_executor(None, netns_del_many, more, MNT_DETACH, 8, 0)
        return inline, off

    assert asyncio.run(main()) == (want, more_want)


def test_in_a_forked_child(tmp_path: Path) -> None:
    paths, want = files(tmp_path, 60)
    netns_del_many([str(tmp_path / "none")], MNT_DETACH, 8, 0)      # threads used before the fork
    pid = os.fork()
    if pid == 0:                                                       # pragma: no cover (child)
        os._exit(0 if netns_del_many(paths, MNT_DETACH, 8, 0) == want else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not any(os.path.lexists(p) for p in paths)
