"""`pynetlink monitor`: one line (or one JSON object) per event, flushed at once; Ctrl-C exits 0
without a traceback."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
from typing import Any

from .helpers import ip


def _monitor(ns: Any, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pynetlink", "monitor", "-n", ns.name, "--current", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _read_until(proc: subprocess.Popen[str], text: str, limit: int = 50) -> list[str]:
    assert proc.stdout is not None
    lines = []
    for _ in range(limit):
        lines.append(proc.stdout.readline().rstrip("\n"))
        if text in lines[-1]:
            return lines
    raise AssertionError(f"{text!r} not in {lines}")


def _interrupt(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "Traceback" not in err, err


def test_monitor_text_lines(netns: Any) -> None:
    proc = _monitor(netns, "link", "addr")
    try:
        first = _read_until(proc, "lo")           # subscribed: the current state comes first
        assert first[-1].startswith("new link 1: lo <LOOPBACK> mtu 65536") and first[-1].endswith("[current]")
        ip(netns, "link", "add", "br7", "type", "bridge")
        ip(netns, "address", "add", "198.51.100.7/24", "dev", "br7")
        ip(netns, "link", "set", "br7", "mtu", "1400")
        lines = _read_until(proc, "mtu 1500 -> 1400")
        assert any(x.startswith("new link ") and ": br7 <" in x and "kind bridge" in x for x in lines)
        assert any(x.startswith("new address ") and "inet 198.51.100.7/24 scope global" in x for x in lines)
        assert lines[-1].startswith("changed link ") and f"netns {netns.name}" in lines[-1]
    finally:
        _interrupt(proc)


def test_monitor_json(netns: Any) -> None:
    proc = _monitor(netns, "-j", "route", "nft")
    try:
        ip(netns, "link", "add", "br7", "type", "bridge")
        ip(netns, "link", "set", "br7", "up")
        ip(netns, "address", "add", "198.51.100.7/24", "dev", "br7")
        lines = _read_until(proc, "198.51.100.0/24")
        e = json.loads(lines[-1])
        assert (e["kind"], e["action"], e["netns"]) == ("route", "new", netns.name)
        assert e["object"]["dst"] == "198.51.100.0/24" and e["object"]["scope"] == "link"
        subprocess.run(["ip", "netns", "exec", netns.name, "nft", "add", "table", "inet", "mon"], check=True)
        e = json.loads(_read_until(proc, '"kind": "table"')[-1])
        assert (e["kind"], e["action"], e["object"]["name"], e["object"]["family"]) == ("table", "new", "mon", "inet")
    finally:
        _interrupt(proc)


def test_monitor_rule_and_nexthop(netns: Any) -> None:
    ip(netns, "link", "add", "br7", "type", "bridge")
    ip(netns, "link", "set", "br7", "up")
    ip(netns, "address", "add", "198.51.100.1/24", "dev", "br7")
    proc = _monitor(netns, "rule", "nexthop")
    try:
        first = _read_until(proc, "32767:")            # the default rules, as ip rule shows them
        assert "new iprule 0: from all lookup local" in first[0] and first[-1].endswith("[current]")
        ip(netns, "rule", "add", "pref", "100", "from", "198.51.100.0/24", "fwmark", "0x10", "table", "100")
        ip(netns, "nexthop", "add", "id", "7", "via", "198.51.100.2", "dev", "br7")
        ip(netns, "nexthop", "add", "id", "8", "group", "7")
        ip(netns, "rule", "del", "pref", "100")
        lines = _read_until(proc, "deleted iprule")
        assert f"new iprule 100: from 198.51.100.0/24 fwmark 0x10 lookup 100 netns {netns.name}" in lines
        assert any(x.startswith("new nexthop id 7 via 198.51.100.2 dev ") and "scope link" in x for x in lines)
        assert any(x.startswith("new nexthop id 8 group 7") for x in lines)
        assert lines[-1].startswith("deleted iprule 100: from 198.51.100.0/24")
    finally:
        _interrupt(proc)


def test_monitor_nexthop_json(netns: Any) -> None:
    proc = _monitor(netns, "-j", "nexthop")
    try:
        ip(netns, "link", "set", "lo", "up")
        ip(netns, "nexthop", "add", "id", "9", "blackhole")
        e = json.loads(_read_until(proc, '"kind": "nexthop"')[-1])
        assert (e["kind"], e["action"], e["netns"]) == ("nexthop", "new", netns.name)
        assert (e["object"]["id"], e["object"]["blackhole"], e["object"]["group"]) == (9, True, [])
        ip(netns, "nexthop", "del", "id", "9")
        e = json.loads(_read_until(proc, '"deleted"')[-1])
        assert (e["action"], e["object"]["id"]) == ("deleted", 9)
    finally:
        _interrupt(proc)
