"""Network records on disk, so a second process (or the command line) sees every network.

``STATE_DIR/networks/NAME.json`` holds the configuration and what the network made in the
kernel (so removal takes exactly that); ``NAME.eps`` its endpoints (a journal, see ``Store``
and journal.py). Records of a host namespace carry its
identity (``host_ns``: device and inode of the namespace file), so records of a namespace
that was deleted are recognised as stale even when a new one gets the same name. The record
is written *before* each kernel change with the state ``creating`` / ``connecting`` / ``removing``:
a run killed half-way leaves a record that says what to look for, and the next run
converges. One flock (``STATE_DIR/networks.lock``) serialises changes on a host.
"""
from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator

from .._bounded import Bounded
from ..transport import NetNS
from . import index, journal
from .errors import NotFound
from .ipam import DEFAULT_STATE_DIR, atomic_write_text, flocked
from .journal import Key

_UNSEEN = object()      # a stamp never read
Known = tuple[str, Key | None, journal.State, int]   # head text, its key, journal, lock hold
Mark = tuple[int, int, int, Key | None]      # lock hold, journal length, lines, version
LAYOUT = 2              # the record without its endpoints; they are in NAME.eps
COMPACT_AT = 64         # journal lines before it may be compacted (at twice the endpoints)


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
    """The records of every network of one host (one state directory).

    A record is two files: ``NAME.json``, the network without its endpoints (``"layout": 2``),
    and ``NAME.eps``, its endpoints as a journal (``journal.py``): a connect appends the
    endpoints it changed instead of rewriting the record. A record of the earlier layout (the
    endpoints inside ``NAME.json``) is read as it is and rewritten in this one by its first
    save. ``networks.index`` (``index.py``) keeps every record's summary, so a new process
    reads one file instead of every record."""

    def __init__(self, state_dir: str | os.PathLike[str]) -> None:
        self.dir = Path(state_dir)
        self.net_dir = self.dir / "networks"
        self._summaries: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._known: dict[str, Known] = {}
        self._holding: tuple[int, int] = (0, 0)     # the thread holding the lock, its depth
        self._generation = 0                        # lock holds so far
        self._fresh = -1                            # the hold in which summaries were checked
        self._index = index.Index(self.dir / "networks.index")
        self._index_read = False
        self._index_stale = False       # a summary had to be parsed: the index is behind
        self._wrote = False             # a record was saved or deleted in this hold
        self._eps: dict[str, tuple[Key | None, Key | None, journal.Endpoints]] = {}   # see load
        self._stamp: bytes | None | object = _UNSEEN    # the host's stamp the summaries are current at
        self._bumped = -1                               # the hold in which this Store stamped
        self._replaced: tuple[bytes | None, bytes] = (None, b"")     # (stamp before, its own) then
        self._touched: dict[str, tuple[Key | None, Key | None]] = {}   # names written in the hold
        self._undone = -1               # the last hold in which a write was undone (restore, delete)
        self._path_cache: Bounded[str, tuple[Path, Path]] = Bounded(4096)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """The host-wide lock: hold it across a change and its record updates."""
        me = threading.get_ident()
        if self._holding[0] == me:                  # held already by this thread
            self._holding = (me, self._holding[1] + 1)
            try:
                yield
            finally:
                self._holding = (me, self._holding[1] - 1)
            return
        with flocked(self.dir / "networks.lock"):
            self._holding = (me, 1)
            self._generation += 1
            self._wrote = False
            self._touched = {}
            try:
                yield
                self._update_index()
            except BaseException:
                self._eps.clear()               # endpoints may have changed unsaved
                self._stamp = _UNSEEN           # and the summaries: files written, cache not updated
                raise
            finally:
                try:
                    self._unbump()
                finally:
                    self._holding = (0, 0)

    def _update_index(self) -> None:
        """At the end of a hold that changed records: the index rewritten if this process
        had to parse a record (its entry was missing or stale) or it names one that is gone,
        from the summaries checked in this hold. A hold that changed nothing writes nothing
        (a call refused for bad input leaves the state directory as it was)."""
        if self._wrote and self._index_stale and self._fresh == self._generation:
            self._index.write(self._summaries)
            self._index_stale = False

    def _held(self) -> bool:
        """Whether this thread holds the lock (nobody else changes the records then)."""
        return self._holding[0] == threading.get_ident()

    # -- the stamp: which Store wrote last --------------------------------------------------
    def _read_stamp(self) -> bytes | None:
        """The host's stamp: the lock file's content, replaced by every Store before the
        first write of a hold of the lock (``_bump``)."""
        try:
            fd = os.open(self.dir / "networks.lock", os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        try:
            return os.read(fd, 64)
        finally:
            os.close(fd)

    def _bump(self) -> None:
        """Before this Store's first write in a hold of the lock (before the write: a kill
        after it leaves a new stamp): a new stamp, so other Stores check every record's
        files again in their next ``summaries``; this one's summaries stay current if they
        were (its own writes keep them so)."""
        held = self._held()
        if held and self._bumped == self._generation:
            return
        # read in this hold already (summaries): under the lock only this Store changes it
        stamp = self._stamp
        old = stamp if held and self._fresh == self._generation and (stamp is None or isinstance(stamp, bytes)) \
            else self._read_stamp()
        token = os.urandom(8)
        path = self.dir / "networks.lock"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except FileNotFoundError:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.pwrite(fd, token, 0)
        finally:
            os.close(fd)
        if held:
            self._bumped, self._replaced = self._generation, (old, token)
        self._stamp = token if held and old == self._stamp else _UNSEEN

    def _touch(self, name: str) -> None:
        """Before the first write of ``name``'s files in a hold: their versions then."""
        if self._held() and name not in self._touched:
            self._touched[name] = (journal.stat_key(self.path(name)), journal.stat_key(self.journal_path(name)))

    def _unbump(self) -> None:
        """At the end of a hold that stamped: the stamp it replaced is put back if every
        record file it wrote is again the version it was before the hold (a call refused
        after writing and forgetting a record leaves the state directory as it was, and no
        other Store has anything to check again)."""
        if self._bumped != self._generation or self._undone != self._generation:
            return                      # (no write undone in this hold: the files changed)
        old, token = self._replaced
        if old is None or self._read_stamp() != token or not all(
                journal.stat_key(self.path(n)) == head and _same_journal(jrn, journal.stat_key(self.journal_path(n)))
                for n, (head, jrn) in self._touched.items()):
            return
        fd = os.open(self.dir / "networks.lock", os.O_WRONLY | os.O_CLOEXEC)
        try:
            os.ftruncate(fd, len(old))
            os.pwrite(fd, old, 0)
        finally:
            os.close(fd)
        self._stamp = old if self._stamp == token else _UNSEEN

    def path(self, name: str) -> Path:
        return self._paths(name)[0]

    def journal_path(self, name: str) -> Path:
        return self._paths(name)[1]

    def _paths(self, name: str) -> tuple[Path, Path]:
        """``NAME.json`` and ``NAME.eps``, joined once per name (a change asks ~10 times)."""
        got = self._path_cache.get(name)
        if got is None:
            got = self._path_cache.put(name, (self.net_dir / f"{name}.json", self.net_dir / f"{name}.eps"))
        return got

    def names(self) -> list[str]:
        try:
            return sorted(p.stem for p in self.net_dir.glob("*.json"))
        except FileNotFoundError:
            return []

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def load(self, name: str) -> dict[str, Any]:
        """The record ``name`` with its endpoints. Under the lock, the endpoints a load or
        save of this Store left are taken again (not parsed) while the files are unchanged;
        so a record's endpoints changed in place must be saved (a hold left by an exception
        forgets them)."""
        known = self._known.get(name)
        try:
            key = journal.stat_key(self.path(name)) if known is not None else None
            if known is not None and key is not None and key == known[1]:   # (a stat, not an open and a read)
                text = known[0]
            else:
                with open(self.path(name), "rb") as f:
                    text = f.read().decode()
                    key = journal.key_of(os.fstat(f.fileno()))
        except FileNotFoundError:
            raise NotFound(f"no network named {name!r} (networks: "
                           f"{', '.join(self.names()) or 'none'})") from None
        data: dict[str, Any] = json.loads(text)
        if data.pop("layout", None) != LAYOUT:  # the earlier layout: migrated by the next save
            self._known.pop(name, None)
            return data
        held, hit = self._held(), self._eps.get(name)
        if held and hit is not None and known is not None and hit[0] == key == known[1] and \
                hit[1] == known[2].key == journal.stat_key(self.journal_path(name)):
            data["endpoints"], state = dict(hit[2]), known[2]
        else:
            data["endpoints"], state = journal.read(self.journal_path(name))
        self._known[name] = (text, key, state, self._generation if held else -1)
        if held:
            self._eps[name] = (key, state.key, data["endpoints"])
        return data

    def save(self, record: dict[str, Any], endpoints: Iterable[str] | None = None) -> None:
        """Write ``record``. ``endpoints``: the ids of the only endpoints that changed (added,
        changed or gone) since it was loaded or saved; they are appended to its journal, and
        the rest of the record is written only if it changed. None: all of it is written."""
        name = record["config"]["name"]
        self._touch(name)
        self._bump()
        ids = None if endpoints is None else sorted(set(endpoints))
        head = {k: v for k, v in record.items() if k != "endpoints"}
        head["layout"] = LAYOUT
        text = json.dumps(head, sort_keys=True, separators=(",", ":"))
        eps: dict[str, dict[str, Any]] = record.get("endpoints", {})
        known = self._known.get(name)
        if ids is None or known is None or not self._unchanged(name, known):   # or migrated
            self.net_dir.mkdir(parents=True, exist_ok=True)
            state = journal.rewrite(self.journal_path(name), list(eps.items()))
            known = None
        else:
            state = known[2]
            if ids:
                journal.append(self.journal_path(name), state, [(i, eps.get(i)) for i in ids])
            if state.lines > COMPACT_AT and state.lines > 2 * len(eps):
                state = journal.rewrite(self.journal_path(name), list(eps.items()))
        if known is None or known[0] != text:
            atomic_write_text(self.path(name), text)
            key = journal.stat_key(self.path(name))
        else:
            key = known[1]
        self._known[name] = (text, key, state, self._generation if self._held() else -1)
        self._wrote = True
        if self._held():
            self._eps[name] = (key, state.key, eps)
        else:
            self._eps.pop(name, None)
        cached = self._summaries.get(name)
        if known is not None and known[0] == text and cached is not None and ids is not None:
            s = _updated(cached[1], eps, ids)            # only ifnames can have changed
        else:
            s = summary(json.loads(text), record)
        self._summaries[name] = ((key, state.key), s)

    def mark(self, name: str) -> Mark | None:
        """Where ``name``'s journal is now, for ``restore`` (None unless loaded or saved in
        this hold of the lock)."""
        known = self._known.get(name)
        if known is None or known[3] != self._generation or not self._held():
            return None
        return self._generation, known[2].whole, known[2].lines, known[2].key

    def restore(self, record: dict[str, Any], endpoints: Iterable[str], mark: Mark | None) -> None:
        """``save(record, endpoints)`` for a change rolled back to ``mark`` (its endpoints as
        they were then): the journal is cut back to where it was, if nothing but appends
        happened to it since in this hold; else the removals are appended."""
        name, ids = record["config"]["name"], list(endpoints)
        self._touch(name)
        self._bump()
        self._undone = self._generation
        known = self._known.get(name)
        if mark is not None and known is not None and self._held() and \
                mark[0] == self._generation == known[3] and \
                (mark[3] is None or (known[2].key is not None and known[2].key[0] == mark[3][0])) and \
                journal.truncate(self.journal_path(name), mark[1], known[2].key):
            state = journal.State(journal.stat_key(self.journal_path(name)), mark[1], mark[2])
            self._known[name] = (known[0], known[1], state, known[3])
            self._eps[name] = (known[1], state.key, record.get("endpoints", {}))
            self._summaries[name] = ((known[1], state.key), summary(json.loads(known[0]), record))
            return
        self.save(record, ids)

    def _unchanged(self, name: str, known: Known) -> bool:
        """Whether the files are still those this process read or wrote last (surely so
        when that was in this hold of the lock)."""
        if known[3] == self._generation and self._held():
            return True
        return journal.stat_key(self.path(name)) == known[1] and \
            journal.stat_key(self.journal_path(name)) == known[2].key

    def delete(self, name: str) -> None:
        self._touch(name)
        self._bump()
        self._undone = self._generation
        self._known.pop(name, None)
        self._eps.pop(name, None)
        with contextlib.suppress(FileNotFoundError):
            self.path(name).unlink()
        with contextlib.suppress(FileNotFoundError):
            self.journal_path(name).unlink()
        self._summaries.pop(name, None)
        self._wrote = True
        if self._held():
            self._index.forget(name)

    def summaries(self) -> list[dict[str, Any]]:
        """Every record as ``summary`` makes it (read-only), by name. A record is parsed
        again only when its files changed (inode, mtime, size: writes replace the head and
        append to the journal), so the changes of one process cost two ``stat`` per other
        network, not a parse; a new process takes the summaries from the index (rewritten
        at the end of a hold of the lock that changed records, see ``_update_index``)."""
        held = self._held()
        if held and self._fresh == self._generation:    # checked in this hold already
            return [s for _, (_, s) in sorted(self._summaries.items())]
        stamp = self._read_stamp() if held else _UNSEEN
        if held and stamp is not _UNSEEN and stamp == self._stamp:     # nobody else wrote since
            self._fresh = self._generation
            return [s for _, (_, s) in sorted(self._summaries.items())]
        if not self._index_read:
            self._index_read = True
            for name, entry in self._index.read().items():
                self._summaries.setdefault(name, entry)
        out, seen, parsed = [], set(), False
        try:
            entries = {e.name: e for e in os.scandir(self.net_dir)}
        except FileNotFoundError:
            entries = {}
        for name in sorted(n[:-5] for n in entries if n.endswith(".json") and not n.startswith(".")):
            jrn = entries.get(f"{name}.eps")
            try:
                key = (journal.key_of(entries[f"{name}.json"].stat()),
                       None if jrn is None else journal.key_of(jrn.stat()))
                cached = self._summaries.get(name)
                if cached is None or cached[0] != key:
                    rec = self.load(name)
                    cached = self._summaries[name] = (key, summary(rec, rec))
                    parsed = True
            except (NotFound, FileNotFoundError, ValueError):
                continue
            seen.add(name)
            out.append(cached[1])
        for gone in set(self._summaries) - seen:
            del self._summaries[gone]
        if parsed or self._index.names - seen:
            self._index_stale = True
        if held:
            self._fresh = self._generation
            self._stamp = stamp
        return out

    def all(self) -> list[dict[str, Any]]:
        out = []
        for name in self.names():
            with contextlib.suppress(NotFound, ValueError):
                out.append(self.load(name))
        return out


SUMMARY_CONFIG = ("name", "driver", "parent", "pools")       # what a summary keeps of the config
SUMMARY_MADE = ("bridge", "nat", "forwarding")              # ... and of what the network made


def _same_journal(before: Key | None, now: Key | None) -> bool:
    """Whether a journal holds what it held before a hold: in a hold it is only appended to
    and cut back to a length it had (``restore``), or replaced (a new inode), so the same
    inode and size mean the same lines, whatever the time of the last write."""
    return before == now or (before is not None and now is not None and before[0] == now[0]
                             and before[2] == now[2])


def summary(head: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """What a change needs of the other networks (``head``: a record without its endpoints):
    ``config`` (name, driver, parent, pools), ``made`` (bridge, nat, forwarding), ``host_ns``,
    ``ifnames`` (each connected namespace's interface name on the network, from ``record``'s
    endpoints) and ``spans`` (each pool's ``[IP version, first, last address as integers]``,
    see ``overlaps``). Small: a new process parses the index of every network's summary."""
    cfg, made = head["config"], head.get("made", {})
    out = {"config": {k: cfg.get(k) for k in SUMMARY_CONFIG},
           "made": {k: made[k] for k in SUMMARY_MADE if k in made}, "host_ns": head.get("host_ns"),
           "ifnames": {ep["netns"]: ep["ifname"] for ep in record.get("endpoints", {}).values()},
           "spans": [span(ipaddress.ip_network(p["subnet"])) for p in cfg["pools"]]}
    return out


def _updated(old: dict[str, Any], eps: dict[str, dict[str, Any]], changed: Iterable[str]) -> dict[str, Any]:
    """``old`` (a summary) after the endpoints ``changed`` changed: itself when its
    ``ifnames`` stay as they are; a new summary when one was added or went (O(changed))."""
    ifnames: dict[str, str] = old["ifnames"]
    new = {}
    for i in changed:
        ep = eps.get(i)
        if ep is None:                  # gone: which namespace it had is not known here
            return {**old, "ifnames": {e["netns"]: e["ifname"] for e in eps.values()}}
        if ifnames.get(ep["netns"]) != ep["ifname"]:
            new[ep["netns"]] = ep["ifname"]
    return {**old, "ifnames": {**ifnames, **new}} if new else old


def span(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[int]:
    return [net.version, int(net.network_address), int(net.broadcast_address)]


def overlaps(a: list[int], b: list[int]) -> bool:
    """Whether two spans (``summary``) share an address."""
    return a[0] == b[0] and a[1] <= b[2] and b[1] <= a[2]


def spans_of(record: dict[str, Any]) -> list[list[int]]:
    """A summary's spans (a record's, computed)."""
    got: list[list[int]] | None = record.get("spans")
    return got if got is not None else [span(n) for n in subnets_of(record)]


def subnets_of(record: dict[str, Any]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The subnets of a record's (or a summary's) pools, as ``summary`` reads them."""
    return [ipaddress.ip_network(p["subnet"]) for p in record["config"]["pools"]]
