"""The option language: Docker's flags, and the mistakes SCENARIOS.md says must be caught."""
from __future__ import annotations

import ipaddress

import pytest

from pynetlink.errors import InvalidArgument
from pynetlink.networks.errors import OptionError
from pynetlink.networks.options import container_addresses, network_config

S2 = dict(driver="macvlan", options=["parent=eth0"], subnet="172.16.0.0/24",
          gateway="172.16.0.254", ip_range="172.16.0.0/24",
          aux_addresses=["host1=172.16.0.1", "host2=172.16.0.2"])


def test_s2_config() -> None:
    cfg = network_config("net01", **S2)  # type: ignore[arg-type]
    assert cfg.driver == "macvlan" and cfg.parent == "eth0" and cfg.mode == "bridge"
    (pool,) = cfg.pools
    assert str(pool.gateway) == "172.16.0.254"
    assert dict(pool.aux) == {"host1": ipaddress.ip_address("172.16.0.1"),
                              "host2": ipaddress.ip_address("172.16.0.2")}
    assert {str(a) for a in pool.reserved()} == {"172.16.0.0", "172.16.0.255", "172.16.0.254",
                                                 "172.16.0.1", "172.16.0.2"}


def test_round_trip_dict() -> None:
    from pynetlink.networks.options import NetworkConfig
    cfg = network_config("n", driver="ipvlan", options={"parent": "eth0.30", "ipvlan_mode": "l3s"},
                         subnet=["192.168.1.0/24", "fd00:1::/64"])
    assert NetworkConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.vlan == ("eth0", 30) and cfg.mode == "l3s" and cfg.flag == "bridge"
    assert [str(p.gateway) for p in cfg.pools] == ["192.168.1.1", "fd00:1::1"]


def test_gateway_with_prefix() -> None:
    with pytest.raises(OptionError, match=r"--gateway: '172\.16\.0\.254/24' has a prefix length.*"
                                          r"--gateway 172\.16\.0\.254"):
        network_config("net01", **{**S2, "gateway": "172.16.0.254/24"})  # type: ignore[arg-type]


def test_misspelt_option_lists_valid_ones() -> None:
    with pytest.raises(OptionError) as exc:
        network_config("net01", driver="ipvlan", options=["parent=eth0", "ipvla_mode=l2"])
    msg = str(exc.value)
    assert "ipvla_mode" in msg and "did you mean 'ipvlan_mode'" in msg
    assert "parent, ipvlan_mode, ipvlan_flag, mtu" in msg


def test_option_of_another_driver() -> None:
    with pytest.raises(OptionError, match="ipvlan_mode.*option of the ipvlan driver, not macvlan"):
        network_config("n", driver="macvlan", options=["parent=eth0", "ipvlan_mode=l2"])


def test_duplicate_aux_ip() -> None:
    with pytest.raises(OptionError, match="same address"):
        network_config("net01", **{**S2, "aux_addresses": ["host1=172.16.0.2", "host2=172.16.0.2"]})  # type: ignore[arg-type]


@pytest.mark.parametrize("field,value,match", [
    ("gateway", "172.16.1.254", "gateway 172.16.1.254 is outside the subnet"),
    ("ip_range", "172.16.1.0/25", "ip-range 172.16.1.0/25 is outside the subnet"),
    ("ip_range", "172.16.0.0/23", "outside the subnet"),
    ("subnet", "172.16.0.1/24", "host bits set; did you mean 172.16.0.0/24"),
    ("gateway", "172.16.0.0", "network address"),
    ("gateway", "172.16.0.255", "broadcast address"),
    ("aux_addresses", ["h=172.16.9.1"], "h=172.16.9.1 is outside the subnet"),
    ("aux_addresses", ["h=172.16.0.254"], "is the gateway"),
    ("aux_addresses", ["nonsense"], "expected KEY=VALUE"),
])
def test_outside_or_bad(field: str, value: object, match: str) -> None:
    with pytest.raises(OptionError, match=match):
        network_config("net01", **{**S2, field: value})  # type: ignore[arg-type]


def test_container_ip_checks() -> None:
    cfg = network_config("net01", **S2)  # type: ignore[arg-type]
    assert container_addresses(cfg.pools, ["172.16.0.3"]) == {0: ipaddress.ip_address("172.16.0.3")}
    for ip, match in [("172.16.1.3", "outside the subnet"), ("172.16.0.254", "is the gateway"),
                      ("172.16.0.1", "aux address 'host1'"), ("172.16.0.3/24", "prefix length")]:
        with pytest.raises(OptionError, match=match):
            container_addresses(cfg.pools, [ip])


@pytest.mark.parametrize("kwargs,match", [
    (dict(driver="macvlna"), "unknown driver 'macvlna'; did you mean 'macvlan'"),
    (dict(driver="macvlan"), "needs a parent interface"),
    (dict(driver="macvlan", options=["parent=eth0", "macvlan_mode=brdge"]), "did you mean 'bridge'"),
    (dict(driver="ipvlan", options=["parent=eth0.5000"]), "VLAN id 5000"),
    (dict(driver="ipvlan", options=["parent=averyveryverylongname"]), "-o parent: interface name .* must be 1-15 bytes"),
    (dict(options=["mtu=9"]), "not an MTU"),
    (dict(options=["bridge_name"]), "expected KEY=VALUE"),
    (dict(gateway="10.0.0.1"), "need --subnet"),
    (dict(subnet=["10.0.0.0/16", "10.0.1.0/24"]), "overlaps"),
])
def test_bad_options(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(OptionError, match=match) as exc:
        network_config("n", **kwargs)  # type: ignore[arg-type]
    assert isinstance(exc.value, InvalidArgument) and isinstance(exc.value, ValueError)


def test_docker_long_option_names() -> None:
    cfg = network_config("n", options={"com.docker.network.bridge.name": "docker1",
                                       "com.docker.network.driver.mtu": "1400"})
    assert cfg.bridge_name == "docker1" and cfg.mtu == 1400


def test_bad_network_name() -> None:
    with pytest.raises(OptionError, match="invalid network name"):
        network_config("../etc")
