"""The ``pynetlink`` console command's entry point, outside the ``pynetlink`` package.

Importing anything under ``pynetlink`` first imports the whole library (about a second on a
busy machine); a Ctrl-C in that time must still end in one line and exit status 130, so
this module imports nothing of pynetlink until it is inside its guard.
"""
from __future__ import annotations

import signal
import sys

EXIT_INTERRUPTED = 130


def interrupted() -> int:
    """One line on stderr, exit status 130; a second Ctrl-C meanwhile is ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        print("pynetlink: interrupted", file=sys.stderr, flush=True)
    except OSError:
        pass
    return EXIT_INTERRUPTED


def main() -> int:
    try:
        from pynetlink.cli import main as run
        return run()
    except KeyboardInterrupt:
        return interrupted()


__all__ = ["main", "interrupted"]
