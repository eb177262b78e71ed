"""pynetlink.testing, the pytest plugin downstream projects use: fixtures and the root guard."""
from __future__ import annotations

import pytest

from pynetlink import Bridge, Handle, NetNS
from pynetlink.nft import Nftables, Table
from pynetlink.testing import diff_snapshots, root_snapshot

pytestmark = pytest.mark.root


def test_snapshot_sees_every_kind_of_change(netns: NetNS) -> None:
    before = root_snapshot(netns)
    with Handle(netns) as h:
        h.links.create(Bridge("br-guard"), up=True)
        h.addresses.add("br-guard", "198.51.100.1/24")
    with Nftables(netns) as nft:
        nft.apply(Table("guarded"))
    changes = diff_snapshots(before, root_snapshot(netns))
    text = "\n".join(changes)
    assert "links + ('br-guard', 'bridge'" in text
    assert "addresses + (4, '198.51.100.1', 24, 'br-guard')" in text
    assert "routes + (4, 254, 'unicast', '198.51.100.0/24'" in text
    assert "nftables + ('ip', 'guarded'" in text
    assert all(c.split()[1] == "+" for c in changes)
    assert diff_snapshots(before, before) == []


EXAMPLE = '''
from pynetlink import Bridge, Handle

def test_uses_fixtures(make_network, netns):
    n = make_network(containers=2, subnet="172.17.0.0/24")
    assert len(n.endpoints) == 2
    with Handle(n.containers[0]) as h:
        addrs = [a.address for a in h.addresses.dump("eth0", family=4)]
    assert addrs == [str(n.endpoints[0].addresses[0]).split("/")[0]]

def test_changes_the_watched_namespace():
    with Handle("WATCHED") as h:
        h.links.create(Bridge("br-leak"))

def test_changes_nothing():
    with Handle("WATCHED") as h:
        h.links.dump()
'''


def test_plugin_in_a_downstream_project(pytester: pytest.Pytester, netns: NetNS,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """An unrelated project's tests get the fixtures and, with --pynetlink-guard, a failure for
    the one test that changed the watched namespace (standing in for the root one)."""
    assert netns.name is not None
    pytester.makepyfile(test_downstream=EXAMPLE.replace("WATCHED", netns.name))
    monkeypatch.setenv("PYNETLINK_GUARD_NETNS", netns.name)
    result = pytester.runpytest_subprocess("--pynetlink-guard", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=1)     # the leak is reported at teardown
    result.stdout.fnmatch_lines(["*changed the machine's root network namespace*",
                                 "*links + ('br-leak', 'bridge'*"])
