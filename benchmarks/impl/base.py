"""The common interface of every implementation, and the workload cases it is given.

For each repetition the runner creates fresh namespaces (``Ctx.host``), then calls
``setup`` (untimed: open sockets a long-running program would already have), ``run`` (timed),
``teardown`` (timed, W1 and NS only) and ``close`` (untimed), then deletes every namespace.
``run``/``teardown`` may return a ``Measure`` taken inside the implementation (the C floor
times its work itself, excluding process start); otherwise the runner's own timing is used.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..common import Measure, ns_path

# address plan (documentation / Docker ranges only)
GATEWAY = "172.17.0.1"
SUBNET = "172.17.0.0/16"
ROUTE_GW = "198.51.100.2"          # W5: routes via this neighbour, in table 100
ROUTE_TABLE = 100
BRIDGE = "br0"


def ctr_ip(i: int) -> str:
    """Container i's address in 172.17.0.0/16 (the gateway is .0.1)."""
    v = i + 2
    return f"172.17.{v >> 8}.{v & 255}"


def route_dst(i: int) -> str:
    """W5 destination i: 172.17.x.y/32 (i < 65,000)."""
    v = i + 1
    return f"172.17.{v >> 8}.{v & 255}"


def veth_name(i: int) -> str:
    return f"veth{i:07x}"


@dataclass(frozen=True)
class Case:
    workload: str                 # W1, NS, W2-links, W2-addrs, W2-routes, W4, W4-map, W5
    n: int

    @property
    def key(self) -> str:
        return f"{self.workload} N={self.n}"

    @property
    def has_teardown(self) -> bool:
        return self.workload in ("W1", "NS")


@dataclass
class Ctx:
    host: str                     # our namespace playing the host (bridge, routes, nft tables)
    ctr_prefix: str               # container namespace i is f"{ctr_prefix}{i}"
    tmp: Path
    bins: dict[str, Path]
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def host_path(self) -> str:
        return ns_path(self.host)

    def ctr(self, i: int) -> str:
        return f"{self.ctr_prefix}{i}"


class Unsupported(Exception):
    """This implementation cannot do this case (reported, not an error)."""


class Impl:
    name = "?"
    workloads: frozenset[str] = frozenset()
    inner_timing = False          # run/teardown return their own Measure

    def available(self) -> str | None:
        """None when usable here, else why not."""
        return None

    def supports(self, case: Case) -> bool:
        return case.workload in self.workloads

    def setup(self, case: Case, ctx: Ctx) -> None:
        pass

    def run(self, case: Case, ctx: Ctx) -> Measure | dict[str, Any] | None:
        raise NotImplementedError

    def teardown(self, case: Case, ctx: Ctx) -> Measure | None:
        return None

    def close(self, ctx: Ctx) -> None:
        pass
