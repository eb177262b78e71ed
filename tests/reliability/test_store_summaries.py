"""Store.summaries: what every change reads of the other networks, parsed once per file
version, and never stale when another process (another Store) changed a record."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pynetlink.networks.options import network_config
from pynetlink.networks.store import Store, subnets_of


def record(name: str, subnet: str) -> dict[str, Any]:
    return {"config": network_config(name, subnet=subnet).to_dict(), "made": {"nat": True},
            "endpoints": {}, "state": "ready"}


def test_summaries_follow_changes_made_elsewhere(tmp_path: Path) -> None:
    mine, other = Store(tmp_path), Store(tmp_path)      # two processes' views of one state dir
    rec = record("n", "172.16.5.0/24")
    mine.save(rec)
    first = other.summaries()
    assert [s["config"]["name"] for s in first] == ["n"]
    assert "endpoints" not in first[0] and first[0]["ifnames"] == {}
    assert [str(n) for n in subnets_of(first[0])] == ["172.16.5.0/24"]
    assert other.summaries()[0] is first[0]             # unchanged file: not parsed again
    rec["endpoints"]["e1"] = {"netns": "/run/netns/x", "ifname": "eth1"}
    mine.save(rec)
    assert other.summaries()[0]["ifnames"] == {"/run/netns/x": "eth1"}
    mine.save(record("m", "172.16.6.0/24"))
    assert [s["config"]["name"] for s in other.summaries()] == ["m", "n"]
    mine.delete("n")
    assert [s["config"]["name"] for s in other.summaries()] == ["m"]


def test_summaries_skip_broken_and_temporary_files(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.save(record("n", "172.16.5.0/24"))
    (store.net_dir / "broken.json").write_text("{")
    (store.net_dir / ".n.json.1.1.tmp").write_text("{")
    assert [s["config"]["name"] for s in store.summaries()] == ["n"]
    assert [r["config"]["name"] for r in store.all()] == ["n"]
