"""nftables events: `nft` (another process) changes the test's namespace; the stream reports
tables, chains, rules, sets, elements and generations as the nft layer's objects."""
from __future__ import annotations

import socket
from typing import Any

from pynetlink.events import Event, Events, GenerationView
from pynetlink.nft import Chain, Rule, Set, Table
from pynetlink.nft.sets import Element

from .helpers import Consumer, nft

RULESET = """
table ip filt {
    set allowed { type ipv4_addr; elements = { 198.51.100.1 } }
    chain input { type filter hook input priority 0; policy accept;
        ip saddr @allowed counter accept comment "known"
    }
}
"""


def _take(ev: Events, quiet: float = 0.5) -> list[Event]:
    return list(ev.iter(quiet))


def test_nft_objects(netns: Any) -> None:
    with Events(["nft"], netns=netns) as ev:
        assert ev.sync(5)
        nft(netns, RULESET)
        got = {(e.kind, e.action): e for e in _take(ev)}
        table = got[("table", "new")].view
        assert isinstance(table, Table) and (table.name, table.family) == ("filt", "ip")
        chain = got[("chain", "new")]
        assert isinstance(chain.view, Chain) and chain.key == ("ip", "filt", "input")
        assert (chain.view.hook, chain.view.type, chain.view.priority) == ("input", "filter", 0)
        s = got[("set", "new")]
        assert isinstance(s.view, Set) and s.view.name == "allowed" and s.key == ("ip", "filt", "allowed")
        rule = got[("rule", "new")]
        assert isinstance(rule.view, Rule) and rule.view.comment == "known" and rule.key[:3] == ("ip", "filt", "input")
        elem = got[("element", "new")]
        assert isinstance(elem.view, Element) and elem.view.key == socket.inet_aton("198.51.100.1")
        gen = got[("generation", "changed")].view
        assert isinstance(gen, GenerationView) and gen.process == "nft" and gen.id

        nft(netns, "add element ip filt allowed { 198.51.100.2 }\ndelete element ip filt allowed { 198.51.100.1 }")
        acts = {(e.kind, e.action, e.view.key if e.kind == "element" else None) for e in _take(ev)}
        assert ("element", "new", socket.inet_aton("198.51.100.2")) in acts
        assert ("element", "deleted", socket.inet_aton("198.51.100.1")) in acts

        nft(netns, "delete table ip filt")
        gone = {e.kind for e in _take(ev) if e.action == "deleted"}
        assert gone == {"table", "chain", "rule", "set", "element"}
        for kind in ("table", "chain", "rule", "set", "element"):
            assert ev.state(kind) == {}


def test_nft_start_with_current_and_consumer_view(netns: Any) -> None:
    nft(netns, RULESET)
    with Events(["nft"], netns=netns, start_with_current=True) as ev:
        c = Consumer()
        first = _take(ev)
        assert {e.origin for e in first} == {"current"}
        assert {e.kind for e in first} == {"table", "chain", "rule", "set", "element", "generation"}
        for e in first:
            c.apply(e)
        nft(netns, "add chain ip filt extra\nadd rule ip filt extra counter drop\n"
                   "add element ip filt allowed { 198.51.100.9 }")
        for e in _take(ev):
            c.apply(e)
        assert ("ip", "filt", "extra") in c.of("chain", netns.name)
        assert len(c.of("element", netns.name)) == 2 and len(c.of("rule", netns.name)) == 2
        assert ev.resyncs == 0


def test_nft_overflow_is_repaired(netns: Any) -> None:
    """Thousands of element notifications into a 4 KiB buffer: the stream re-dumps tables,
    chains, rules, sets and every set's elements, and the consumer ends with what nft lists."""
    import json
    import subprocess
    nft(netns, RULESET)
    with Events(["nft"], netns=netns, start_with_current=True, rcvbuf=4096, force_rcvbuf=False) as ev:
        c = Consumer()
        for e in ev.iter(0.3):
            c.apply(e)
        adds = ", ".join(f"172.16.{i // 250}.{i % 250 + 1}" for i in range(3000))
        dels = ", ".join(f"172.16.{i // 250}.{i % 250 + 1}" for i in range(0, 3000, 2))
        nft(netns, f"add element ip filt allowed {{ {adds} }}\ndelete element ip filt allowed {{ {dels} }}\n"
                   "add chain ip filt later\nadd rule ip filt later counter")
        nft(netns, "delete element ip filt allowed { 198.51.100.1 }")
        for e in ev.iter(1.0):
            c.apply(e)
        assert ev.resyncs >= 1
        out = subprocess.run(["ip", "netns", "exec", netns.name, "nft", "-j", "list", "set", "ip", "filt", "allowed"],
                             check=True, capture_output=True, text=True).stdout
        listed = {socket.inet_aton(x) for x in json.loads(out)["nftables"][1]["set"].get("elem", [])}
        got = {k[3] for k in c.of("element", netns.name)}
        assert got == listed and len(listed) == 1500
        assert ("ip", "filt", "later") in c.of("chain", netns.name)
        assert len(c.of("rule", netns.name)) == 2
