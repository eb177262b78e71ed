"""Append-only journals: a network's endpoints beside its record (``NAME.eps``), the changes
of a network's address allocations beside them (``ipam/NAME.log``, see ipam.py).

Each line is one JSON row; for endpoints ``[endpoint id, endpoint]`` (``null``: the endpoint
is gone), and the last line of an id wins. A connect appends what it changed (O(1) in the endpoints of the network) instead
of rewriting the whole record; ``rewrite`` compacts it (one line per endpoint) by an atomic
rename. Only the host lock's holder writes. A SIGKILL in the middle of an append can leave
an unterminated last line: readers ignore it, and the next append cuts it off first.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from ..transport import faults
from . import ipam as files        # (ipam.py uses this module too)

Key = tuple[int, int, int]          # inode, mtime, size: a file's version
Endpoints = dict[str, dict[str, Any]]


@dataclass
class State:
    """What this process knows a journal holds on disk."""

    key: Optional[Key]               # None: no journal file
    whole: int                       # bytes of complete lines
    lines: int


def key_of(st: os.stat_result) -> Key:
    return st.st_ino, st.st_mtime_ns, st.st_size


def stat_key(path: Path) -> Optional[Key]:
    try:
        return key_of(os.stat(path))
    except FileNotFoundError:
        return None


def read_rows(path: Path) -> tuple[list[Any], State]:
    """Every complete line of the journal at ``path``, parsed (damaged ones left out)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
            key = key_of(os.fstat(f.fileno()))
    except FileNotFoundError:
        return [], State(None, 0, 0)
    whole = data.rfind(b"\n") + 1
    lines = data[:whole].splitlines()
    try:                                    # one parse for the whole file
        rows = json.loads(b"[" + b",".join(lines) + b"]")
    except ValueError:                      # a damaged line: parse line by line, skip it
        rows = []
        for line in lines:
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    return rows, State(key if whole == len(data) else None, whole, len(lines))


def read(path: Path) -> tuple[Endpoints, State]:
    """The endpoints the journal at ``path`` describes (none when it is missing)."""
    rows, state = read_rows(path)
    eps: Endpoints = {}
    for row in rows:
        if not (isinstance(row, list) and len(row) == 2 and isinstance(row[0], str)):
            continue
        if isinstance(row[1], dict):
            eps[row[0]] = row[1]
        else:
            eps.pop(row[0], None)
    return eps, state


def _line(row: Sequence[Any]) -> str:
    return json.dumps(list(row), sort_keys=True, separators=(",", ":")) + "\n"


def append(path: Path, state: State, rows: Iterable[Sequence[Any]]) -> None:
    """Append ``rows`` (for endpoints: id, endpoint or None) in one write; ``state`` is updated."""
    text = "".join(_line(r) for r in rows).encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        if os.fstat(fd).st_size != state.whole:     # a torn line of a killed writer
            os.ftruncate(fd, state.whole)
        done = 0
        while done < len(text):
            done += os.write(fd, text[done:])
        state.key = key_of(os.fstat(fd))
    finally:
        os.close(fd)
    state.whole += len(text)
    state.lines += text.count(b"\n")
    faults.point(f"append {path.parent.name}/{path.name}")


def rewrite(path: Path, rows: Sequence[Sequence[Any]]) -> State:
    """Replace the journal by ``rows`` (atomically); no file for none."""
    if not rows:
        try:
            path.unlink()
        except FileNotFoundError:
            return State(None, 0, 0)
        faults.point(f"unlink {path.parent.name}/{path.name}")
        return State(None, 0, 0)
    text = "".join(_line(r) for r in rows)
    files.atomic_write_text(path, text)
    return State(stat_key(path), len(text.encode()), len(rows))


def truncate(path: Path, whole: int, expect: Optional[Key]) -> bool:
    """Cut the journal back to its first ``whole`` bytes (none: remove it), if it is still
    the version ``expect`` (hold the lock): a rolled-back change leaves the file as it was.
    False (nothing done) when it is not."""
    if expect is None or stat_key(path) != expect or whole > expect[2]:
        return False
    if whole == 0:
        path.unlink()
    else:
        os.truncate(path, whole)
    faults.point(f"truncate {path.parent.name}/{path.name}")
    return True
