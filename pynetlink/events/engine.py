"""The state machine of one subscription socket (no I/O): buffers in, events out.

One ``Engine`` serves one socket (one protocol, one namespace). It keeps the stream's
state (every object of every watched kind, by key, as last reported) and runs dumps on the
same socket as the notifications, so that replies and notifications reach it in the order
the kernel queued them. How no change is lost or reported twice:

* A dump of a kind is in flight: notifications of that kind are folded into the dump's
  result (a later one replaces what an earlier dump part said, a dump part replaces an
  earlier notification). When the dump ends, the difference between the state and that
  result is reported (``current``: everything as new, ``resync``: only what differs) and
  the result becomes the state. During the first dump of a kind its notifications are
  only folded; during a re-dump they are also reported as they come (the difference at
  the end then holds only what the notifications did not say).
* The first dump of a kind is queued but not yet sent: its notifications are dropped (the
  dump, sent later, shows their effect).
* Otherwise a notification is compared with the state: a deletion of an unknown object
  and nothing else is dropped; "new" of a known object is "changed".
* With ``start_with_current`` the current state of every kind is reported first, in one
  piece: changes of a kind already loaded are held until the last first dump has ended.
* Overflow (``ENOBUFS``: the kernel dropped notifications): every kind is dumped again and
  the difference reported. A dump flagged ``NLM_F_DUMP_INTR`` is sent again.
* Changes the kernel makes without notifying (IPv4 routes flushed when a link goes down,
  ``linkdown`` set on carrier loss, ...) are found by a re-dump of the kinds concerned.
"""
from __future__ import annotations

import errno
import sys
from collections import deque
from itertools import chain, compress, repeat
from operator import itemgetter
from typing import Any, Callable, Hashable, Iterable, Sequence

from .._native import lib
from ..codec.rows import Rows, decode
from ..codec.schema import Family
from ..errors import NetlinkError
from .event import CHANGED, CURRENT, DELETED, KERNEL, NEW, RESYNC, Event
from .kinds import AddressKind, DumpItems, Item, Kind, LinkKind, NeighbourKind, RouteKind, Scope

try:                                # the C engine (csrc/ext/events.c), set up by .kinds
    from . import _engine
except ImportError:                 # pragma: no cover - a build without it runs the Python path
    _engine = None  # type: ignore[assignment]
if sys.version_info >= (3, 14):     # pragma: no cover - tuples cache their hash there (ob_hash),
    _engine = None  # type: ignore[assignment]  # which the engine's Event tuples do not set

SILENT = "silent"                     # a first dump that loads the state without reporting it
_DONE, _ERROR = int(lib.NLMSG_DONE), int(lib.NLMSG_ERROR)
_DUMP_INTR = int(lib.NLM_F_DUMP_INTR)
_RETRY = {errno.ENOBUFS, errno.EINTR, errno.EAGAIN, errno.EBUSY}
_END = object()                       # the key of a dump's NLMSG_DONE / NLMSG_ERROR in a walk
_first = itemgetter(0)
_new_tuple = tuple.__new__
_BulkKind = tuple[Kind, dict[Hashable, Any], int]


class _Pending:
    """A kind waiting for its dumps; ``parts`` (scope, request) are made when it starts."""

    __slots__ = ("kind", "origin", "parts")

    def __init__(self, kind: Kind, origin: str) -> None:
        self.kind = kind
        self.origin = origin
        self.parts: list[tuple[Scope, DumpItems]] | None = None

    def covers(self, key: Hashable) -> bool:
        return self.parts is None or any(scope(key) for scope, _ in self.parts)


class _Dump:
    """One dump in flight: its result so far, with the notifications folded in."""

    __slots__ = ("kind", "origin", "scope", "items", "seq", "merged", "dirty")

    def __init__(self, kind: Kind, origin: str, scope: Scope, items: DumpItems, seq: int) -> None:
        self.kind, self.origin, self.scope, self.items, self.seq = kind, origin, scope, items, seq
        self.merged: dict[Hashable, Any] = {}
        self.dirty = False


class Engine:
    """Events of ``kinds`` from one socket; ``send`` sends a dump request, returns its seq."""

    def __init__(self, kinds: Sequence[Kind], family: Family, portid: int,
                 send: Callable[[DumpItems], int], *, netns: str | None = None,
                 start_with_current: bool = False, load: bool = True) -> None:
        """``load=False`` starts from an empty state without a first dump (to replay
        recorded buffers)."""
        self.kinds = list(kinds)
        self.family = family
        self.portid = portid
        self.netns = netns
        self._send = send
        self.by_name = {k.name: k for k in self.kinds}
        self.by_type: dict[int, tuple[Kind, bool]] = {
            t: (k, gone) for k in self.kinds for t, gone in k.types.items()}
        self.state: dict[str, dict[Hashable, Any]] = {k.name: {} for k in self.kinds}
        # message type -> (kind name, is a deletion, state) of kinds without children or re-dumps
        self._plain = {t: (k.name, gone, self.state[k.name]) for t, (k, gone) in self.by_type.items()
                       if k.plain}
        # the bulk path (``_bulk``), by message type: plain kinds with one deletion type and
        # a ``batch``: (kind, its state, its deletion type)
        self._bulk_kinds: dict[int, _BulkKind] = {}
        self.native = True                # the C engine (_engine.events) for the kinds it knows
        self._cstates = self._c_states()
        for k in self.kinds:
            gones = [t for t, g in k.types.items() if g]
            if k.plain and type(k).batch is not Kind.batch and len(gones) == 1:
                self._bulk_kinds.update(dict.fromkeys(k.types, (k, self.state[k.name], gones[0])))
        self.queue: deque[_Pending] = deque(
            _Pending(k, CURRENT if start_with_current else SILENT) for k in self.kinds if load)
        self.current: _Dump | None = None
        self.resyncs = 0                  # overflows recovered from
        self.redumps = 0                  # dumps sent after the first ones
        self._loaded: set[str] = set() if load else set(self.by_name)
        self._held: list[Event] | None = [] if start_with_current and load else None
        self._start_next()

    # -- public ---------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """Every kind has its first state loaded (the stream has started)."""
        return len(self._loaded) == len(self.kinds)

    def feed(self, data: bytes, overflow: bool = False) -> list[Event]:
        """The events of one received buffer (decoded in one C call); ``overflow``: the
        kernel reported ENOBUFS while it was read."""
        out: list[Event] = []
        if data and not self._native(data, out):
            self._walk(decode(data, self.family), out)
        if overflow:
            self.overflowed()
        self._start_next()
        if self._held is None:
            return out
        # start_with_current: the whole current state first, in one piece. Changes of a kind
        # already loaded wait until every kind's first dump has been reported (their order
        # among themselves, and after their own kind's current state, is kept).
        current = [e for e in out if e.origin == CURRENT]
        self._held += [e for e in out if e.origin != CURRENT]
        if self._first_dumps_pending():
            return current
        held, self._held = self._held, None
        return current + held

    def _c_states(self) -> tuple[Any, ...] | None:
        """The C engine's states (address, link, route, neighbour; None: not watched), or
        None when a kind it does not know reads messages of those kinds."""
        if _engine is None:
            return None
        states: list[Any] = [None] * 4
        c_types = {t for k in (LinkKind, AddressKind, RouteKind, NeighbourKind) for t in k.types}
        for k in self.kinds:
            i = k.c_kind
            if i is None or states[i] is not None:
                if c_types & k.types.keys():
                    return None
                continue
            states[i] = self.state[k.name]
        return tuple(states) if any(x is not None for x in states) else None

    def _native(self, data: bytes, out: list[Event]) -> bool:
        """The C engine on a buffer not decoded yet, when no dump is in flight and it holds
        notifications of the kinds it knows only (False: declined, nothing done)."""
        if not self.native or self._cstates is None or self.current is not None or self.queue or _engine is None:
            return False
        names = _engine.events(data, self._cstates, self.netns, out)
        if names is None:
            return False
        for name in names:                    # a link's change: kinds to dump again
            if name in self.by_name:
                self._queue_resync(name)
        return True

    def _first_dumps_pending(self) -> bool:
        cur = self.current
        return (cur is not None and cur.origin == CURRENT) or any(p.origin == CURRENT for p in self.queue)

    def overflowed(self) -> None:
        """Notifications were lost: dump every kind again and report the difference."""
        self.resyncs += 1
        cur = self.current
        if cur is not None:
            cur.dirty = True
        old = {p.kind.name: p.origin for p in self.queue}
        if cur is not None:
            old.setdefault(cur.kind.name, cur.origin)
        self.queue = deque(_Pending(k, old.get(k.name, RESYNC)) for k in self.kinds)

    def resync(self, names: Sequence[str] | None = None) -> None:
        """Dump kinds again (all by default) and report what differs from the state."""
        for name in names or list(self.by_name):
            self._queue_resync(name)
        self._start_next()

    # -- walking a buffer -----------------------------------------------------------------
    def _walk(self, rows: Rows, out: list[Event]) -> None:
        by_type = self.by_type
        bulk = self._bulk_kinds.get(rows.tf[0] & 0xFFFF) if rows.count else None
        if bulk is not None and self.current is None and not self.queue:
            got = bulk[0].batch(rows)
            if got is not None:
                self._bulk(bulk, *got, out)
                return
        groups: dict[int, list[int]] = {}
        tf, end, n, i = rows.tf, rows.end, rows.count, 0
        while i < n:
            t = tf[i] & 0xFFFF
            g = groups.get(t)
            if g is None:
                groups[t] = [i]
            else:
                g.append(i)
            i = end[i]
        parsed = [by_type[t][0].parse(rows, msgs) for t, msgs in groups.items() if t in by_type]
        items = parsed[0] if len(parsed) == 1 else sorted(chain.from_iterable(parsed), key=_first)
        if self.current is None and not self.queue:     # no dump: every message is a notification
            self._notifications(items, tf, out)
            return
        ends = groups.get(_DONE, []) + groups.get(_ERROR, [])
        if ends:
            items = sorted([*items, *((m, _END, None) for m in ends)], key=_first)
        data, off, val, portid = rows.data, rows.off, rows.val, self.portid
        for m, key, view in items:
            cur = self.current
            if (cur is not None and val[m] & 0xFFFFFFFF == cur.seq
                    and int.from_bytes(data[off[m] + 12:off[m] + 16], "little") == portid):
                if key is _END:
                    self._end(rows, m, out)
                else:
                    if val[m] >> 32 & _DUMP_INTR:
                        cur.dirty = True
                    if cur.scope(key):
                        cur.merged[key] = view
            elif key is not _END:
                kind, gone = by_type[tf[m] & 0xFFFF]
                self._notified(kind, key, view, gone, out)

    def _notifications(self, items: list[Item], tf: Any, out: list[Event]) -> None:
        """``_apply`` for a buffer of notifications only, inlined for kinds that neither hold
        children nor cause re-dumps (the hot path: thousands of events per buffer)."""
        plain, netns, append, make = self._plain, self.netns, out.append, tuple.__new__
        for m, key, view in items:
            t = tf[m] & 0xFFFF
            fast = plain.get(t)
            if fast is None:
                kind, gone = self.by_type[t]
                self._apply(kind, key, None if gone else view, view, KERNEL, out)
                continue
            name, gone, st = fast
            prev = st.get(key)
            if gone:
                if prev is not None:
                    del st[key]
                    append(make(Event, (name, DELETED, view, prev, key, netns, KERNEL)))
            else:
                st[key] = view
                append(make(Event, (name, NEW if prev is None else CHANGED, view, prev, key, netns, KERNEL)))

    def _bulk(self, bulk: "_BulkKind", types: list[int], keys: list[Hashable], views: list[Any],
              out: list[Event]) -> None:
        """``_notifications`` for a buffer of one plain kind's notifications, in bulk: each
        step is one C-level pass over the buffer's messages (runs of distinct keys at a
        time, so that a key seen twice sees its first change)."""
        n = len(keys)
        if len(set(keys)) == n:
            self._bulk_run(bulk, types, keys, views, out)
            return
        start, seen = 0, set[Hashable]()
        for i, k in enumerate(keys):
            if k in seen:
                self._bulk_run(bulk, types[start:i], keys[start:i], views[start:i], out)
                start, seen = i, set()
            seen.add(k)
        self._bulk_run(bulk, types[start:], keys[start:], views[start:], out)

    def _bulk_run(self, bulk: "_BulkKind", types: list[int], keys: list[Hashable], views: list[Any],
                  out: list[Event]) -> None:
        kind, st, gone = bulk
        name = kind.name
        prevs = list(map(st.get, keys))
        n_gone = types.count(gone)
        if not n_gone:
            st.update(zip(keys, views))
            actions: Iterable[str] = [NEW if p is None else CHANGED for p in prevs]
        else:
            known = [p is not None for p in prevs]
            if n_gone == len(types):
                if not all(known):                    # deletions of unknown objects: dropped
                    keys, views, prevs = (list(compress(x, known)) for x in (keys, views, prevs))  # pyright: ignore[reportAssignmentType]
                deque(map(st.__delitem__, keys), 0)
                actions = repeat(DELETED, len(keys))
            else:
                acts = [(DELETED if k else None) if t == gone else (CHANGED if k else NEW)
                        for t, k in zip(types, known)]
                new = [t != gone for t in types]
                st.update(zip(compress(keys, new), compress(views, new)))
                deque(map(st.__delitem__, compress(keys, [a is DELETED for a in acts])), 0)
                keep = [a is not None for a in acts]
                keys, views, prevs = (list(compress(x, keep)) for x in (keys, views, prevs))  # pyright: ignore[reportAssignmentType]
                actions = compress(acts, keep)           # type: ignore[arg-type]  # no None left
        out.extend(map(_new_tuple, repeat(Event), zip(repeat(name), actions, views, prevs, keys,
                                                       repeat(self.netns), repeat(KERNEL))))

    def _end(self, rows: Rows, m: int, out: list[Event]) -> None:
        """NLMSG_DONE or NLMSG_ERROR of the dump in flight."""
        cur = self.current
        assert cur is not None
        o = rows.off[m] + 16
        code = int.from_bytes(rows.data[o:o + 4], "little", signed=True)
        self.current = None
        if rows.type(m) == _DONE and rows.msg_flags(m) & _DUMP_INTR:
            cur.dirty = True
        if -code in _RETRY:
            cur.dirty = True                          # the kernel gave up this dump: again
        elif code < 0 and -code != errno.ENOENT:    # ENOENT: a set deleted meanwhile = empty
            raise NetlinkError.from_errno(-code, f"dump {cur.kind.name}s", self.netns or "",
                                          "while watching events")
        self._finish(cur, out)
        self._start_next()

    def _notified(self, kind: Kind, key: Hashable, view: Any, gone: bool, out: list[Event]) -> None:
        cur = self.current
        if cur is not None and cur.kind is kind and cur.scope(key):
            if gone:
                cur.merged.pop(key, None)
            else:
                cur.merged[key] = view
            if cur.origin != RESYNC:
                return                            # the first state: reported when the dump ends
        elif kind.name not in self._loaded:
            for p in self.queue:
                if p.kind is kind and p.origin != RESYNC and p.covers(key):
                    return                        # the first dump, sent later, shows this change
        self._apply(kind, key, None if gone else view, view, KERNEL, out)

    # -- applying changes -----------------------------------------------------------------
    def _apply(self, kind: Kind, key: Hashable, view: Any, last: Any, origin: str,
               out: list[Event] | None) -> None:
        """Set ``key`` to ``view`` (None: deleted; ``last``: the deleted object as reported)."""
        st = self.state[kind.name]
        prev = st.get(key)
        if view is None:
            if prev is None:
                return                            # already gone: nothing to report
            del st[key]
            if out is not None:
                out.append(Event(kind.name, DELETED, last if last is not None else prev, prev, key,
                                 self.netns, origin))
            for child in kind.children:
                self._drop_children(child, key, origin, out)
        else:
            st[key] = view
            if out is not None:
                out.append(Event(kind.name, NEW if prev is None else CHANGED, view, prev, key,
                                 self.netns, origin))
        for name in kind.resyncs(prev, view, view is None):
            if name in self.by_name:
                self._queue_resync(name)

    def _drop_children(self, name: str, parent: Hashable, origin: str, out: list[Event] | None) -> None:
        """Objects that went with their parent (elements of a deleted set, ...)."""
        kind = self.by_name.get(name)
        if kind is None or not isinstance(parent, tuple):
            return
        n = len(parent)
        for key in [k for k in self.state[name] if isinstance(k, tuple) and k[:n] == parent]:
            self._apply(kind, key, None, None, origin, out)

    def _finish(self, cur: _Dump, out: list[Event]) -> None:
        kind = cur.kind
        if cur.dirty:                             # interrupted or overflowed: send it again
            if not any(p.kind is kind for p in self.queue):
                p = _Pending(kind, cur.origin)
                p.parts = [(cur.scope, cur.items)]
                self.queue.appendleft(p)
            return
        origin = cur.origin
        report = None if origin == SILENT else out
        st, merged, scope = self.state[kind.name], cur.merged, cur.scope
        for key in [k for k in st if k not in merged and scope(k)]:
            self._apply(kind, key, None, None, origin, report)
        for key, view in merged.items():
            prev = st.get(key)
            if prev is None or not kind.same(prev, view):
                self._apply(kind, key, view, None, origin, report)
            else:
                st[key] = view                    # the fresher view of the same state
        if not any(p.kind is kind for p in self.queue):
            self._loaded.add(kind.name)

    # -- dumps ----------------------------------------------------------------------------
    def _queue_resync(self, name: str) -> None:
        kind = self.by_name[name]
        for p in self.queue:
            if p.kind is kind and p.parts is None:
                return                            # one not yet started will do
        self.queue.append(_Pending(kind, RESYNC))

    def _start_next(self) -> None:
        while self.current is None and self.queue:
            head = self.queue[0]
            if head.parts is None:
                head.parts = head.kind.dumps(self.state)
            if not head.parts:
                self.queue.popleft()
                self._loaded.add(head.kind.name)
                continue
            scope, items = head.parts.pop(0)
            if not head.parts:
                self.queue.popleft()
            if head.kind.name in self._loaded:
                self.redumps += 1
            self.current = _Dump(head.kind, head.origin, scope, items, self._send(items))


__all__ = ["Engine", "SILENT"]
