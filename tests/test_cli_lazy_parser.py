"""The command line builds in full only the parser of the command it runs."""
from __future__ import annotations

import argparse

import pytest

from pynetlink.cli.parser import build_parser, command_of


@pytest.mark.parametrize("argv, command", [
    (["link", "ls"], "link"),
    (["-n", "ns1", "addr", "show"], "addr"),
    (["--netns", "link", "route", "ls"], "route"),          # an option's value is not the command
    (["--netns=ns1", "-j", "nat", "show"], "nat"),
    (["--state-dir", "/tmp/x", "--ipam-dir", "/tmp/y", "network", "ls"], "network"),
    (["-nns1", "netns", "ls"], "netns"),
    (["--", "link"], "link"),
    (["--help"], None),
    ([], None),
    (["-n"], None),
    (["--net", "ns1", "link", "ls"], "link"),                # abbreviated, as argparse takes it
    (["--state", "/tmp/x", "addr"], "addr"),
    (["-jn", "ns1", "route"], "route"),                     # a cluster ending in -n
    (["-njs", "link"], "link"),                             # -n with its value attached
    (["-j", "-V"], None),
])
def test_command_of(argv: list[str], command: str | None) -> None:
    assert command_of(argv) == command


def commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_one_command_in_full_the_others_listed() -> None:
    full = build_parser()
    names = list(commands(full))
    assert len(names) > 10
    assert build_parser("").format_help() == full.format_help()
    assert all(not p._actions for p in commands(build_parser("")).values())
    for name in names:
        one = build_parser(name)
        assert one.format_help() == full.format_help()            # every command listed
        got = commands(one)
        assert list(got) == names
        assert got[name].format_help() == commands(full)[name].format_help()
        stubs = [n for n in names if n != name]
        assert all(not got[n]._actions for n in stubs)             # nothing built for them


@pytest.mark.parametrize("argv", [
    ["link", "ls", "-s"], ["--net", "x", "link", "ls"], ["-jn", "x", "addr", "show"],
    ["-n", "x", "route", "add", "default", "--via", "198.51.100.1"],
    ["network", "create", "--subnet", "172.18.0.0/16", "net1"], ["nat", "publish", "8080:80", "172.17.0.2"],
])
def test_a_command_parses_as_with_the_whole_parser(argv: list[str]) -> None:
    assert vars(build_parser(command_of(argv)).parse_args(argv)) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", [["--help"], ["link", "--help"], ["netns", "ls"]])
def test_the_command_line_loads_neither_typing_nor_logging(argv: list[str]) -> None:
    """Start-up (issue 14): the command line imports what the command needs; logging only
    for the commands that use pynetlink.networks (its one logger)."""
    import subprocess
    import sys
    code = ("import sys, contextlib, io\n"
            "from pynetlink.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n"
            f"        main({argv!r})\n"
            "    except SystemExit:\n"
            "        pass\n"
            "print(sorted(m for m in ('typing', 'logging') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
