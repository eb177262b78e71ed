"""Dumps encoded once for every socket (``NetlinkSocket.dump_prepared``, ``codec.program.Prepared``,
kept in ``transport.socket._PREPARED``): the bytes equal a fresh encode under each sequence number;
every dump reads the kernel's state of the moment; one entry per request shape, bounded, shared by
the sockets (also the next ones, once a socket is closed), each dump borrowing its own; threads
sharing a Handle each get their own dump's views. Against the kernel, in the test's own namespace."""
from __future__ import annotations

import errno
import socket
import threading
from typing import Any

import pytest

from pynetlink import Handle, NetlinkError, _native
from pynetlink.errors import InvalidArgument
from pynetlink.codec.program import Prepared, encode
from pynetlink.errors import DumpInterrupted
from pynetlink.rtnl import addresses, request, routes
from pynetlink.rtnl.request import _only_item
from pynetlink.transport import socket as tsocket
from pynetlink.transport.socket import PREPARED_MAX

pytestmark = pytest.mark.root

ROUTE = ("family", "dst", "table", "protocol", "scope", "type", "via", "dev")


def _fields(views: list[Any], names: tuple[str, ...] = ROUTE) -> list[tuple[Any, ...]]:
    return sorted(tuple(getattr(v, n) for n in names) for v in views)


@pytest.mark.parametrize("make", [lambda: routes.dump(table=None, family="ipv4"),
                                  lambda: routes.dump(table=100, family="ipv6"),
                                  lambda: addresses.dump(family="ipv4"), lambda: addresses.dump(link=3)])
def test_prepared_bytes_equal_a_fresh_encode(make: Any) -> None:
    prog, values = _only_item(make())
    p = Prepared(prog, values)
    for seq in (1, 77, 0x7FFFFFFF, 0xFFFFFFFF, 5):
        enc = p.at(seq)
        fresh = encode([(prog, values)], seq)
        assert enc.tobytes() == fresh.tobytes() and enc.seq_first == fresh.seq_first == seq
        assert (enc.n, enc.length) == (1, fresh.length)
        assert int(enc.status[0].flags) == int(fresh.status[0].flags)


def test_a_dump_request_is_made_once_per_argument_values() -> None:
    """``request.memo``: the same Request for the same values (of the same types); values
    refused are refused every time, unhashable ones made each time."""
    assert routes.dump(table=None, family="ipv4") is routes.dump(table=None, family="ipv4")
    assert routes.dump(table=None, family=4) is not routes.dump(table=None, family="ipv4")
    assert addresses.dump(link=2, family=4) is addresses.dump(link=2, family=4)
    assert routes.dump(table=7).key == ("dump routes", 0, 7)
    for bad in (True, 7.0):
        with pytest.raises(InvalidArgument):
            routes.dump(table=bad)                # (not the Request of table=1 or 7)
    assert addresses.dump(family=4.0) is not addresses.dump(family=4)   # (equal, of another type)
    with pytest.raises(InvalidArgument):
        routes.dump(table=[7])                    # unhashable: made (and refused) each time


def test_a_full_memo_keeps_the_latest_requests() -> None:
    """Past MEMO_MAX requests, a new one takes the oldest's place (a long-running program's
    later dumps are kept too, whatever it dumped before)."""
    from pynetlink.rtnl.request import MEMO_MAX
    for link in range(1000, 1000 + 2 * MEMO_MAX):
        addresses.dump(link=link, family=4)
    assert addresses.dump(link=5000, family=4) is addresses.dump(link=5000, family=4)
    assert addresses.dump(link=1000 + 2 * MEMO_MAX - 1, family=4) is addresses.dump(link=1000 + 2 * MEMO_MAX - 1,
                                                                                      family=4)


def test_a_keyed_dump_only_of_a_name_free_request() -> None:
    assert routes.dump().key == ("dump routes", 0, 254)
    assert addresses.dump(link="eth0").key is None          # needs a name: through run
    assert addresses.dump(link=2, family=4).key == ("dump addresses", socket.AF_INET, 2)


@pytest.mark.kernel("veth")
def test_each_prepared_dump_reads_the_kernel_now(wired: Handle) -> None:
    sock = wired._sock
    before = _fields(wired.routes.dump(table=None, family="ipv4"))
    seq = sock._seq
    wired.routes.add("203.0.113.0/24", via="198.51.100.2")
    assert sock._seq == seq + 1                             # (the add: one request)
    after = wired.routes.dump(table=None, family="ipv4")
    assert sock._seq == seq + 2                             # the dump again: one sequence number
    assert "203.0.113.0/24" in [r.dst for r in after] and len(after) == len(before) + 1
    assert _fields(after) == _fields(request.run(sock, [routes.dump(table=None, family="ipv4")])[0].result())
    six = wired.routes.dump(table=None, family="ipv6")
    assert six and {r.family for r in six} == {6}
    main = wired.routes.dump(family="ipv4")
    assert main and {r.table for r in main} == {254}
    assert {(sock.protocol, k) for k in (("dump routes", socket.AF_INET, None), ("dump routes", socket.AF_INET6, None),
                                         ("dump routes", socket.AF_INET, 254))} <= set(tsocket._PREPARED)
    wired.routes.delete("203.0.113.0/24")
    assert _fields(wired.routes.dump(table=None, family="ipv4")) == before


@pytest.mark.kernel("veth")
def test_prepared_dumps_are_shared_by_the_sockets_and_bounded(wired: Handle, netns: Any) -> None:
    """One prepared request per shape for every socket, the latest ``PREPARED_MAX`` kept (the
    shape dumped longest ago goes first); another socket's dump takes the same one."""
    tables = range(1, PREPARED_MAX + 9)
    with wired.batch() as b:
        for t in tables:
            b.routes.add(f"203.0.113.{t}/32", via="198.51.100.2", table=t)
    proto = wired._sock.protocol
    for t in tables:
        got = [r.dst for r in wired.routes.dump(table=t, family="ipv4")]
        assert got == [f"203.0.113.{t}/32"]
        assert (proto, ("dump routes", socket.AF_INET, t)) in tsocket._PREPARED
        assert len(tsocket._PREPARED) <= PREPARED_MAX
    assert (proto, ("dump routes", socket.AF_INET, 1)) not in tsocket._PREPARED      # (the oldest: gone)
    last = (proto, ("dump routes", socket.AF_INET, tables[-1]))
    p = tsocket._PREPARED[last]
    with Handle(netns) as other:
        assert [r.dst for r in other.routes.dump(table=tables[-1], family="ipv4")] == [f"203.0.113.{tables[-1]}/32"]
        assert tsocket._PREPARED[last] is p
        assert [r.dst for r in other.routes.dump(table=1, family="ipv4")] == ["203.0.113.1/32"]   # (made again)


@pytest.mark.kernel("veth")
def test_a_handle_opened_per_dump_encodes_the_request_once(wired: Handle, netns: Any) -> None:
    """A socket closed leaves the prepared request to the next ones (a Handle opened per dump,
    as the benchmark runner does, encodes it once), and each reads the kernel of the moment."""
    key = ("dump routes", socket.AF_INET, None)
    with Handle(netns) as first:
        want = _fields(first.routes.dump(table=None, family="ipv4"))
        p = tsocket._PREPARED[(first._sock.protocol, key)]
    with Handle(netns) as second:
        assert _fields(second.routes.dump(table=None, family="ipv4")) == want
    wired.routes.add("203.0.113.0/24", via="198.51.100.2")
    with Handle(netns) as third:
        got = _fields(third.routes.dump(table=None, family="ipv4"))
        assert len(got) == len(want) + 1
    assert tsocket._PREPARED[(third._sock.protocol, key)] is p
    wired.routes.delete("203.0.113.0/24")


@pytest.mark.kernel("veth")
def test_a_prepared_request_in_use_is_not_another_dumps(wired: Handle, netns: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """While one socket's dump has the prepared request (between encoding it and reading its
    status table), another socket's dump of the same request makes its own: both get their
    own views, and one of the two is kept afterwards."""
    key = (wired._sock.protocol, ("dump routes", socket.AF_INET, None))
    want = _fields(wired.routes.dump(table=None, family="ipv4"))
    p = tsocket._PREPARED[key]
    with Handle(netns) as other:
        real, inner, seen = wired._sock._transfer, [], []

        def nested(enc: Any, *more: Any) -> bytes:
            seen.append(key in tsocket._PREPARED)                 # (borrowed: not there)
            inner.append(_fields(other.routes.dump(table=None, family="ipv4")))
            return real(enc, *more)

        monkeypatch.setattr(wired._sock, "_transfer", nested)
        assert _fields(wired.routes.dump(table=None, family="ipv4")) == want
    assert seen == [False] and inner == [want]
    assert tsocket._PREPARED[key] is p                             # (the outer dump's, put back last)


@pytest.mark.kernel("veth")
@pytest.mark.parametrize("own", [False, True], ids=["one handle", "a handle each"])
def test_threads_get_their_own_dumps(wired: Handle, netns: Any, own: bool) -> None:
    """Threads dumping the same requests at once, on one Handle or on a Handle each (each
    dump borrowing a prepared request of the store they share): every dump's own views."""
    want_routes = _fields(wired.routes.dump(table=None, family="ipv4"))
    want_addrs = sorted(a.address for a in wired.addresses.dump(family="ipv4"))
    bad: list[str] = []

    def work(k: int) -> None:
        if own:
            with Handle(netns) as h:
                dumps(k, h)
        else:
            dumps(k, wired)

    def dumps(k: int, h: Handle) -> None:
        for i in range(30):
            if (i + k) % 2:
                got = _fields(h.routes.dump(table=None, family="ipv4"))
                if got != want_routes:
                    bad.append(f"routes {got}")
            else:
                got_a = sorted(a.address for a in h.addresses.dump(family="ipv4"))
                if got_a != want_addrs:
                    bad.append(f"addresses {got_a}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bad == []


@pytest.mark.kernel("veth")
def test_a_prepared_dump_error_then_the_same_dump_again(wired: Handle) -> None:
    """The kernel's error (a table that does not exist, strict checking) raised with the
    operation and namespace; the same prepared request afterwards reads the table once made."""
    kept = []
    for _ in range(2):
        with pytest.raises(NetlinkError) as info:
            wired.routes.dump(table=42, family="ipv4")
        assert info.value.errno == errno.ENOENT and "dump routes 42" in str(info.value)
        assert wired.netns is not None and wired.netns.name in str(info.value)
        kept.append(tsocket._PREPARED[(wired._sock.protocol, ("dump routes", socket.AF_INET, 42))])
    wired.routes.add("203.0.113.0/24", via="198.51.100.2", table=42)
    assert [r.dst for r in wired.routes.dump(table=42, family="ipv4")] == ["203.0.113.0/24"]
    assert tsocket._PREPARED[(wired._sock.protocol, ("dump routes", socket.AF_INET, 42))] is kept[0] is kept[1]


@pytest.mark.parametrize("interrupted", [1, 5, 6])
def test_an_interrupted_keyed_dump_is_retried_then_raises(wired: Handle, monkeypatch: pytest.MonkeyPatch,
                                                          interrupted: int) -> None:
    """A keyed dump's transfer marked interrupted (NLM_F_DUMP_INTR) is
    dumped again, the views of the first complete dump; interrupted every
    time (the retries and the first), DumpInterrupted naming the operation."""
    sock = wired._sock
    expect = _fields(wired.routes.dump(table=None, family="ipv4"))
    real, calls = sock._transfer, []

    def marked(enc: Any, atomic: bool, chunk: int, *more: Any) -> bytes:
        data = real(enc, atomic, chunk, *more)
        calls.append(1)
        if len(calls) <= interrupted:
            enc.status[0].flags |= _native.lib.PNL_ST_DUMP_INTR
        return data

    monkeypatch.setattr(sock, "_transfer", marked)
    if interrupted <= tsocket.DUMP_RETRIES:
        assert _fields(wired.routes.dump(table=None, family="ipv4")) == expect
        assert len(calls) == interrupted + 1
    else:
        with pytest.raises(DumpInterrupted) as info:
            wired.routes.dump(table=None, family="ipv4")
        assert "dump routes" in str(info.value) and len(calls) == tsocket.DUMP_RETRIES + 1


@pytest.mark.kernel("veth")
def test_a_plainly_answered_keyed_dump_makes_no_reply(wired: Handle, monkeypatch: pytest.MonkeyPatch) -> None:
    """A keyed dump the kernel answered plainly is parsed straight from its rows (no Reply,
    no Result: ``dump_prepared(parse=...)``), the same views as through the Reply; an error
    still goes through the Reply (and is raised as before)."""
    sock = wired._sock
    expect = _fields(wired.routes.dump(table=None, family="ipv4"))
    addrs = _fields(wired.addresses.dump(family="ipv4"), ("family", "address", "prefixlen", "link"))
    real, made = sock.interpret, []

    def counted(*args: Any, **kw: Any) -> Any:
        made.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(sock, "interpret", counted)
    assert _fields(wired.routes.dump(table=None, family="ipv4")) == expect
    assert _fields(wired.addresses.dump(family="ipv4"), ("family", "address", "prefixlen", "link")) == addrs
    assert made == []
    with pytest.raises(NetlinkError) as info:
        wired.routes.dump(table=42, family="ipv4")
    assert info.value.errno == errno.ENOENT and made == [1]
    reply = sock.dump_prepared(("dump routes", socket.AF_INET, None), lambda: _only_item(routes.dump(table=None, family="ipv4")),
                               ("dump routes", "all"), routes.dump(table=None, family="ipv4").pluck)
    assert isinstance(reply, tsocket.Reply) and made == [1, 1]    # (no parse: the Reply)
