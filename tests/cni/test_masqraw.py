"""The bridge plugin's masquerade elements as raw nftables transactions (cni/masqraw.py): the
library's bytes (the numbers: tests/cni/test_uapi.py); against the kernel, ADD makes the table (prebuilt, cni/_masqtable.py: the
ruleset the library makes) and adds exactly the attachment's elements, DEL deletes exactly them
(IPv4 and IPv6) in one transaction, and what it cannot do whole (an element, set or table
missing) changes nothing and is left to the library's path (masq.remove)."""
from __future__ import annotations

import json
import struct
import subprocess
from typing import Any

import pytest

from pynetlink.cni import masq, masqraw
from pynetlink.cni.ipnet import ip_interface
from pynetlink.nft.ruleset import Nftables
from pynetlink.transport.netns import run_in

def test_names_are_the_tables_masq_makes() -> None:
    assert (masqraw.TABLE, masqraw.FAMILY) == (masq.TABLE, masq.FAMILY)
    assert {v: tuple(s.name for s in pair) for v, pair in masq.SETS.items()} == masqraw.SET_NAMES


def elements(host: str) -> dict[str, set[str]]:
    """Set name -> its elements as nft -j prints them (json text), in ``host``'s table."""
    p = subprocess.run(["ip", "netns", "exec", host, "nft", "-j", "list", "table", "inet", masq.TABLE],
                       capture_output=True, text=True, check=True)
    out: dict[str, set[str]] = {}
    for x in json.loads(p.stdout)["nftables"]:
        if "set" in x:
            out[x["set"]["name"]] = {json.dumps(e, sort_keys=True) for e in x["set"].get("elem", [])}
    return out


def in_host(host: str, fn: Any) -> Any:
    return run_in(f"/run/netns/{host}", fn)


def add(host: str, addresses: list[str]) -> None:
    def go() -> None:
        with Nftables() as nft:
            masq.add(nft, addresses)
    in_host(host, go)


def early(host: str, addresses: list[str]) -> bool:
    """NatDelete run (and closed) in ``host``, as bridgedel's thread does; its outcome."""
    def go() -> bool:
        d = masqraw.NatDelete([ip_interface(a) for a in addresses])
        d.run()
        d.close()
        return d.wait()
    return bool(in_host(host, go))


MINE = ["172.17.0.2/16", "fd00:1::2/64"]
OTHER = ["172.17.0.3/16", "fd00:1::3/64"]


def test_deletes_exactly_its_elements(host: str) -> None:
    add(host, OTHER)
    before = elements(host)
    add(host, MINE)
    assert elements(host) != before
    assert early(host, MINE) is True
    assert elements(host) == before                 # the other attachment's elements stay


def test_all_or_nothing_then_the_library_finishes(host: str) -> None:
    add(host, MINE + OTHER)
    before = elements(host)
    gone = ["172.17.0.9/16"]                        # never added: the transaction fails whole
    assert early(host, [MINE[0], *gone]) is False
    assert elements(host) == before
    def lib() -> None:
        with Nftables() as nft:
            masq.remove(nft, [MINE[0], *gone])
    in_host(host, lib)
    assert len(elements(host)["masq4"]) == len(before["masq4"]) - 1


def test_no_table_is_left_to_the_library(host: str) -> None:
    assert early(host, MINE) is False


def test_replies() -> None:
    hdr = struct.Struct("=IHHII")

    def err(code: int, seq: int) -> bytes:
        return hdr.pack(36, 2, 0, seq, 0) + struct.pack("=i", -code) + b"\0" * 16
    assert masqraw.outcome(err(0, 3), 3) == 0
    assert masqraw.outcome(err(0, 2), 3) is None                     # not the last member's ack yet
    assert masqraw.outcome(err(2, 2), 3) is None                     # an error: the rest still to come
    assert masqraw.outcome(err(2, 2) + err(22, 3), 3) == 2           # the first error
    assert masqraw.outcome(err(12, 1), 3) == 12                      # the batch refused as a whole
    assert masqraw.outcome(b"", 3) is None
    assert masqraw.outcome(hdr.pack(20, 10 << 8 | 9, 2, 3, 0) + b"\0" * 4 + err(0, 3), 3) == 0   # a GET's object
    for bad in (b"\0" * 20, hdr.pack(4000, 2, 0, 3, 0) + b"\0" * 4, hdr.pack(20, 16, 0, 3, 0), err(0, 2) + b"\0" * 6):
        with pytest.raises(ValueError):
            masqraw.outcome(bad, 3)


@pytest.mark.parametrize("add_", [False, True])
def test_the_bytes_are_the_librarys(add_: bool) -> None:
    """masqraw.batch is what Nftables would send for masq.add / masq.remove's elements."""
    from pynetlink.codec.program import encode, quiet
    from pynetlink.nft import messages as msg
    from pynetlink.nft.ruleset import Transaction
    tx = Transaction(None)  # type: ignore[arg-type]
    for a in MINE:
        i = ip_interface(a)
        addr_set, skip_set = masq.SETS[i.version]
        keys = [(addr_set, str(i.ip)), (skip_set, (str(i.ip), str(i.network)))]
        for s, key in keys:
            (tx.add_elements if add_ else tx.delete_elements)(masq.TABLE, s, [key], family=masq.FAMILY)
    items = tx.items
    frame = [msg.batch_begin(), *[(quiet(p), v) for p, v in items[:-1]], *items[-1:], msg.batch_end()]
    data, last = masqraw.batch([ip_interface(a) for a in MINE], add=add_)
    assert data == encode(frame, masqraw.BATCH_SEQ).tobytes()
    assert last == masqraw.BATCH_SEQ + len(items)


def test_add_makes_the_table_then_adds_only_elements(host: str) -> None:
    assert in_host(host, lambda: masqraw.add([ip_interface(a) for a in MINE])) is True
    assert in_host(host, lambda: masqraw.add([ip_interface(a) for a in OTHER])) is True
    got = elements(host)
    assert {len(got[n]) for n in ("masq4", "masq6", "skip4", "skip6")} == {2}
    assert in_host(host, lambda: masqraw.add([ip_interface(a) for a in MINE])) is True    # again: converges
    assert elements(host) == got
    assert early(host, MINE) is True and early(host, OTHER) is True
    assert not any(elements(host).values())


def test_the_prebuilt_table_is_the_librarys_encoding() -> None:
    """cni/_masqtable.py is what tools/gen_cni_masqtable.py makes of masq.table_transaction now."""
    import importlib.util
    from pathlib import Path
    tool = Path(__file__).resolve().parents[2] / "tools" / "gen_cni_masqtable.py"
    spec = importlib.util.spec_from_file_location("gen_cni_masqtable", tool)
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.OUT.read_text() == gen.render(), "stale: run tools/gen_cni_masqtable.py"


def listing(host: str) -> list[Any]:
    p = subprocess.run(["ip", "netns", "exec", host, "nft", "-j", "list", "ruleset"], capture_output=True, text=True,
                       check=True)
    return [x for x in json.loads(p.stdout)["nftables"] if "metainfo" not in x]


def test_the_prebuilt_table_makes_what_the_library_makes(make_netns: Any) -> None:
    """masq.add's first call (the prebuilt transaction) and the library's own transaction give
    the same ruleset, and a second add on either is only elements."""
    fast, slow = make_netns("fast").name, make_netns("slow").name

    def prebuilt() -> bool:
        from pynetlink.cni._masqtable import BATCH, LAST
        sock = masqraw.nft_socket()
        try:
            return masqraw.transact(sock, BATCH, LAST) == 0
        finally:
            sock.close()
    assert in_host(fast, prebuilt) is True
    add(fast, MINE)

    def library() -> None:
        with Nftables() as nft:
            masq.table_transaction(nft.transaction()).commit()
            masq.add(nft, MINE)
    in_host(slow, library)
    assert listing(fast) == listing(slow)
    assert any("masquerade" in json.dumps(x) for x in listing(fast))
    add(fast, OTHER)
    assert len(elements(fast)["masq6"]) == 2
