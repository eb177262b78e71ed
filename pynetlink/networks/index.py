"""``STATE_DIR/networks.index``: the summary of every network record (``Store.summaries``)
with the versions (inode, mtime, size) of the files it was made from.

A new process (the command line) reads this one file instead of every record: an entry is
used while its record's files are still those versions (two ``stat``), else the record is
parsed again. So the index is never trusted blindly and may be missing, stale or damaged:
it is rewritten (atomically, at the end of a hold of the host lock that changed records)
when a record had to be parsed or is gone, and removed with the last network.
"""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from ..transport import faults
from .ipam import atomic_write
from .journal import Key, key_of, stat_key

VERSION = 1
Entry = tuple[Any, dict[str, Any]]       # (head key, journal key), summary


class Index:
    """The index file of one state directory, and the names it held when last read/written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.names: set[str] = set()
        self.key: Key | None = None          # the file's version when ``names`` was taken

    def read(self) -> dict[str, Entry]:
        """The entries on disk (none if the file is missing or damaged)."""
        try:
            with open(self.path, "rb") as f:
                data = json.loads(f.read())
                self.key = key_of(os.fstat(f.fileno()))
            nets = data["networks"] if data.get("version") == VERSION else {}
            out = {name: (_keys(e["key"]), e["summary"]) for name, e in nets.items()}
        except FileNotFoundError:
            out, self.key = {}, None
        except (ValueError, TypeError, KeyError, AttributeError):
            out = {}
        self.names = set(out)
        return out

    def write(self, entries: dict[str, Entry]) -> None:
        """Replace the index by ``entries`` (hold the host lock); none: remove it."""
        self.names = set(entries)
        if not entries:
            self.key = None
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
                faults.point(f"unlink {self.path.name}")
            return
        atomic_write(self.path, {"version": VERSION, "networks": {
            name: {"key": key, "summary": {k: v for k, v in s.items() if not k.startswith("_")}}
            for name, (key, s) in entries.items()}})
        self.key = stat_key(self.path)

    def forget(self, name: str) -> None:
        """Drop one network's entry, if the file has one (hold the host lock); the file is
        read only if it changed since this process read or wrote it, or names ``name``."""
        if stat_key(self.path) == self.key and name not in self.names:
            return
        entries = self.read()
        if name in entries:
            del entries[name]
            self.write(entries)


def _keys(raw: Any) -> Any:
    """The JSON form of (head key, journal key) as tuples again (comparable to ``stat``'s)."""
    head, jrn = raw
    return tuple(head), (tuple(jrn) if jrn is not None else None)
