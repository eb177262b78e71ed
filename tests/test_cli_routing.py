"""``pynetlink rule``, ``pynetlink nexthop`` and the table/nexthop/metrics options of ``route``,
against ``ip -j`` in a namespace of the test's own; their completion."""
from __future__ import annotations

import json
import shlex
import subprocess
import sys
from typing import Any

import pytest

from pynetlink import Handle

from .rtnl.conftest import wire
from .test_cli import Run, ip_json
from . import test_cli

run = test_cli.run                   # the fixture: main() in this process, (code, stdout, stderr)


@pytest.fixture
def ns(netns: Any) -> str:
    """The test namespace with lo and eth0 (198.51.100.1/24, 2001:db8:5::1/64) up."""
    with Handle(netns) as h:
        wire(h, netns)
    return str(netns.name)


@pytest.mark.root
def test_rule_add_ls_del(run: Run, ns: str) -> None:
    assert run("-n", ns, "rule", "add", "--pref", "100", "--from", "198.51.100.0/24", "--to",
               "203.0.113.0/24", "--fwmark", "0x10/0xff", "--table", "1000", "--iif", "lo",
               "--uidrange", "100-200", "--sport", "1000-2000", "--dport", "80", "--ipproto", "tcp")[0] == 0
    assert run("-n", ns, "rule", "add", "--pref", "101", "--not", "--from", "172.16.0.0/12",
               "--goto", "200")[0] == 0
    assert run("-n", ns, "rule", "add", "--pref", "200", "--action", "prohibit")[0] == 0
    assert run("-n", ns, "rule", "add", "-6", "--pref", "300", "--from", "2001:db8::/32",
               "--table", "main", "--suppress-prefixlength", "0")[0] == 0
    code, out, _ = run("-n", ns, "-j", "rule", "ls")
    assert code == 0 and json.loads(out) == ip_json(ns, "rule", "show")
    code, out, _ = run("-n", ns, "rule", "show", "-6", "-j")
    assert code == 0 and json.loads(out) == ip_json(ns, "-6", "rule", "show")
    code, out, _ = run("-n", ns, "rule")                       # bare: ls, as a table
    assert code == 0 and "PRIORITY" in out and "198.51.100.0/24" in out and "goto 200" in out
    assert run("-n", ns, "rule", "del", "--pref", "101")[0] == 0
    assert run("-n", ns, "rule", "del", "-6", "--pref", "300")[0] == 0
    assert {r["priority"] for r in ip_json(ns, "rule", "show")} == {0, 100, 200, 32766, 32767}
    assert 300 not in {r["priority"] for r in ip_json(ns, "-6", "rule", "show")}


@pytest.mark.root
@pytest.mark.parametrize("argv, says", [
    (("--fwmark", "x1"), "--fwmark"), (("--uidrange", "a-b"), "--uidrange"),
    (("--table", "nosuch"), "Rule.table"), (("--from", "198.51.100.0/33"), "Rule.src"),
    (("--ipproto", "nosuch"), "Rule.ip_proto"), (("--goto", "5", "--action", "nop"), "Rule.goto"),
])
def test_rule_bad_values(run: Run, ns: str, argv: tuple[str, ...], says: str) -> None:
    before = ip_json(ns, "rule", "show")
    code, _, err = run("-n", ns, "rule", "add", "--pref", "5", *argv)
    assert code == 2 and says in err
    assert ip_json(ns, "rule", "show") == before


@pytest.mark.root
@pytest.mark.kernel("veth")
def test_nexthop_add_ls_replace_del(run: Run, ns: str) -> None:
    for argv in (("1", "--via", "198.51.100.2", "--dev", "eth0"), ("2", "--via", "198.51.100.3", "--dev", "eth0"),
                 ("3", "--blackhole"), ("4", "--via", "198.51.100.9", "--fdb"),
                 ("6", "--via", "2001:db8:5::2", "--dev", "eth0"),
                 ("10", "--group", "1,3/2"), ("11", "--group", "1/2", "--type", "resilient",
                                              "--buckets", "16", "--idle-timer", "5")):
        code, _, err = run("-n", ns, "nexthop", "add", *argv)
        assert code == 0, err
    code, out, _ = run("-n", ns, "-j", "nexthop", "ls")
    assert code == 0 and json.loads(out) == ip_json(ns, "nexthop", "show")
    assert {n["id"]: n for n in json.loads(out)}[10]["group"] == [{"id": 1, "weight": 3}, {"id": 2}]
    code, out, _ = run("-n", ns, "nexthop", "show", "-j", "--groups")
    assert [n["id"] for n in json.loads(out)] == [10, 11]
    code, out, _ = run("-n", ns, "nexthop", "show", "-j", "-6")
    assert [n["id"] for n in json.loads(out)] == [6]
    code, out, _ = run("-n", ns, "nexthop", "show", "-j", "1")
    assert json.loads(out)[0]["gateway"] == "198.51.100.2"
    assert run("-n", ns, "nexthop", "replace", "1", "--via", "198.51.100.4", "--dev", "eth0")[0] == 0
    assert ip_json(ns, "nexthop", "show", "id", "1")[0]["gateway"] == "198.51.100.4"
    code, out, _ = run("-n", ns, "nexthop")
    assert code == 0 and "GATEWAY" in out and "1,3/2,1" in out
    assert run("-n", ns, "nexthop", "del", "10")[0] == 0
    assert 10 not in {n["id"] for n in ip_json(ns, "nexthop", "show")}
    code, _, err = run("-n", ns, "nexthop", "del", "10")
    assert code == 1 and "delete nexthop" in err
    code, _, err = run("-n", ns, "nexthop", "add", "20", "--group", "1,x")
    assert code == 2 and "--group" in err
    code, _, err = run("-n", ns, "nexthop", "add", "20", "--blackhole", "--dev", "eth0")
    assert code == 2 and "NexthopObject.blackhole" in err


@pytest.mark.root
@pytest.mark.kernel("veth")
def test_route_table_nexthop_and_metrics(run: Run, ns: str) -> None:
    assert run("-n", ns, "nexthop", "add", "1", "--via", "198.51.100.2", "--dev", "eth0")[0] == 0
    assert run("-n", ns, "route", "add", "203.0.113.0/24", "--nexthop", "1")[0] == 0
    assert run("-n", ns, "route", "add", "172.16.5.0/24", "--via", "198.51.100.2", "--table", "100",
               "--metric", "20", "--mtu", "1400", "--initcwnd", "10",
               "--metrics", "advmss=1300,lock=mtu,features=ecn,rtt=100")[0] == 0
    assert run("-n", ns, "route", "add", "2001:db8:9::/64", "--via", "2001:db8:5::2", "--hoplimit", "7")[0] == 0
    assert [r.get("nhid") for r in ip_json(ns, "route", "show", "203.0.113.0/24")] == [1]
    t100 = ip_json(ns, "route", "show", "table", "100")[0]
    assert (t100["metric"], t100["metrics"][0]) == (20, {"mtu": 1400, "rtt": 100, "advmss": 1300,
                                                         "initcwnd": 10, "ecn": None})
    code, out, _ = run("-n", ns, "-j", "route", "show", "--table", "100")
    ours = json.loads(out)[0]
    assert ours["metrics"] == t100["metrics"] and ours["table"] == 100
    code, out, _ = run("-n", ns, "-j", "route", "show")
    assert {r["dst"]: r for r in json.loads(out)}["203.0.113.0/24"]["nhid"] == 1
    v6 = ip_json(ns, "-6", "route", "show", "2001:db8:9::/64")[0]
    assert v6["metrics"][0]["hoplimit"] == 7
    assert run("-n", ns, "route", "del", "172.16.5.0/24", "--table", "100")[0] == 0
    assert ip_json(ns, "route", "show", "table", "100") == []
    code, _, err = run("-n", ns, "route", "add", "172.16.6.0/24", "--via", "198.51.100.2",
                       "--metrics", "mtu=x")
    assert code == 2 and "--metrics mtu" in err
    code, _, err = run("-n", ns, "route", "add", "172.16.6.0/24", "--via", "198.51.100.2",
                       "--metrics", "nosuch=1")
    assert code == 2 and "nosuch" in err
    code, _, err = run("-n", ns, "route", "add", "172.16.6.0/24", "--via", "198.51.100.2", "--table", "x")
    assert code == 2 and "Route.table" in err
    assert "172.16.6.0/24" not in {r["dst"] for r in ip_json(ns, "route", "show", "table", "all")}


def test_completion_knows_rule_and_nexthop() -> None:
    script = subprocess.run([sys.executable, "-m", "pynetlink", "completion", "bash"], check=True,
                            capture_output=True, text=True).stdout

    def complete(*words: str) -> set[str]:
        line = " ".join(shlex.quote(w) for w in ("pynetlink", *words))
        prog = (f"{script}\nCOMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); COMPREPLY=()\n"
                "_pynetlink; printf '%s\\n' \"${COMPREPLY[@]}\"\n")
        res = subprocess.run(["bash", "--norc", "-c", prog], capture_output=True, text=True, check=True)
        return set(res.stdout.split())

    assert {"rule", "nexthop"} <= complete("")
    assert complete("rule", "") >= {"add", "del", "ls", "show"}
    assert {"--fwmark", "--from", "--uidrange"} <= complete("rule", "add", "--")
    assert complete("rule", "add", "--action", "") == {"blackhole", "unreachable", "prohibit", "nop"}
    assert complete("nexthop", "add", "1", "--type", "") == {"mpath", "resilient"}
    assert {"--nexthop", "--table", "--mtu", "--metrics"} <= complete("route", "add", "x", "--")
