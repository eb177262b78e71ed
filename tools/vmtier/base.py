"""Exit codes, the two exceptions that end a run, and the stderr log."""
from __future__ import annotations

import signal
import sys

PROG = "vm-tier"
EXIT_TIMEOUT = 124
EXIT_INFRA = 125
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class InfraError(Exception):
    """Boot or infrastructure failure: exit 125 with a clear message."""


class Stopped(Exception):
    """The runner got SIGINT/SIGTERM/SIGHUP."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def log(msg: str) -> None:
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)
