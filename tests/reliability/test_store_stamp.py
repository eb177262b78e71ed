"""Store.summaries under the lock: the host's stamp (networks.lock's content, replaced before
a Store's first write of a hold) tells whether another Store wrote since this one's last look:
if not, no record's files are looked at (a change costs the same whatever the networks); if
so, every record is checked again."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pynetlink.networks.options import network_config
from pynetlink.networks.store import Store


def record(name: str, subnet: str) -> dict[str, Any]:
    return {"config": network_config(name, subnet=subnet).to_dict(), "made": {"nat": True},
            "endpoints": {}, "state": "ready"}


def scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One entry per listing of a networks directory (a check of every record's files)."""
    seen: list[str] = []
    real = os.scandir

    def counted(path: Any = ".") -> Any:
        if isinstance(path, (str, os.PathLike)) and Path(path).name == "networks":
            seen.append(str(path))
        return real(path)
    monkeypatch.setattr(os, "scandir", counted)
    return seen


def names(store: Store) -> list[str]:
    with store.locked():
        return [s["config"]["name"] for s in store.summaries()]


def test_own_writes_need_no_scan_others_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine, other = Store(tmp_path), Store(tmp_path)       # two processes' views of one state dir
    for i in range(5):
        with mine.locked():
            mine.summaries()
            mine.save(record(f"n{i}", f"172.16.{i}.0/24"))
    listed = scans(monkeypatch)
    assert names(mine) == [f"n{i}" for i in range(5)] and listed == []     # only its own writes
    with other.locked():
        assert len(other.summaries()) == 5 and len(listed) == 1           # a new view: checked once
        rec = other.load("n2")
        rec["endpoints"]["e1"] = {"netns": "/run/netns/x", "ifname": "eth1"}
        other.save(rec, ["e1"])
        other.delete("n4")
    assert names(other) == ["n0", "n1", "n2", "n3"] and len(listed) == 1
    with mine.locked():                                  # the other wrote: every record checked
        got = {s["config"]["name"]: s for s in mine.summaries()}
    assert sorted(got) == ["n0", "n1", "n2", "n3"] and got["n2"]["ifnames"] == {"/run/netns/x": "eth1"}
    assert len(listed) == 2
    assert names(mine) == ["n0", "n1", "n2", "n3"] and len(listed) == 2


def test_a_writer_killed_after_stamping_is_noticed(tmp_path: Path) -> None:
    mine, other = Store(tmp_path), Store(tmp_path)
    with mine.locked():
        mine.summaries()
        mine.save(record("n", "172.16.5.0/24"))
    assert names(mine) == ["n"]
    pid = os.fork()
    if pid == 0:                          # a writer that dies inside its hold, after a write
        try:
            with other.locked():
                other.save(record("m", "172.16.6.0/24"))
                os._exit(0)
        finally:
            os._exit(1)
    assert os.waitpid(pid, 0)[1] == 0
    assert names(mine) == ["m", "n"]


def test_a_refused_change_leaves_the_stamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine, other = Store(tmp_path), Store(tmp_path)
    with mine.locked():
        mine.summaries()
        mine.save(record("n", "172.16.5.0/24"))
    lock = (tmp_path / "networks.lock").read_bytes()
    with pytest.raises(RuntimeError), other.locked():     # written, then forgotten: refused
        other.summaries()
        other.save(record("m", "172.16.6.0/24"))
        other.delete("m")
        raise RuntimeError("refused")
    assert (tmp_path / "networks.lock").read_bytes() == lock
    listed = scans(monkeypatch)
    assert names(mine) == ["n"] and listed == []          # nothing to check again
