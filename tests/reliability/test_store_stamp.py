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
        if Path(path).name == "networks":
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
    with other.locked():                  # stamps, then "dies" after writing a record by hand
        other._bump()
        (other.net_dir / "m.json").write_text((other.net_dir / "n.json").read_text()
                                              .replace('"name":"n"', '"name":"m"')
                                              .replace("172.16.5.", "172.16.6."))
    assert names(mine) == ["m", "n"]
