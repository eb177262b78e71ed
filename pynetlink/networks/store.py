"""Network records on disk, so a second process (or the command line) sees every network.

``STATE_DIR/networks/NAME.json`` holds the configuration, what the network made in the
kernel (so removal takes exactly that), and its endpoints. Records of a host namespace carry its
identity (``host_ns``: device and inode of the namespace file), so records of a namespace
that was deleted are recognised as stale even when a new one gets the same name. The record
is written *before* each kernel change with the state ``creating`` / ``connecting`` / ``removing``:
a run killed half-way leaves a record that says what to look for, and the next run
converges. One flock (``STATE_DIR/networks.lock``) serialises changes on a host.
"""
from __future__ import annotations

import contextlib
import copy
import json
import os
from pathlib import Path
from typing import Any, Iterator

from ..transport import NetNS
from .errors import NotFound
from .ipam import DEFAULT_STATE_DIR, atomic_write, flocked
from .options import NetworkConfig


def default_state_dir(host: NetNS | None) -> Path:
    """/run/pynetlink for this namespace, /run/pynetlink/netns/NAME for a named host one."""
    base = Path(DEFAULT_STATE_DIR)
    if host is None:
        return base
    if host.name is not None:
        return base / "netns" / host.name
    st = os.stat(host.path)
    return base / "netns" / f"ino-{st.st_dev}-{st.st_ino}"


def ns_identity(path: str | os.PathLike[str]) -> list[int] | None:
    """A namespace's identity as records keep it: ``[st_dev, st_ino]`` of its file (a name
    can be given to a new namespace; an identity cannot). None when the file is gone."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return [st.st_dev, st.st_ino]


def is_stale(record: dict[str, Any], identity: list[int] | None) -> bool:
    """Whether ``record`` belongs to a host namespace other than the one with ``identity``
    (None: the host namespace is gone, so every record is stale). Records written before
    identities were kept are judged only by the namespace being gone."""
    if identity is None:
        return True
    kept = record.get("host_ns")
    return kept is not None and list(kept) != identity


class Store:
    """The records of every network of one host (one state directory)."""

    def __init__(self, state_dir: str | os.PathLike[str]) -> None:
        self.dir = Path(state_dir)
        self.net_dir = self.dir / "networks"
        self._summaries: dict[str, tuple[tuple[int, int, int], dict[str, Any]]] = {}

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """The host-wide lock: hold it across a change and its record updates."""
        with flocked(self.dir / "networks.lock"):
            yield

    def path(self, name: str) -> Path:
        return self.net_dir / f"{name}.json"

    def names(self) -> list[str]:
        try:
            return sorted(p.stem for p in self.net_dir.glob("*.json"))
        except FileNotFoundError:
            return []

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def load(self, name: str) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.path(name).read_text())
        except FileNotFoundError:
            raise NotFound(f"no network named {name!r} (networks: "
                           f"{', '.join(self.names()) or 'none'})") from None
        return data

    def save(self, record: dict[str, Any]) -> None:
        self.net_dir.mkdir(parents=True, exist_ok=True)
        path = self.path(record["config"]["name"])
        atomic_write(path, record)
        with contextlib.suppress(FileNotFoundError):
            self._summaries[path.stem] = (_key(os.stat(path)), summary(copy.deepcopy(
                {k: v for k, v in record.items() if k != "endpoints"}), record))

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(name).unlink()

    def summaries(self) -> list[dict[str, Any]]:
        """Every record as ``summary`` makes it (read-only), by name. A record is parsed
        again only when its file changed (inode, mtime, size: writes replace the file), so
        the changes of one process cost one ``stat`` per other network, not a parse."""
        out, seen = [], set()
        try:
            entries = list(os.scandir(self.net_dir))
        except FileNotFoundError:
            entries = []
        for e in sorted(entries, key=lambda e: e.name):
            if not e.name.endswith(".json") or e.name.startswith("."):
                continue
            name = e.name[:-5]
            try:
                key = _key(e.stat())
                cached = self._summaries.get(name)
                if cached is None or cached[0] != key:
                    rec = self.load(name)
                    cached = self._summaries[name] = (key, summary(rec, rec))
            except (NotFound, FileNotFoundError, ValueError):
                continue
            seen.add(name)
            out.append(cached[1])
        for gone in set(self._summaries) - seen:
            del self._summaries[gone]
        return out

    def all(self) -> list[dict[str, Any]]:
        out = []
        for name in self.names():
            with contextlib.suppress(NotFound, ValueError):
                out.append(self.load(name))
        return out


def summary(head: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """``head`` (a record without its endpoints) with ``ifnames``: each connected
    namespace's interface name on the network, from ``record``'s endpoints, and
    ``_config``: the parsed configuration (see ``config_of``)."""
    out = {k: v for k, v in head.items() if k != "endpoints"}
    out["ifnames"] = {ep["netns"]: ep["ifname"] for ep in record.get("endpoints", {}).values()}
    out["_config"] = NetworkConfig.from_dict(head["config"])
    return out


def config_of(record: dict[str, Any]) -> NetworkConfig:
    """A record's (or summary's) configuration, parsed once per summary."""
    cfg = record.get("_config")
    return cfg if isinstance(cfg, NetworkConfig) else NetworkConfig.from_dict(record["config"])


def _key(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_ino, st.st_mtime_ns, st.st_size
