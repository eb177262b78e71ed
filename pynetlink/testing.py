"""pytest plugin for code that does networking: throwaway namespaces, ready-made networks, and
a guard that fails any test which changed the machine's own (root) network namespace.

Installed with pynetlink and registered as the ``pytest11`` entry point ``pynetlink``, so its
fixtures are available in every test of a project that has pynetlink installed:

- ``make_netns(tag="ns")``: a factory of new named namespaces (``NetNS``), each deleted after
  the test, also when it fails; ``netns``: one of them.
- ``make_network(containers=3, driver="bridge", subnet=..., **options)``: a host namespace with
  a Docker-style network (``pynetlink.Networks``, state kept in the test's tmp dir) and N
  container namespaces connected to it; everything is deleted after the test.
- ``root_netns_guard``: fails the test if the root namespace's links, addresses, routes or
  nftables tables/chains/rules differ after it from before it. Use it per test, or for every
  test with ``--pynetlink-guard`` or the ini option ``pynetlink_guard = true``
  (``PYNETLINK_GUARD_NETNS=NAME`` makes it watch that namespace instead: for testing the guard).

Namespaces get unique names (``pnlt<pid>-<tag><n>``); a session that ends with one of them
left behind deletes it and reports it. Everything needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN);
without it the fixtures skip the test with the reason. Importing this module is cheap: the
library is imported when a fixture is first used.
"""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import pytest

if TYPE_CHECKING:
    from .transport import NetNS
    from .networks import Networks
    from .networks.model import Endpoint, Network

__all__ = ["PREFIX", "unique_name", "RootSnapshot", "root_snapshot", "NetworkUnderTest"]

PREFIX = f"pnlt{os.getpid()}-"
_counter = itertools.count()


def unique_name(tag: str = "ns") -> str:
    """A namespace name no other test process uses: ``pnlt<pid>-<tag><n>``."""
    return f"{PREFIX}{tag}{next(_counter)}"


def _need_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create network namespaces")


# -- namespaces -------------------------------------------------------------------------------
@pytest.fixture
def make_netns() -> Iterator[Callable[..., "NetNS"]]:
    """Factory: ``make_netns(tag='ns')`` -> a new named NetNS, deleted after the test."""
    _need_root()
    from .transport import NetNS
    made: list[NetNS] = []

    def make(tag: str = "ns") -> NetNS:
        ns = NetNS.create(unique_name(tag))
        made.append(ns)
        return ns

    yield make
    for ns in reversed(made):
        try:
            ns.delete()
        except FileNotFoundError:
            pass


@pytest.fixture
def netns(make_netns: Callable[..., "NetNS"]) -> "NetNS":
    """One fresh named namespace, deleted after the test."""
    return make_netns()


# -- networks ----------------------------------------------------------------------------------
@dataclass
class NetworkUnderTest:
    """What ``make_network`` built: the host namespace, its ``Networks``, the network, the
    container namespaces and their endpoints (addresses, interface names)."""

    host: "NetNS"
    networks: "Networks"
    network: "Network"
    containers: list["NetNS"] = field(default_factory=list)
    endpoints: list["Endpoint"] = field(default_factory=list)


@pytest.fixture
def make_network(make_netns: Callable[..., "NetNS"],
                 tmp_path: Path) -> Callable[..., NetworkUnderTest]:
    """Factory: ``make_network(containers=3, driver="bridge", subnet="172.17.0.0/24",
    name="net0", **options)`` -> a NetworkUnderTest; ``options`` go to ``Networks.create``
    (gateway, ip_range, options={"parent": ...} for macvlan/ipvlan, whose parent must exist in
    the host namespace: pass ``host=`` a namespace you prepared)."""
    from .networks import Networks

    def make(containers: int = 3, *, driver: str = "bridge", subnet: str = "172.17.0.0/24",
             name: str = "net0", host: "NetNS | None" = None, **options: Any) -> NetworkUnderTest:
        host = host or make_netns("host")
        nets = Networks(host, state_dir=tmp_path / f"state-{host.name}")
        net = nets.create(name, driver=driver, subnet=subnet, **options)
        ctrs = [make_netns("ctr") for _ in range(containers)]
        eps = nets.connect_many(name, ctrs) if ctrs else []
        return NetworkUnderTest(host, nets, net, ctrs, eps)

    return make


# -- the root namespace guard ------------------------------------------------------------------
RootSnapshot = dict[str, list[tuple[Any, ...]]]


def root_snapshot(netns: "NetNS | str | None" = None) -> RootSnapshot:
    """The root namespace's state that tests must not change: links (name, kind, admin state,
    MTU, MAC, master), addresses, routes of every table, nftables tables, chains and rules.
    What the kernel changes by itself (counters, operstate, lifetimes) is left out.
    ``netns``: snapshot that namespace instead (the guard's own tests use it)."""
    from .api.handle import Handle
    from .nft import Nftables
    with Handle(netns) as h:
        names = {link.index: link.name for link in h.links.dump()}
        links = sorted((v.name, v.kind, v.up, v.mtu, v.mac, names.get(v.master or -1))
                       for v in h.links.dump())
        addrs = sorted((a.family, a.address, a.prefixlen, names.get(a.link or -1))
                       for a in h.addresses.dump())
        routes = sorted((r.family, r.table, r.type, r.dst, str(r.via), names.get(r.dev or -1), r.src or "")
                        for r in h.routes.dump(table=None))
    with Nftables(netns) as nft:
        rs = nft.ruleset()
        nft_items = sorted((t.family, t.name, c.name, len(c.rules))
                           for t in rs.tables for c in t.chains)
        nft_items += sorted((t.family, t.name, "", -1) for t in rs.tables)
    return {"links": links, "addresses": addrs, "routes": routes, "nftables": nft_items}


def diff_snapshots(before: RootSnapshot, after: RootSnapshot) -> list[str]:
    """Lines saying what was added (+) or removed (-), per kind."""
    out = []
    for kind in before:
        b, a = set(before[kind]), set(after[kind])
        out += [f"{kind} - {item}" for item in sorted(b - a, key=repr)]
        out += [f"{kind} + {item}" for item in sorted(a - b, key=repr)]
    return out


@pytest.fixture
def root_netns_guard() -> Iterator[None]:
    """Fails the test if it changed the root network namespace (see ``root_snapshot``)."""
    _need_root()
    watched = os.environ.get("PYNETLINK_GUARD_NETNS") or None   # for testing the guard itself
    before = root_snapshot(watched)
    yield
    changes = diff_snapshots(before, root_snapshot(watched))
    if changes:
        pytest.fail("the test changed the machine's root network namespace:\n  "
                    + "\n  ".join(changes), pytrace=False)


# -- hooks -------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pynetlink")
    group.addoption("--pynetlink-guard", action="store_true", default=False,
                    help="fail every test that changes the root network namespace")
    parser.addini("pynetlink_guard", type="bool", default=False,
                  help="fail every test that changes the root network namespace")


def _guard_on(config: pytest.Config) -> bool:
    return bool(config.getoption("--pynetlink-guard") or config.getini("pynetlink_guard"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _guard_on(config) and os.geteuid() == 0:
        for item in items:
            if "root_netns_guard" not in getattr(item, "fixturenames", ["root_netns_guard"]):
                item.fixturenames.insert(0, "root_netns_guard")  # type: ignore[attr-defined]


@pytest.fixture(scope="session", autouse=True)
def _pynetlink_no_leftovers() -> Iterator[None]:
    """After the session, no namespace this process named is left (deleted if one leaked)."""
    yield
    if not os.path.isdir("/run/netns") or os.geteuid() != 0:
        return
    leaked = [n for n in os.listdir("/run/netns") if n.startswith(PREFIX)]
    if leaked:
        from .transport import NetNS
        for name in leaked:
            NetNS.named(name).delete()
        pytest.fail(f"tests left network namespaces behind (now deleted): {leaked}", pytrace=False)
