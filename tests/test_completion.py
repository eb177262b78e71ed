"""``pynetlink completion bash``: the generated script, run by a real bash, offers what the
parser has (subcommands, options, choices) at every level."""
from __future__ import annotations

import shlex
import subprocess
import sys

import pytest

from pynetlink.cli.completion import _subparsers
from pynetlink.cli.parser import build_parser


@pytest.fixture(scope="module")
def script() -> str:
    out = subprocess.run([sys.executable, "-m", "pynetlink", "completion", "bash"], check=True,
                         capture_output=True, text=True).stdout
    assert out.startswith("# bash completion for pynetlink")
    return out


def complete(script: str, *words: str) -> set[str]:
    """COMPREPLY for the command line ``pynetlink WORDS`` (the last word is being completed)."""
    line = " ".join(shlex.quote(w) for w in ("pynetlink", *words))
    prog = f"""{script}
COMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); COMPREPLY=()
_pynetlink; printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    res = subprocess.run(["bash", "--norc", "-c", prog], capture_output=True, text=True, check=True)
    assert res.stderr == ""
    return set(res.stdout.split())


def test_every_subcommand_is_offered(script: str) -> None:
    parser = build_parser()
    top = _subparsers(parser)
    assert set(top) <= complete(script, "")
    for name, sub in top.items():
        verbs = set(_subparsers(sub))
        if verbs:
            assert verbs <= complete(script, name, ""), name


def test_prefixes_options_and_choices(script: str) -> None:
    assert complete(script, "network", "c") == {"connect", "create"}
    assert complete(script, "-j", "network", "create", "--d") == {"--driver"}
    assert {"bridge", "veth", "macvlan", "--peer-netns"} <= complete(script, "-n", "h1", "link", "add", "x", "")
    assert complete(script, "link", "set", "eth0", "d") == {"down"}
    assert complete(script, "completion", "") >= {"bash", "zsh"}
    assert complete(script, "monitor", "n") == {"neigh", "nexthop", "nsid", "nft"}
    assert {"rule", "link", "all"} <= complete(script, "monitor", "route", "")


def test_option_values_are_not_taken_for_subcommands(script: str) -> None:
    # "network" after --state-dir is that option's value, not the subcommand
    assert "connect" not in complete(script, "--state-dir", "network", "")
    assert "connect" in complete(script, "--state-dir", "/tmp/x", "network", "")


def test_namespaces_are_completed(script: str, netns: object) -> None:
    name = getattr(netns, "name")
    assert name in complete(script, "-n", name[:-1])
    assert name in complete(script, "netns", "del", name[:-1])
