"""A create or connect killed half-way (SIGKILL: no cleanup runs) converges when re-run;
removal then leaves the host exactly as it was."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pynetlink.networks import Networks

from .conftest import Topology
from .traffic import assert_unchanged, masquerading, snapshot, tcp, settled

pytestmark = pytest.mark.kernel("netns", "veth", "bridge", "nft_nat")
ROOT = Path(__file__).resolve().parents[2]


def killed_during(target: str, call: str, nets: Networks) -> None:
    """Run ``call`` (on ``nets``) in a child that SIGKILLs itself right after ``target`` ran."""
    module, attr = target.split(":")
    code = textwrap.dedent(f"""
        import importlib, os, signal
        from pynetlink.networks import Networks
        mod = importlib.import_module({module!r})
        owner, name = mod, {attr!r}
        if "." in name:
            cls, name = name.split(".")
            owner = getattr(mod, cls)
        orig = getattr(owner, name)
        def dying(*a, **k):
            orig(*a, **k)
            os.kill(os.getpid(), signal.SIGKILL)
        setattr(owner, name, dying)
        nets = Networks({nets.host.path if nets.host else None!r}, state_dir={str(nets.state_dir)!r})
        {call}
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == -signal.SIGKILL, proc.stderr


CREATE = 'nets.create("n", subnet="172.23.0.0/24")'


@pytest.mark.parametrize("target", ["pynetlink.networks.host:_forwarding",
                                    "pynetlink.nft.masqsets:MasqueradeSets.add"])
def test_interrupted_create_converges(outside: Topology, target: str) -> None:
    nets = outside.nets["H"]
    before = settled(outside.H)
    killed_during(target, CREATE, nets)
    assert nets.get("n").state == "creating"
    net = nets.create("n", subnet="172.23.0.0/24")                # the re-run finishes the job
    assert net.state == "ready"
    assert masquerading(outside.H) == [f"172.23.0.0/24 !{net.bridge}"]
    c = outside.container()
    e = nets.connect("n", c)
    assert tcp(c, outside.O, "203.0.113.254", 7040) == "203.0.113.1"
    assert e.ip == "172.23.0.2"
    nets.remove("n", force=True)
    assert_unchanged(before, snapshot(outside.H))


def test_interrupted_create_then_remove(outside: Topology) -> None:
    nets = outside.nets["H"]
    before = settled(outside.H)
    killed_during("pynetlink.nft.masqsets:MasqueradeSets.add", CREATE, nets)
    nets.remove("n")
    assert_unchanged(before, snapshot(outside.H))
    assert nets.list() == []


def test_interrupted_connect_converges(outside: Topology) -> None:
    nets = outside.nets["H"]
    before = settled(outside.H)
    nets.create("n", subnet="172.23.0.0/24")
    c = outside.container()
    killed_during("pynetlink.networks.attach:_create_links",
                  f'nets.connect("n", {c.name!r}, publish=["8080:80"])', nets)
    (ep,) = nets.get("n").endpoints
    assert ep.state == "connecting"
    e = nets.connect("n", c, publish=["8080:80"])                   # converges: same address
    assert e.state == "connected" and e.ip == ep.ip
    assert tcp(outside.O, c, "203.0.113.1", 8080, listen_port=80) == "203.0.113.254"
    nets.remove("n", force=True)
    assert_unchanged(before, snapshot(outside.H))
