"""Docker-style attach of many containers to a bridge in one call (``Handle.attach_many``).

Per container: a veth whose host end is a port of the bridge and whose peer is ``ifname``
inside the container, then inside: ``lo`` and the peer up, the address, the default route
via the gateway. Everything is checked before anything is sent; the host's veths go out in
one batch; each container's messages are a template (the first container's, made by the
usual builders) filled with its address and the peer's ifindex, sent on its Handle's socket;
every container's messages are one batch, sent in one C call (``transact_each``: one socket
after the other; the first refusal is the error raised). A failure undoes the whole call: the error raised is the one that failed
the call; a rollback step that fails too is added to it as a note ("rollback step failed:
..."), never raised instead. Each kernel step, and the rollback, runs with SIGINT and SIGTERM
held (``transport.signals.deferred``): a Ctrl-C lands between steps and is rolled back.
"""
from __future__ import annotations

import bisect
import errno
import fcntl
import os
import struct

from ..codec.rows import ip_text as _text
from ..errors import BatchError, InvalidArgument, NetlinkError
from ..rtnl import addresses as rtaddr
from ..rtnl import links as rtlink
from ..rtnl import routes as rtroute
from ..rtnl import validate as v
from ..rtnl.addresses import Address
from ..rtnl.request import lookup
from ..rtnl.routes import Route
from ..transport import validate as tv
from ..transport.signals import deferred
from ..transport.socket import transact_each
from .handle import Handle

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Sequence

    from ..codec.program import Compiled
    from ..rtnl.validate import LinkRef

_SIOCGIFFLAGS = 0x8913             # <linux/sockios.h>
_IFREQ = struct.Struct("16sH22x")  # struct ifreq: ifr_name, ifr_flags (short) in the union
_IFF_UP = 1
_UNIVERSE = 0                      # RT_SCOPE_UNIVERSE


def attach_many(host: Handle, bridge: LinkRef, containers: Sequence[tuple[Handle, str]], *,
                names: Sequence[str], gateway: str | None = None, ifname: str = "eth0") -> None:
    """See ``Handle.attach_many``."""
    br = v.link_ref(bridge, "bridge")
    ctrs, addrs = _containers(containers)
    hosts = _names(names, len(ctrs))
    peer = tv.ifname(ifname, "ifname")
    gw = None if gateway is None else v.packed_ip(gateway, "gateway")
    if gw is not None and addrs and len(gw) != len(addrs[0][0]):
        raise InvalidArgument(f"gateway: {gateway!r} is not of the containers' family")
    if not ctrs:
        return
    lo_upped: list[Handle] = []
    made = False
    try:
        with deferred():        # a signal held here lands at the block's end: inside the try
            _create_veths(host, br, hosts, ctrs, peer)
            made = True
        _configure(ctrs, addrs, peer, gw, lo_upped)
    except BaseException as exc:
        if made:
            with deferred():
                for failed in _undo(host, hosts, lo_upped):
                    exc.add_note(f"rollback step failed: {failed}")
        raise


def _create_veths(host: Handle, bridge: LinkRef, hosts: Sequence[str], ctrs: list[Handle], peer: str) -> None:
    """One host transfer: per container a veth on ``bridge``, its peer made in the container.
    The first message is built by ``links.create``; the others fill its program with their
    name and namespace fd (where those two values are found once each, else each is built).
    A refused veth: those made are deleted again and ``BatchError`` says which failed."""
    from ..rtnl.kinds.veth import Veth      # loaded on first use (as api's other kinds)
    sock = host._sock
    index = bridge if type(bridge) is int else lookup(sock, (str(bridge),)).get(str(bridge))
    if index is None:
        raise InvalidArgument(f"bridge: no link named {bridge!r} in {host.netns or 'this namespace'}")
    fds: list[int] = []
    items: list[Any] = []
    slots: tuple[int, int] | None = None
    try:
        for k, (name, h) in enumerate(zip(hosts, ctrs)):
            assert h.netns is not None
            if slots is None:
                msg = rtlink.create(Veth(name, peer=peer, peer_netns=h.netns, master=index, up=True)).build(
                    lambda _: index)[0]
                fds += msg.fds
                item = msg.item()
                if k == 0:
                    slots = _slots(item[1], name.encode(), msg.fds)
                items.append(item)
                continue
            fd = os.open(h.netns.path, os.O_RDONLY | os.O_CLOEXEC)
            fds.append(fd)
            tv.netns_fd(fd, h.netns.path, f"containers[{k}]")
            values = list(items[0][1])
            values[slots[0]], values[slots[1]] = name.encode(), fd
            items.append((items[0][0], values))
        reply = sock.transact(items, labels=[("create veth", name) for name in hosts])
    finally:
        for fd in fds:
            os.close(fd)
    errors = [r.error for r in reply.results]
    if any(e is not None for e in errors):
        made = [name for name, e in zip(hosts, errors) if e is None]
        err = BatchError(errors, [f"delete link {name}" for name in made], f"create {len(hosts)} veths")
        if made:
            try:
                _delete(host, made)
            except Exception as exc:    # noqa: BLE001 - the refusal stays the error raised
                err.add_note(f"rollback step failed: delete {len(made)} veths: {exc}")
        raise err


def _slots(values: Sequence[Any], name: bytes, fds: list[int]) -> tuple[int, int] | None:
    """Where the host name and the namespace fd are in a veth create's values (each found
    exactly once), or None."""
    if len(fds) != 1 or [v for v in values if v == name] != [name] or values.count(fds[0]) != 1:
        return None
    return values.index(name), values.index(fds[0])


def _containers(containers: Sequence[tuple[Handle, str]]) -> tuple[list[Handle], list[tuple[bytes, int]]]:
    """The containers' Handles and packed addresses, all checked (one family)."""
    if isinstance(containers, (str, bytes)) or not hasattr(containers, "__len__"):
        raise InvalidArgument(f"containers: expected a list of (Handle, address) pairs, not {containers!r}")
    ctrs: list[Handle] = []
    addrs: list[tuple[bytes, int]] = []
    for k, pair in enumerate(containers):
        if type(pair) is not tuple or len(pair) != 2 or not isinstance(pair[0], Handle):
            raise InvalidArgument(f"containers[{k}]: expected a (Handle, address) pair, not {pair!r}")
        h, a = pair
        if h.netns is None:
            raise InvalidArgument(f"containers[{k}]: the Handle must be one opened in the container's "
                                  "namespace (NetNS.create_with_handles, ns.handle())")
        raw, plen = v.packed_cidr(a, f"containers[{k}]")
        if addrs and len(raw) != len(addrs[0][0]):
            raise InvalidArgument(f"containers[{k}]: {a!r} is not of the family of the others")
        ctrs.append(h)
        addrs.append((raw, plen))
    if len({id(h) for h in ctrs}) != len(ctrs):
        raise InvalidArgument("containers: the same Handle is given twice")
    return ctrs, addrs


def _names(names: Sequence[str], n: int) -> tuple[str, ...]:
    if isinstance(names, (str, bytes)) or not hasattr(names, "__len__"):
        raise InvalidArgument(f"names: expected a list of host-side link names, not {names!r}")
    if len(names) != n:
        raise InvalidArgument(f"names: {len(names)} names for {n} containers")
    return v.unique([tv.ifname(name, f"names[{k}]") for k, name in enumerate(names)], "names")


def _configure(ctrs: list[Handle], addrs: list[tuple[bytes, int]], peer: str, gw: bytes | None,
               lo_upped: list[Handle]) -> None:
    """Inside each container: lo up (when down), the peer up, its address, the default route.
    Programs come from the first container's messages; every container's messages are one
    batch, each container's on its own socket, sent in one C call (``transact_each``) with
    signals held. Nothing is sent unless every container's peer is found."""
    up_lo = _fill(rtlink.set_attrs("lo", up=True))
    up_peer = _fill(rtlink.set_attrs(peer, up=True))
    route = None if gw is None else _fill(rtroute.add(Route("default", via=_text(gw))))
    addr_prog: Compiled | None = None
    items: list[Any] = []
    first: list[int] = []
    lo_down: list[Handle] = []
    for h, (raw, plen) in zip(ctrs, addrs):
        first.append(len(items))
        sock = h._sock
        index = lookup(sock, (peer,)).get(peer)
        if index is None:
            raise NetlinkError.from_errno(errno.ENODEV, "attach", f"{peer}{_where(h)}",
                                          "the veth's peer is not in the container")
        values = [len(raw) == 4 and 2 or 10, plen, 0, _UNIVERSE, index, raw, raw]
        if addr_prog is None:
            addr_prog, built = _fill(rtaddr.add(Address(peer, f"{_text(raw)}/{plen}")), index)
            if list(built) != values:         # not the shape filled below: built each time
                addr_prog = None
                values = list(built)
        if not _is_up(sock.fileno(), "lo"):
            items.append(up_lo)
            lo_down.append(h)
        items += [up_peer, ((addr_prog, values) if addr_prog is not None else
                            _fill(rtaddr.add(Address(peer, f"{_text(raw)}/{plen}")), index))]
        if route is not None:
            items.append(route)
    first.append(len(items))

    def label(i: int) -> tuple[str, str]:       # a failed message's label, made only then
        k = bisect.bisect_right(first, i) - 1
        h, (raw, plen), where = ctrs[k], addrs[k], _where(ctrs[k])
        what = i - first[k] + (h not in lo_down)
        return [("set link", f"lo{where}"), ("set link", f"{peer}{where}"),
                ("add address", f"{_text(raw)}/{plen} on {peer}{where}"), ("add route", f"default{where}")][what]

    with deferred():
        lo_upped += lo_down
        transact_each([h._sock for h in ctrs], items, first, labels=label).check()


def _where(h: Handle) -> str:
    return f" in netns {h.netns.name or h.netns.path}" if h.netns is not None else ""


def _fill(request: Any, index: int = 0) -> Any:
    """The (program, values) of a request's one message (its links resolved to ``index``)."""
    msgs = request.build(lambda _: index)
    assert len(msgs) == 1 and not msgs[0].fds
    return msgs[0].item()


def _is_up(fd: int, name: str) -> bool:
    res = fcntl.ioctl(fd, _SIOCGIFFLAGS, _IFREQ.pack(name.encode(), 0))
    return bool(_IFREQ.unpack(res)[1] & _IFF_UP)


def _delete(host: Handle, names: Sequence[str]) -> None:
    with host.batch() as b:
        for name in names:
            b.links.delete(name)


def _undo(host: Handle, hosts: Sequence[str], lo_upped: list[Handle]) -> list[str]:
    """Delete the host ends (their peers, addresses and routes go with them) and bring
    down again the ``lo`` this call brought up (without the 127.0.0.1 it got). Every step
    is tried; the ones that failed are returned ("what: error")."""
    failed: list[str] = []
    try:
        _delete(host, hosts)
    except Exception as exc:        # noqa: BLE001 - reported to the caller, the rest still undone
        failed.append(f"delete {len(hosts)} veths: {exc}")
    for h in lo_upped:
        try:
            _lo_down(h)
        except Exception as exc:    # noqa: BLE001 - as above
            failed.append(f"lo down in {h.netns.name or h.netns.path if h.netns else 'this namespace'}: {exc}")
    return failed


def _lo_down(h: Handle) -> None:
    h.links.set("lo", up=False)
    try:
        h.addresses.delete("lo", "127.0.0.1/8")
    except NetlinkError as exc:
        if exc.errno not in (errno.EADDRNOTAVAIL, errno.ENOENT, errno.ENODEV):
            raise
