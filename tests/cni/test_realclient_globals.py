"""The real-client harness's bookkeeping of the global dirs (tests/cni/realclient.own_globals):
a session killed before its teardown leaves its marker, and the next session removes what it
made instead of keeping it as the machine's own. No podman needed: the record alone."""
from __future__ import annotations

from pathlib import Path

from .realclient import own_globals


def test_a_killed_sessions_dirs_are_the_next_sessions(tmp_path: Path) -> None:
    marker = tmp_path / "created"
    # first session: /run/crun was the machine's; it makes the rest (and is killed: marker stays)
    assert own_globals("/run/crun\n", marker) == "/run/crun\n"
    assert "/var/lib/cni" in marker.read_text().split() and "/run/crun" not in marker.read_text().split()
    # second session: setup.sh finds the first's /var/lib/cni and /run/containerd as well
    pre = own_globals("/var/lib/cni\n/run/crun\n/run/containerd\n", marker)
    assert pre == "/run/crun\n"                       # only the machine's dir is kept
    assert set(marker.read_text().split()) == {"/var/lib/cni", "/run/containerd",
                                               "/sys/fs/cgroup/pids/libpod_parent"}


def test_without_a_marker_setups_record_stands(tmp_path: Path) -> None:
    marker = tmp_path / "created"
    assert own_globals("/var/lib/cni\n", marker) == "/var/lib/cni\n"
    assert "/var/lib/cni" not in marker.read_text().split()
