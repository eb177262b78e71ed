"""Route metrics (RTA_METRICS): written on add/replace, read back typed, checked with `ip -j route`."""
from __future__ import annotations

from typing import Any

import pytest

from pynetlink import BatchError, Handle, InvalidArgument, Route
from pynetlink.rtnl.metrics import Metrics, metrics_json

from ..conftest import ip_json
from .conftest import ip

pytestmark = [pytest.mark.root, pytest.mark.kernel("veth")]
ALL = {"mtu": 1400, "advmss": 1300, "window": 1000, "rtt": 100, "rttvar": 50, "initcwnd": 10,
       "initrwnd": 20, "hoplimit": 9, "ssthresh": 5, "cwnd": 6, "reordering": 4}




def oracle(ns: Any, family: int, dst: str, *table: str) -> dict[str, Any]:
    found = [r for r in ip_json(ns.name, f"-{family}", "-d", "route", "show", *table)  # type: ignore[union-attr]
             if r["dst"] == dst]
    assert len(found) == 1
    return found[0]  # type: ignore[no-any-return]


def test_every_metric_v4_written_and_read(wired: Handle, netns: Any) -> None:
    wired.routes.add("172.16.5.0/24", via="198.51.100.2",
                   metrics={**ALL, "features": ("ecn",), "lock": ("mtu",), "rto_min": 300,
                            "quickack": True, "cc_algo": "reno"})
    view = {r.dst: r for r in wired.routes.dump(family=4)}["172.16.5.0/24"]
    m = view.metrics
    assert isinstance(m, Metrics)
    assert {k: getattr(m, k) for k in ALL} == ALL
    assert (m.features, m.lock, m.rto_min, m.quickack, m.cc_algo) == (
        frozenset({"ecn"}), frozenset({"mtu"}), 300, True, "reno")
    j = oracle(netns, 4, "172.16.5.0/24")
    assert j["metrics"] == [metrics_json(m)]
    assert j["metrics"][0]["mtu"] == 1400 and j["metrics"][0]["rtt"] == 100 and "ecn" in j["metrics"][0]
    assert view.to_dict()["metrics"]["initcwnd"] == 10


def test_metrics_v6_and_replace(wired: Handle, netns: Any) -> None:
    wired.routes.add(Route("2001:db8:9::/64", via="2001:db8:5::2", table=100,
                         metrics=Metrics(mtu=1300, hoplimit=5, advmss=1200)))
    v = wired.routes.dump(table=100, family=6)[0]
    assert v.metrics is not None and (v.metrics.mtu, v.metrics.hoplimit, v.metrics.advmss) == (1300, 5, 1200)
    j = oracle(netns, 6, "2001:db8:9::/64", "table", "100")
    assert (j["metrics"][0]["mtu"], j["metrics"][0]["hoplimit"], j["metrics"][0]["advmss"]) == (1300, 5, 1200)
    wired.routes.replace("2001:db8:9::/64", via="2001:db8:5::2", table=100, metrics={"mtu": 1280})
    v = wired.routes.dump(table=100, family=6)[0]
    assert v.metrics is not None and v.metrics.mtu == 1280 and v.metrics.hoplimit is None
    assert oracle(netns, 6, "2001:db8:9::/64", "table", "100")["metrics"][0]["mtu"] == 1280


def test_metrics_of_ip_routes_are_read(wired: Handle, netns: Any) -> None:
    ip(netns, "route", "add", "172.16.7.0/24", "via", "198.51.100.2", "mtu", "lock", "1450",
       "initcwnd", "12", "rtt", "40ms", "features", "ecn")
    ip(netns, "route", "add", "172.16.8.0/24", "via", "198.51.100.2")
    views = {r.dst: r for r in wired.routes.dump(family=4)}
    m = views["172.16.7.0/24"].metrics
    assert m is not None and (m.mtu, m.initcwnd, m.rtt, m.lock, m.features) == (
        1450, 12, 40, frozenset({"mtu"}), frozenset({"ecn"}))
    assert views["172.16.8.0/24"].metrics is None


@pytest.mark.parametrize("metrics, field", [
    ({"mtu": -1}, "Metrics.mtu"), ({"hoplimit": 300}, "Metrics.hoplimit"),
    ({"rtt": 2 ** 32}, "Metrics.rtt"), ({"features": ("nosuch",)}, "Metrics.features"),
    ({"lock": ("cc",)}, "Metrics.lock"), ({"quickack": 1}, "Metrics.quickack"),
    ({"nosuch": 1}, "unknown metric 'nosuch'"), ("mtu=1400", "Route.metrics"),
    ({"cc_algo": "x" * 20}, "Metrics.cc_algo"),
])
def test_bad_metrics_rejected_nothing_changed(wired: Handle, netns: Any, metrics: Any, field: str) -> None:
    before = ip_json(netns.name, "route", "show")
    with pytest.raises(InvalidArgument, match=field):
        wired.routes.add("172.16.6.0/24", via="198.51.100.2", metrics=metrics)
    assert ip_json(netns.name, "route", "show") == before


def test_kernel_refusal_names_the_field_and_batch_rolls_back(wired: Handle, netns: Any) -> None:
    before = ip_json(netns.name, "route", "show")
    with pytest.raises(BatchError) as exc:
        with wired.batch(rollback=True) as b:
            ok = b.routes.add("172.16.10.0/24", via="198.51.100.2", metrics={"mtu": 1400})
            bad = b.routes.add("172.16.11.0/24", via="198.51.100.2", metrics={"cc_algo": "nosuchcc"})
    assert ok.ok and bad.error is not None
    err = bad.error
    assert err.errno and err.operation == "add route"  # type: ignore[attr-defined]
    assert exc.value.undone and ip_json(netns.name, "route", "show") == before
