"""DockerNat's first ``setup`` as a prepared transaction (pynetlink.nft.prepared): the same
messages as the general path, the same ruleset (``nft -j``), one transaction; what it does
not take (or a refused transaction) goes the general way, with that way's errors; bad input
changes nothing."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from pynetlink.errors import ExistsError, InvalidArgument
from pynetlink.nft import DockerNat, Nftables, Publish
from pynetlink.nft import prepared
from pynetlink.transport import NetNS

from .test_floor_bytes import members, transfers
from .test_live import nft_cmd, nft_json, nft_map

MASQ = [("172.17.0.0/16", "br0")]
PUBS = [(8000 + i, f"172.17.{i // 250}.{2 + i % 250}", 80, "tcp" if i % 3 else "udp") for i in range(600)]


def ruleset(ns: NetNS) -> list[dict[str, Any]]:
    """The ruleset as nft lists it, handles aside."""
    out = nft_json(ns)
    for x in out:
        for v in x.values():
            if isinstance(v, dict):
                v.pop("handle", None)
    return out


def test_prepared_setup_sends_what_the_general_path_sends(make_netns: Callable[..., NetNS],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = make_netns(), make_netns()
    sent = transfers(monkeypatch)
    taken = []
    real = prepared.setup
    monkeypatch.setattr(prepared, "setup", lambda *args: taken.append(real(*args)) or taken[-1])
    with Nftables(a) as nft:
        assert DockerNat(nft).setup(masquerade=MASQ, publish=PUBS) is True
    assert taken == [True] and len(sent) == 1                     # prepared, one transaction
    with Nftables(b) as nft:
        nat = DockerNat(nft)
        assert nat._drive(nat._setup_flow(MASQ, PUBS)) is True  # the general path
    assert len(sent) == 2 and members(sent[0]) == members(sent[1])
    assert ruleset(a) == ruleset(b)
    elems = nft_map(a, "published_v4")["elem"]
    assert len(elems) == 600 and [8000, "172.17.0.2", 80] in [[e[0]["concat"][1], *e[1]["concat"]] for e in elems]


def test_a_table_in_place_is_refused_once_then_the_general_path_adds(netns: NetNS,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with Nftables(netns) as nft:
        DockerNat(nft).setup(masquerade=MASQ, publish=PUBS[:2])
        sent = transfers(monkeypatch)
        nat = DockerNat(nft)                    # a fresh instance: the exclusive transaction is refused
        assert nat.setup(masquerade=MASQ, publish=PUBS[2:4]) is True
        exclusive = [m for m in sent if len(members(m)) > 10]
        assert len(exclusive) == 1 and nat._exclusive_refused and nat._ready
        assert len(nft_map(netns, "published_v4")["elem"]) == 4
        with pytest.raises(ExistsError, match="udp/8000 is already published"):
            DockerNat(nft).setup(publish=[(8000, "172.17.0.9", 80, "udp")])     # (PUBS[0]'s port)
        assert len(nft_map(netns, "published_v4")["elem"]) == 4


@pytest.mark.parametrize("publish,message", [
    ([(8000, "172.17.0.2", 80), (8000, "172.17.0.3", 81)], "the same host port is given twice"),
    ([(8000, "172.17.0.2", 80), (0, "172.17.0.3", 81)], r"publish\[1\] .*port 0"),
    ([(8000, "172.17.0.2", 80), (8001, "172.17.0.300", 81)], r"publish\[1\]"),
    ([(8000, "172.17.0.2", 80), (8001, "172.17.0.3", 81, "sctp")], r"publish\[1\] .*sctp"),
])
def test_bad_publications_change_nothing(netns: NetNS, publish: Any, message: str) -> None:
    with Nftables(netns) as nft:
        with pytest.raises(InvalidArgument, match=message):
            DockerNat(nft).setup(masquerade=MASQ, publish=publish)
    assert nft_cmd(netns, "list", "ruleset").strip() == ""


def test_what_the_prepared_path_does_not_take_goes_the_general_way(netns: NetNS,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with Nftables(netns) as nft:
        assert prepared.setup(DockerNat(nft, family="inet"), MASQ, PUBS[:1]) is None
        assert prepared.setup(DockerNat(nft), MASQ, [Publish(8000, "172.17.0.2", 80)]) is None
        assert prepared.setup(DockerNat(nft), [["172.17.0.0/16", "br0"]], PUBS[:1]) is None
        assert prepared.setup(DockerNat(nft), [("172.17.0.0/33", "br0")], PUBS[:1]) is None
        assert nft_cmd(netns, "list", "ruleset").strip() == ""        # nothing sent
        DockerNat(nft).setup(masquerade=MASQ, publish=[Publish(8000, "172.17.0.2", 80), (8001, "172.17.0.3", 81)])
        assert len(nft_map(netns, "published_v4")["elem"]) == 2
