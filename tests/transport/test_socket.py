"""NetlinkSocket against the real kernel: namespaces, batches, errors, dumps, threads."""
from __future__ import annotations

import errno
import threading

import pytest

from pynetlink.codec.specs.rtnl import LINK, RTNL
from pynetlink.errors import DumpInterrupted, ExistsError, InvalidRequestError, NotFoundError
from pynetlink.transport import NetlinkSocket, NetNS

from ..conftest import ip_json
from .programs import DUMP_LINKS, GET_LINK, IFINFO, veth

pytestmark = pytest.mark.root


def link_names(sock: NetlinkSocket) -> set[str]:
    reply = sock.dump(DUMP_LINKS, IFINFO)
    rows = reply.rows
    return {rows.get_str(m, LINK["ifname"]) for m in reply.results[0].messages}  # type: ignore[misc]


def test_socket_sees_its_own_namespace(make_netns) -> None:  # type: ignore[no-untyped-def]
    a, b = make_netns("a"), make_netns("b")
    with NetlinkSocket(0, RTNL, a) as sa, NetlinkSocket(0, RTNL, b) as sb:
        sa.request(*veth("va", "vb"), label=("create veth", "va"))
        assert link_names(sa) == {"lo", "va", "vb"}
        assert link_names(sb) == {"lo"}
    assert {l["ifname"] for l in ip_json(a.name, "link", "show")} == {"lo", "va", "vb"}
    assert {l["ifname"] for l in ip_json(b.name, "link", "show")} == {"lo"}


def test_batch_of_500_has_500_results_in_order(netns: NetNS) -> None:
    items, expect = [], []
    for i in range(500):
        if i % 50 == 7:
            items.append(veth(f"a{i - 1}", f"x{i}"))           # duplicate of the previous name
            expect.append(errno.EEXIST)
        elif i % 50 == 13:
            items.append(veth("n" * 16, f"y{i}"))               # too long: policy rejects the name
            expect.append(errno.ERANGE)
        else:
            items.append(veth(f"a{i}", f"b{i}"))
            expect.append(0)
    with NetlinkSocket(0, RTNL, netns) as s:
        reply = s.transact(items, labels=lambda i: ("create veth", f"#{i}"))
        assert len(reply.results) == 500
        got = [r.error.errno if r.error else 0 for r in reply.results]
        assert got == expect
        too_long = reply.results[13].error
        assert isinstance(too_long, InvalidRequestError)
        assert too_long.extack == "Attribute failed policy validation"
        assert too_long.field == "name" and "#13" in str(too_long)
        assert isinstance(reply.results[7].error, ExistsError)
        assert isinstance(reply.results[7].error, FileExistsError)
        ok = sum(1 for e in expect if e == 0)
        assert len(link_names(s)) == 1 + 2 * ok
    assert len(ip_json(netns.name, "link", "show")) == 1 + 2 * ok


def test_get_reply_and_not_found(netns: NetNS) -> None:
    with NetlinkSocket(0, RTNL, netns) as s:
        reply = s.request(GET_LINK, (*IFINFO, b"lo"), label=("get link", "lo"))
        (m,) = reply.results[0].messages
        assert reply.rows.get_str(m, LINK["ifname"]) == "lo"
        with pytest.raises(NotFoundError) as exc:
            s.request(GET_LINK, (*IFINFO, b"nope0"), label=("get link", "nope0"))
        assert isinstance(exc.value, FileNotFoundError) and exc.value.errno == errno.ENODEV
        assert "get link nope0" in str(exc.value)


def test_big_dump_grows_the_receive_buffer(netns: NetNS) -> None:
    with NetlinkSocket(0, RTNL, netns) as s:
        s.transact([veth(f"p{i}", f"q{i}") for i in range(400)]).check()
        assert len(link_names(s)) == 801          # > 256 KiB of replies: the buffer grew


def test_sockets_work_from_many_threads(netns: NetNS) -> None:
    errors: list[BaseException] = []
    with NetlinkSocket(0, RTNL, netns) as s:
        def work(t: int) -> None:
            try:
                for i in range(20):
                    s.request(*veth(f"t{t}x{i}", f"t{t}y{i}"))
                    link_names(s)
            except BaseException as exc:
                errors.append(exc)
        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert len(link_names(s)) == 1 + 4 * 20 * 2


def test_dump_interrupted_policy(netns: NetNS, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the bounded retries an interrupted dump raises, carrying the last result."""
    with NetlinkSocket(0, RTNL, netns) as s:
        real = s.transact
        calls = []

        def always_interrupted(*a, **kw):  # type: ignore[no-untyped-def]
            reply = real(*a, **kw)
            reply.results[0].dump_intr = True
            calls.append(1)
            return reply

        monkeypatch.setattr(s, "transact", always_interrupted)
        with pytest.raises(DumpInterrupted) as exc:
            s.dump(DUMP_LINKS, IFINFO, retries=3)
        assert len(calls) == 4 and exc.value.last is not None
