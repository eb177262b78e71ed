"""Address allocation (IPAM) in a small file store, shared by every process on the host.

One JSON file per network under ``STATE_DIR/ipam/`` holds ``address -> owner`` and the last
address handed out per pool; an exclusive ``flock`` on a sibling lock file serialises
readers and writers (a lock file is unlinked only by its lock's holder, see ``flocked``).
A change is appended to a journal beside it (``NAME.log``, journal.py: O(1) in the addresses
allocated; a SIGKILL mid-append leaves a torn last line that readers ignore), folded into
the file, which is replaced atomically, when the journal grows long. Files of the earlier
layout (no journal) are read as they are. Like CNI's host-local: allocation goes round-robin through
the ip-range, starting after the last address given, so a freed address is not reused at
once. The gateway, aux addresses, and the subnet's network and broadcast addresses are
never handed out. An owner asking again gets the addresses it already holds.
"""
from __future__ import annotations

import contextlib
import fcntl
import glob
import ipaddress
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from ..transport import faults
from . import journal
from .errors import AddressInUse, OptionError, PoolExhausted
from .options import IPAddress, Pool

DEFAULT_STATE_DIR = "/run/pynetlink"
COMPACT_AT = 64          # journal lines before it may be folded into the file
_SECTIONS = {"a": "allocations", "l": "last"}      # journal row kinds: address -> owner, cursors
STALE_SECONDS = 5.0      # a temporary file of a dead writer older than this is removed
Request = tuple[str, Mapping[int, IPAddress]]   # owner, {pool index: explicit address}


@dataclass(frozen=True)
class Allocation:
    """What one ``reserve`` took: the addresses per owner and the round-robin cursor before
    and after, so ``unreserve`` puts everything back as it was."""

    owners: tuple[str, ...]
    addresses: tuple[tuple[IPAddress, ...], ...]
    cursor_before: Mapping[str, str]      # pool index -> last address handed out
    cursor_after: Mapping[str, str]
    log: tuple[int, journal.Key | None] | None = None   # the journal's length before, version after


def atomic_write(path: Path, data: Any) -> None:
    """Write JSON to ``path`` by rename, so readers never see half a file.

    The temporary file is ``.NAME.PID.TID.tmp``; those of writers that died (SIGKILL
    between the write and the rename: their pid is gone, and the file is older than a few
    seconds, in case the pid is of another pid namespace) are deleted here first.

    Not fsynced: the rename is atomic against a killed process, and what the records and
    allocations describe (links, addresses, rules) does not survive a power loss either, so
    durability would buy nothing and cost milliseconds a write (a connect writes four times)."""
    # compact, by json's C encoder (indent= takes the pure Python one: a record of 150
    # endpoints cost ~10 ms a write that way)
    atomic_write_text(path, json.dumps(data, sort_keys=True, separators=(",", ":")))


def atomic_write_text(path: Path, text: str) -> None:
    """``atomic_write`` of text as it is."""
    _clean_temporaries(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_native_id()}.tmp")
    try:
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:            # an error or Ctrl-C: no temporary file stays behind
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    faults.point(f"write {path.parent.name}/{path.name}")


_cleaned: dict[Path, float] = {}      # path -> when its temporaries were last looked for


def _clean_temporaries(path: Path) -> None:
    """Delete dead writers' temporaries of ``path``: looked for once every STALE_SECONDS a
    path (a listing of the directory costs O(files): every other network's)."""
    now = time.monotonic()
    if now - _cleaned.get(path, -STALE_SECONDS) < STALE_SECONDS:
        return
    _cleaned[path] = now
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = tmp.name[len(path.name) + 2:].split(".", 1)[0]
        with contextlib.suppress(FileNotFoundError):
            if pid.isdigit() and not _alive(int(pid)) and \
                    time.time() - tmp.stat().st_mtime > STALE_SECONDS:
                tmp.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:          # someone else's process
        return True
    return True


@contextlib.contextmanager
def flocked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``lock_path`` (created if missing) for the block.

    Lock, then verify: once locked, the file must still be the one at ``lock_path`` (same
    device and inode); a lock taken on a file someone unlinked meanwhile is dropped and
    taken again. So a lock file may be unlinked, but only by its lock's holder (``unlink``
    inside the block, see ``IPAM.destroy``): two processes never hold "the" lock at once.
    """
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except FileNotFoundError:       # its directory first (once: not a mkdir per lock)
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            st = os.fstat(fd)
            try:
                now = os.stat(lock_path)
            except FileNotFoundError:
                continue
            if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
                continue
            yield
            return
        finally:
            os.close(fd)


class IPAM:
    """The allocations of one network: ``allocate``, ``release``, ``allocations``."""

    def __init__(self, network: str, pools: Sequence[Pool],
                 state_dir: str | os.PathLike[str] = DEFAULT_STATE_DIR) -> None:
        self.network = network
        self.pools = tuple(pools)
        self.dir = Path(state_dir) / "ipam"
        self.path = self.dir / f"{network}.json"
        self.lock_path = self.dir / f"{network}.lock"
        self.log_path = self.dir / f"{network}.log"
        self._appended: tuple[int, journal.Key | None] | None = None   # by the last change

    # -- the store ----------------------------------------------------------------------
    def _load(self) -> tuple[dict[str, Any], journal.State]:
        """The state (hold the lock): the file, then the changes its journal appended; the
        state this process last read or wrote (a copy) while both files are still those
        versions (two ``stat``, no read: a connect of one container reads no allocations)."""
        hit = _known.get(self.path)
        if hit is not None and hit[0] == journal.stat_key(self.path) and \
                hit[1].key == journal.stat_key(self.log_path):
            return _copy(hit[2]), journal.State(hit[1].key, hit[1].whole, hit[1].lines)
        _known.pop(self.path, None)
        state, log = self._read()
        _remember(self.path, state, log)
        return state, log

    def _read(self) -> tuple[dict[str, Any], journal.State]:
        try:
            state = json.loads(self.path.read_text())
        except FileNotFoundError:
            state = {"network": self.network, "allocations": {}, "last": {}}
        rows, log = journal.read_rows(self.log_path)
        for row in rows:
            if isinstance(row, list) and len(row) == 3 and row[0] in _SECTIONS:
                part = state[_SECTIONS[row[0]]]
                if row[2] is None:
                    part.pop(row[1], None)
                else:
                    part[row[1]] = row[2]
        return state, log

    @contextlib.contextmanager
    def _state(self) -> Iterator[dict[str, Any]]:
        """The state to read or change under the lock; a change is appended to the journal
        (what changed, not the whole allocation table), which is folded into the file
        once it holds more lines than twice the allocations."""
        with flocked(self.lock_path):
            state, log = self._load()
            before = {k: dict(state[k]) for k in _SECTIONS.values()}
            yield state
            rows = [row for s, k in _SECTIONS.items() for row in _changes(s, before[k], state[k])]
            if not rows:
                return
            _known.pop(self.path, None)             # until written: read again
            if log.lines + len(rows) > COMPACT_AT and log.lines + len(rows) > 2 * len(state["allocations"]):
                atomic_write(self.path, state)      # then the journal: replayed again it changes nothing
                log = journal.rewrite(self.log_path, [])
            else:
                start = log.whole
                journal.append(self.log_path, log, rows)
                self._appended = (start, log.key)
            _remember(self.path, state, log, copy=False)   # (the caller is done with state)

    def allocations(self) -> dict[IPAddress, str]:
        """Every allocated address and its owner."""
        with self._state() as st:
            return {ipaddress.ip_address(a): o for a, o in st["allocations"].items()}

    def owned(self, owner: str) -> tuple[IPAddress, ...]:
        """The addresses ``owner`` holds (IPv4 first)."""
        return tuple(a for a, o in sorted(self.allocations().items(), key=_order) if o == owner)

    # -- allocation -----------------------------------------------------------------------
    def allocate(self, owner: str, explicit: Mapping[int, IPAddress] | None = None) -> tuple[IPAddress, ...]:
        """One address per pool for ``owner``: the explicit one, or the next free in ip-range."""
        return self.allocate_many([(owner, explicit or {})])[0]

    def allocate_many(self, requests: Sequence[Request]) -> list[tuple[IPAddress, ...]]:
        """Addresses for many owners under one lock: all of them, or none (an error)."""
        return list(self.reserve(requests).addresses)

    def reserve(self, requests: Sequence[Request],
                first: Callable[[Sequence[tuple[IPAddress, ...]]], object] | None = None) -> Allocation:
        """``allocate_many``, returning what ``unreserve`` needs to take it back. ``first``
        is called with the addresses (per request) before they are written, under this
        IPAM's lock (a write-ahead record of them: if it raises, nothing is reserved)."""
        self._appended = None
        with self._state() as st:
            alloc: dict[str, str] = st["allocations"]   # (a copy already: written only if all went well)
            before: dict[str, str] = dict(st["last"])
            last = dict(before)
            out = [self._one(alloc, last, owner, explicit) for owner, explicit in requests]
            if first is not None:
                first(out)
            st["allocations"], st["last"] = alloc, last
        return Allocation(tuple(o for o, _ in requests), tuple(out), before, last, self._appended)

    def unreserve(self, allocation: Allocation) -> None:
        """Take back a ``reserve`` (a rolled-back connect): release its owners' addresses and
        put the round-robin cursor back, so the next automatic address is the one that would
        have been given. A pool's cursor that moved on since (another allocation in between)
        is left where it is. If nothing was written since, the journal is cut back to what
        it was (the files as before the reserve)."""
        if allocation.log is not None:
            with flocked(self.lock_path):
                _known.pop(self.path, None)
                if journal.truncate(self.log_path, *allocation.log):
                    return
        gone = set(allocation.owners)
        with self._state() as st:
            for a, o in list(st["allocations"].items()):
                if o in gone:
                    del st["allocations"][a]
            for pool, after in allocation.cursor_after.items():
                if st["last"].get(pool) != after:
                    continue
                prev = allocation.cursor_before.get(pool)
                if prev is None:
                    del st["last"][pool]
                else:
                    st["last"][pool] = prev

    def _one(self, alloc: dict[str, str], last: dict[str, str], owner: str,
             explicit: Mapping[int, IPAddress]) -> tuple[IPAddress, ...]:
        """One address per IP version: the explicit one, the one held, or the next free
        address of the first pool (of that version) that has one."""
        held = {ipaddress.ip_address(a) for a, o in alloc.items() if o == owner}
        got: list[IPAddress] = []
        for version in sorted({p.version for p in self.pools}):
            idx = [i for i, p in enumerate(self.pools) if p.version == version]
            mine = sorted(a for a in held if a.version == version)
            want = next((explicit[i] for i in idx if i in explicit), None)
            if want is not None:
                self._check_explicit(alloc, owner, want)
                for a in mine:
                    if a != want:
                        del alloc[str(a)]
                alloc[str(want)] = owner
                got.append(want)
            elif mine:
                got.append(mine[0])
            else:
                got.append(self._from_pools(alloc, last, owner, idx))
        return tuple(got)

    def _check_explicit(self, alloc: Mapping[str, str], owner: str, want: IPAddress) -> None:
        pool = next((p for p in self.pools if want in p.subnet), None)
        if pool is None:
            raise OptionError("--ip", f"{want} is outside the subnets "
                                      f"({', '.join(str(p.subnet) for p in self.pools)})")
        if want in pool.reserved():
            raise OptionError("--ip", f"{want} is reserved in {pool.subnet} "
                                      "(gateway, aux, network or broadcast address)")
        holder = alloc.get(str(want))
        if holder is not None and holder != owner:
            raise AddressInUse(f"{want} is already allocated to {holder} on network {self.network}")

    def _from_pools(self, alloc: dict[str, str], last: dict[str, str], owner: str,
                    idx: list[int]) -> IPAddress:
        error: PoolExhausted | None = None
        for i in idx:
            try:
                ip = self._next_free(self.pools[i], alloc, last.get(str(i)))
            except PoolExhausted as exc:
                error = exc
                continue
            alloc[str(ip)] = owner
            last[str(i)] = str(ip)
            return ip
        assert error is not None
        raise error

    def _next_free(self, pool: Pool, alloc: Mapping[str, str], last: str | None) -> IPAddress:
        rng = pool.ip_range
        lo, hi = int(rng.network_address), int(rng.broadcast_address)
        start = lo
        if last is not None:
            prev = int(ipaddress.ip_address(last))
            if lo <= prev < hi:
                start = prev + 1
        reserved = pool.reserved()
        size = hi - lo + 1
        cls = type(rng.network_address)
        for k in range(size):
            ip = cls(lo + (start - lo + k) % size)
            if ip not in reserved and str(ip) not in alloc:
                return ip
        raise PoolExhausted(f"no free address left in {rng} on network {self.network} "
                            f"({len(alloc)} allocated)")

    # -- release --------------------------------------------------------------------------
    def release(self, owner: str) -> tuple[IPAddress, ...]:
        """Free every address of ``owner``; returns them (none is not an error)."""
        return self.release_many([owner]).get(owner, ())

    def release_many(self, owners: Sequence[str]) -> dict[str, tuple[IPAddress, ...]]:
        gone = set(owners)
        out: dict[str, list[IPAddress]] = {}
        with self._state() as st:
            for a, o in list(st["allocations"].items()):
                if o in gone:
                    out.setdefault(o, []).append(ipaddress.ip_address(a))
                    del st["allocations"][a]
        return {o: tuple(v) for o, v in out.items()}

    def destroy(self, *, only_if_empty: bool = False) -> None:
        """Forget the network: remove its store (and lock file); with ``only_if_empty`` only
        when no address is allocated (another host may share the store)."""
        with flocked(self.lock_path):
            if only_if_empty and self._load()[0]["allocations"]:
                return
            _known.pop(self.path, None)
            for path in (self.path, self.log_path):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            self.lock_path.unlink()      # while holding it: see ``flocked``


_known: dict[Path, tuple[journal.Key | None, journal.State, dict[str, Any]]] = {}   # see IPAM._load


def _copy(state: dict[str, Any]) -> dict[str, Any]:
    return {k: dict(v) if isinstance(v, dict) else v for k, v in state.items()}


def _remember(path: Path, state: dict[str, Any], log: journal.State, copy: bool = True) -> None:
    """What the file at ``path`` and its journal ``log`` hold now (after a read or write
    under the lock), with the file's version; ``copy=False``: ``state`` itself, which
    nobody changes afterwards."""
    _known[path] = (journal.stat_key(path), journal.State(log.key, log.whole, log.lines),
                    _copy(state) if copy else state)


def _changes(section: str, before: dict[str, str], after: dict[str, str]) -> list[list[Any]]:
    """Journal rows turning ``before`` into ``after`` (None: the key went)."""
    rows: list[list[Any]] = [[section, k, v] for k, v in after.items() if before.get(k) != v]
    return rows + [[section, k, None] for k in before if k not in after]


def _order(item: tuple[IPAddress, str]) -> tuple[int, int]:
    return (item[0].version, int(item[0]))
