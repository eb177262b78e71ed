"""What a pynetlink-bridge process imports (no timing): the steady-state ADD and DEL load the
bridge and veth link kinds and nftables' set/element layer, not the other kinds nor the rule
layer (match, stmt, rule, nat). Guards the plugin's start-up cost (docs/performance.md, W6)."""
from __future__ import annotations

import json
import subprocess
import sys
from typing import Callable

from .bridgeenv import Env, conf
from .invoke import environment

NOT_LOADED = {"pynetlink.nft.match", "pynetlink.nft.stmt", "pynetlink.nft.rule", "pynetlink.nft.nat",
              "pynetlink.rtnl.kinds.vxlan", "pynetlink.rtnl.kinds.vlan", "pynetlink.rtnl.kinds.macvlan",
              "pynetlink.rtnl.kinds.ipvlan", "pynetlink.rtnl.kinds.dummy", "pynetlink.rtnl.kinds.generic",
              "pynetlink.events", "pynetlink.networks",
              # the codec's builders (the families load from specs/_tables.py) and the verb
              # namespaces a plugin does not use (api/namespaces.py makes them on first use)
              "pynetlink.codec.specs._ynl", "pynetlink.codec.specs.tc", "pynetlink.api.routing",
              "pynetlink.api.bridge_vlan", "pynetlink.rtnl.rules", "pynetlink.rtnl.nexthops"}
# the standard library's expensive modules a plugin does without (docs/performance.md, W6):
# @dataclass (inspect, ast), typing, enum (pulled by socket, signal and re), re, json; ipaddress,
# threading, functools, types, zlib (cni.ipnet, _thread, hand-made wraps, a CRC-32 in Python)
STDLIB_NOT_LOADED = {"dataclasses", "inspect", "ast", "typing", "enum", "re", "json", "socket", "signal",
                     "importlib", "warnings", "math", "ipaddress", "threading", "functools", "types", "zlib"}
# every module in sys.modules at exit, the interpreter's own included (the import budget of
# docs/performance.md, W6: 106 for an ADD and a DEL, about 115 before cni/startup.py and the lazy
# neighbours, metrics and link stats)
MODULE_BUDGET = 108
LOADED = {"pynetlink.codec.specs._tables", "pynetlink.rtnl.kinds.veth", "pynetlink.cni.hostlocal"}
# ADD makes links (the bridge kind, link options) and sends its masquerade elements raw
# (cni/masqraw.py); DEL only deletes the veth by name, and without prevResult it reads the
# addresses from the reservation and removes their elements through nftables' set layer
ADD_ONLY = {"pynetlink.rtnl.kinds.bridge", "pynetlink.rtnl.options", "pynetlink.cni.masqraw"}
DEL_ONLY = {"pynetlink.nft.ruleset", "pynetlink.nft.sets", "pynetlink.cni.masq"}


# runs the plugin script as its shebang would, printing sys.modules on exit (an importtime
# listing would miss what importlib.import_module loads: the plugin module, the link kinds)
HOOK = ("import atexit, sys; atexit.register(lambda: sys.stderr.write('MODULES ' + ' '.join(sys.modules) + '\\n')); "
        "sys.argv = [sys.argv[1]]; exec(compile(open(sys.argv[0]).read(), sys.argv[0], 'exec'))")


def imported(env: Env, command: str, c: dict[str, object], netns: str, cid: str) -> set[str]:
    """Run the installed plugin; the modules it imported."""
    argv = ["nsenter", f"--net=/run/netns/{env.host}", sys.executable, "-IS", "-c", HOOK, str(env.exe)]
    kw = {k: v for k, v in env.kw(netns, cid, "eth0").items() if k != "host"}
    p = subprocess.run(argv, input=json.dumps(c), capture_output=True, text=True, timeout=60,
                       env=environment(command, **kw))
    assert p.returncode == 0, p.stdout + p.stderr[-3000:]
    line = next(x for x in p.stderr.splitlines() if x.startswith("MODULES "))
    return set(line.split()[1:])


def startup_modules() -> set[str]:
    """The modules this interpreter has at exit running nothing (HOOK's way): its own start-up
    set, which differs between CPython versions."""
    p = subprocess.run([sys.executable, "-IS", "-c", HOOK.split("; sys.argv")[0]], capture_output=True,
                       text=True, timeout=60, check=True)
    return set(next(x for x in p.stderr.splitlines() if x.startswith("MODULES ")).split()[1:])


# MODULE_BUDGET counts the interpreter's start-up modules as CPython 3.11 has them (24, HOOK's
# atexit included); another version's own start-up set is measured and counted as that many
STARTUP_311 = 24


def test_bridge_add_and_del_import_only_what_they_use(env: Env, container: Callable[[], str]) -> None:
    c = conf(env.data_dir)
    first = container()
    env.add(c, first, "c1").ok()              # makes the bridge and the masquerade table
    ctr = container()
    startup = startup_modules()
    for command in ("ADD", "DEL"):
        mods = imported(env, command, c, ctr, "c2")
        assert "pynetlink.cni.bridge" in mods, sorted(mods)     # the parse found the plugin's imports
        assert LOADED <= mods, (command, sorted(LOADED - mods))
        assert (ADD_ONLY <= mods) if command == "ADD" else not (ADD_ONLY & mods), (command, sorted(ADD_ONLY & mods))
        assert (DEL_ONLY <= mods) if command == "DEL" else not (DEL_ONLY & mods), (command, sorted(DEL_ONLY & mods))
        assert not mods & NOT_LOADED, (command, sorted(mods & NOT_LOADED))
        assert not mods & STDLIB_NOT_LOADED, (command, sorted(mods & STDLIB_NOT_LOADED))
        assert len(mods - startup) + STARTUP_311 <= MODULE_BUDGET, (command, len(mods), sorted(mods - startup))
        # array without the collections package (cni/startup.py), the bundle used (cni/bundle.py)
        assert not mods & {"collections", "collections.abc"} and "pynetlink.cni.bundle" in mods, (command, sorted(mods))
    assert env.masqueraded() == {"198.51.100.2"}          # c2's DEL removed only its own element
    env.dele(c, first, "c1").ok()
    assert env.masqueraded() == set()


def test_the_first_bridge_add_makes_the_nat_table_without_the_rule_layer(env: Env,
                                                                         container: Callable[[], str]) -> None:
    """The first ADD on a node makes the masquerade table from its prebuilt transaction
    (cni/_masqtable.py): nftables' layers and ipaddress stay unloaded there too."""
    c = conf(env.data_dir)
    mods = imported(env, "ADD", c, container(), "c1")
    assert "pynetlink.cni.masqraw" in mods and not mods & NOT_LOADED, sorted(mods & NOT_LOADED)
    assert not {m for m in mods if m.startswith("pynetlink.nft")}, sorted(mods)
    assert not mods & STDLIB_NOT_LOADED, sorted(mods & STDLIB_NOT_LOADED)
    assert env.masqueraded()
