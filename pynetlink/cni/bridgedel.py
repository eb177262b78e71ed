"""The bridge plugin's DEL, started before the library loads: the host veth's deletion.

Deleting a veth waits ~15-25 ms in the kernel (RCU grace periods) inside the request's
``send``. The skel calls ``start`` (``skel.PRELUDES``) as soon as it has the request, before
it imports the plugin: the deletion then runs on a helper thread while the plugin's modules
load (~10 ms) and while it removes the masquerade elements and releases the addresses; the
plugin collects the outcome with ``EarlyDelete.wait``.

Two fixed messages, so they are packed here with ``struct`` on a raw ``_socket`` (importing
the codec, transport and rtnl layers first is what this saves), with the kernel's numbers from
``_uapi`` (generated from the UAPI headers; loaded by DEL only): RTM_GETLINK by name, whose
reply gives the ifindex and the alias, and RTM_DELLINK of that ifindex. The rule is
``bridge.remove_host_veth``'s: a link of that name is deleted only if it has no alias or the
attachment's (another attachment's link, a name hash collision, is left alone); a missing
link is nothing to do. Anything else (an error other than ENODEV, a reply not understood)
makes ``wait`` return None and the plugin deletes through the library, which raises the
error with its operation and extended ack.

Only started when nothing DEL does needs the container's interface first: without
``ipMasq`` or with the addresses in ``prevResult`` (otherwise the plugin reads them from
the container before deleting it). With ``ipMasq`` the thread first removes the addresses'
masquerade elements (``masqraw``) and closes that socket only after the veth's deletion.
"""
from __future__ import annotations

import _socket
import _thread
import errno
import struct

from . import ipnet
from .rawnl import ATTR, HDR, attr, error_of, header, recv_kernel

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Optional
    from .masqraw import NatDelete
    from .skel import Request

_IFI = struct.Struct("=BxHiII")         # ifinfomsg


def host_veth_name(network: str, container_id: str, ifname: str) -> str:
    """``veth`` + 8 hex digits of a hash (CRC-32) of the attachment: the same for its ADD and
    DEL, as random-looking as the reference plugin's ``veth`` + 8 random hex digits."""
    return f"veth{crc32(f'{network}/{container_id}/{ifname}'.encode()):08x}"


def crc32(data: bytes) -> int:
    """``zlib.crc32`` (the IEEE polynomial, reflected) without loading zlib's shared library
    (~0.3 ms of a plugin's start; a name is a few dozen bytes)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def alias_of(network: str, container_id: str, ifname: str) -> str:
    """The alias ADD gives the host veth: whose attachment it is."""
    return f"pynetlink-cni {network}/{container_id}/{ifname}"[:255]


class EarlyDelete:
    """The host veth's deletion running on a helper thread."""

    def __init__(self, name: str, alias: str, nat: Optional[NatDelete] = None) -> None:
        self.name, self.alias = name, alias
        self.nat = nat          # the masquerade elements' deletion (masqraw), run first
        self._box: dict[str, Any] = {}
        # a bare _thread and lock, not cni.background: that imports the transport package
        self._done = _thread.allocate_lock()
        self._done.acquire()
        from . import _uapi  # noqa: F401 (loaded here, not on the helper thread while the plugin's modules load)
        _thread.start_new_thread(self._thread, ())

    def wait(self) -> Optional[bool]:
        """True: deleted; False: nothing of this attachment's was there; None: not done (the
        caller deletes through the library). Interrupted, it still waits, then raises."""
        try:
            self._done.acquire()
        except BaseException:
            self._done.acquire()
            raise
        return self._box.get("value")

    def _thread(self) -> None:
        try:
            if self.nat is not None:
                self.nat.run()                  # never raises
            self._box["value"] = self._run()
        except Exception:   # noqa: BLE001 - value None: the library's path deletes and raises
            pass
        finally:
            if self.nat is not None:
                self.nat.close()                # waits for the elements' release (masqraw)
            self._done.release()

    def _run(self) -> bool:
        from ._uapi import IFLA_IFNAME, NETLINK_ROUTE, NLM_F_ACK, NLM_F_REQUEST, RTM_DELLINK, RTM_GETLINK
        sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW | _socket.SOCK_CLOEXEC, NETLINK_ROUTE)
        try:
            sock.bind((0, 0))
            name = self.name.encode() + b"\0"
            sock.send(_message(RTM_GETLINK, NLM_F_REQUEST, 1, 0, attr(IFLA_IFNAME, name)))
            found = _reply(recv_kernel(sock), 1)
            if found is None:
                return False                          # no link of that name
            index, alias = found
            if alias is not None and alias != self.alias:
                return False                          # another attachment's
            sock.send(_message(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, 2, index, b""))
            return _reply(recv_kernel(sock), 2) is not None
        finally:
            sock.close()


def _message(kind: int, flags: int, seq: int, index: int, attrs: bytes) -> bytes:
    body = _IFI.pack(0, 0, index, 0, 0) + attrs
    return HDR.pack(HDR.size + len(body), kind, flags, seq, 0) + body


def _reply(data: bytes, seq: int) -> Optional[tuple[int, Optional[str]]]:
    """The first message of ``data`` (sequence ``seq``): RTM_NEWLINK -> (ifindex, alias);
    an ack -> (0, None); ENODEV -> None; any other error or anything malformed raises."""
    from ._uapi import IFLA_IFALIAS, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLMSG_ERROR, RTM_NEWLINK
    length, kind, got_seq = header(data, 0)
    if got_seq != seq:
        raise ValueError("unexpected netlink reply")
    if kind == NLMSG_ERROR:
        err = error_of(data, 0, length)
        if err == 0:
            return 0, None
        if err == errno.ENODEV:
            return None
        raise OSError(err, "netlink")
    if kind != RTM_NEWLINK or length < HDR.size + _IFI.size:
        raise ValueError("unexpected netlink reply")
    index = _IFI.unpack_from(data, HDR.size)[2]
    alias, at = None, HDR.size + _IFI.size
    while at + ATTR.size <= length:
        size, kind = ATTR.unpack_from(data, at)
        if size < ATTR.size or at + size > length:
            raise ValueError("malformed netlink attribute")
        if kind & ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) == IFLA_IFALIAS:
            alias = data[at + ATTR.size:at + size].split(b"\0", 1)[0].decode("utf-8", "replace")
        at += (size + 3) & ~3
    return index, alias


def start(req: Request) -> Optional[EarlyDelete]:
    """The deletion of DEL ``req``'s host veth, started; None where the plugin must first read
    the container's addresses (``ipMasq`` without addresses in ``prevResult``) or will refuse
    the config (an ``ipam`` that is not an object)."""
    config: Any = req.config
    if not isinstance(config.get("ipam") or {}, dict):
        return None             # the plugin refuses this config: nothing may change
    nat = None
    if config.get("ipMasq"):
        try:
            ifaces = [ipnet.ip_interface(ip["address"]) for ip in config["prevResult"]["ips"]]
            if not ifaces:
                return None
        except Exception:       # no prevResult, or one Ipam.addresses would not read
            return None
        from .masqraw import NatDelete
        nat = NatDelete(ifaces)
    return EarlyDelete(host_veth_name(req.name, req.container_id, req.ifname),
                       alias_of(req.name, req.container_id, req.ifname), nat)
