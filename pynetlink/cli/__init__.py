"""The ``pynetlink`` command (also ``python -m pynetlink``). Never imported by the library.

    pynetlink demo                                  the main job: scenario S1 with real packets
    pynetlink check                                 what this kernel and these privileges allow
    pynetlink network create|rm|ls|inspect|connect|disconnect    Docker's option language
    pynetlink link|addr|route|netns|nat             inspection and quick changes (-j: JSON)
    pynetlink rule|nexthop                          policy routing (as ip rule, ip nexthop)

``-n NETNS`` works in that namespace (as ``ip -n``); for ``network`` it is the host.
Exit status: 0 success, 1 the kernel or the system refused, 2 bad input (nothing changed),
130 interrupted (Ctrl-C at any moment: one line, no traceback), 141 the reader closed the output
pipe early (nothing printed about it).
"""
from __future__ import annotations

import argparse
import os
import sys

from ..errors import BatchError, InvalidArgument
from pynetlink_cli import interrupted

from .output import EXIT_FAILED, EXIT_PIPE, EXIT_USAGE, Progress
from .inspect import _cmd_addr_show, _cmd_link_show, _cmd_nat_show, _cmd_netns, _cmd_route_show
from .parser import build_parser, command_of
from .routing import _cmd_nexthop_show, _cmd_rule_show

TYPE_CHECKING = False       # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Sequence

__all__ = ["Progress", "build_parser", "main"]


_DEFAULT_VERB = {"link": _cmd_link_show, "addr": _cmd_addr_show, "route": _cmd_route_show,
                 "netns": _cmd_netns, "nat": _cmd_nat_show}
_DEFAULT_VERB.update(rule=_cmd_rule_show, nexthop=_cmd_nexthop_show)


def _defaults(args: argparse.Namespace) -> None:
    """Bare ``pynetlink link`` means ``link show`` (as ``ip link``)."""
    if getattr(args, "func", None) is None:
        args.func = _DEFAULT_VERB[args.command]
        for k, v in (("name", None), ("dev", None), ("table", "main"), ("family", None),
                     ("action", "ls")):
            if not hasattr(args, k):
                setattr(args, k, v)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; Ctrl-C at any moment is one line and exit status 130, a reader that
    closed the output pipe early ends it quietly (141, as a command killed by SIGPIPE)."""
    try:
        code = _run(argv)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        return interrupted()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)   # no second error when Python flushes at exit
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_PIPE


def _run(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(command_of(args_list) or "")      # (no command: every one a stub)
    args = parser.parse_args(args_list)
    _defaults(args)
    try:
        return int(args.func(args))
    except BrokenPipeError:
        raise
    except (InvalidArgument, ValueError) as exc:
        _error(exc)
        return EXIT_USAGE
    except BatchError as exc:
        _error(exc)
        return EXIT_FAILED
    except OSError as exc:
        _error(exc)
        return EXIT_FAILED


def _error(exc: BaseException) -> None:
    text = str(exc) if not isinstance(exc, OSError) or exc.strerror is None else str(exc.strerror)
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in text:
        text += f": {exc.filename}"
    print(f"pynetlink: error: {text}", file=sys.stderr)
    for note in getattr(exc, "__notes__", ()):
        print(f"  {note}", file=sys.stderr)

