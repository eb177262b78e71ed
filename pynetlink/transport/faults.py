"""Fault injection for the reliability suite (tests/reliability): off unless asked for.

``PYNETLINK_FAULT=ACTION@K[,K2...]`` makes the K-th fault point this process passes
(1-based; several: a second Ctrl-C) act:
``kill`` (SIGKILL itself), ``int`` (SIGINT, as Ctrl-C), ``term`` (SIGTERM). Points are every
netlink transfer (after the kernel answered), every state-file write (after the rename)
and every namespace entry (after the work inside). ``PYNETLINK_FAULT_LOG=PATH`` appends the
label of each point passed to PATH, so a test can count the steps of an operation and then
inject at each one. Unset (always, outside tests), ``point`` is one comparison.
"""
from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
else:               # the C module: signal.py builds enums at import (CNI plugin start-up)
    import _signal as signal

_SIGNALS = {"kill": signal.SIGKILL, "int": signal.SIGINT, "term": signal.SIGTERM}


def _parse(text: str | None) -> tuple[int, frozenset[int]] | None:
    if not text:
        return None
    action, _, ks = text.partition("@")
    return _SIGNALS[action], frozenset(int(k) for k in ks.split(","))


_PLAN = _parse(os.environ.get("PYNETLINK_FAULT"))
_LOG = os.environ.get("PYNETLINK_FAULT_LOG") or None
ACTIVE = _PLAN is not None or _LOG is not None
_passed = 0


def arm(plan: str | None, log: str | None = None) -> None:
    """Set what the environment variables set, and count from zero (for a forked child)."""
    global _PLAN, _LOG, ACTIVE, _passed
    _PLAN, _LOG, _passed = _parse(plan), log, 0
    ACTIVE = _PLAN is not None or _LOG is not None


def point(label: str) -> None:
    """A step of an operation is complete (see the module docstring)."""
    if ACTIVE:
        _hit(label)


def _hit(label: str) -> None:
    global _passed
    _passed += 1
    if _LOG is not None:
        with open(_LOG, "a") as f:
            f.write(f"{_passed} {label}\n")
    if _PLAN is not None and _passed in _PLAN[1]:
        # to the main thread, as a terminal's Ctrl-C or a kill(1) usually lands there
        import threading          # only with a fault plan (tests): not at a plugin's start
        signal.pthread_kill(threading.main_thread().ident or 0, _PLAN[0])
