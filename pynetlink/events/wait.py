"""Waits that replace sleeps: a link exists / is up / has carrier, an IPv6 address finished DAD.

Each one subscribes first, then checks the state it loaded, then re-checks after every
batch of events until the condition holds or the timeout passes (``WaitTimeout`` names what
was awaited and the last state seen). No polling: the process sleeps in poll() or in the
event loop until the kernel reports a change.
"""
from __future__ import annotations

import errno
import socket
import time
from typing import Any, Sequence

from .._native import lib
from ..errors import InvalidArgument
from .stream import Events, NetnsRef

_LOWER_UP = int(lib.IFF_LOWER_UP)


class WaitTimeout(TimeoutError):
    """The awaited state did not come in time; ``what`` was awaited, ``last`` was seen."""

    def __init__(self, what: str, timeout: float, last: str) -> None:
        super().__init__(errno.ETIMEDOUT, f"timed out after {timeout:g} s waiting for {what}; last seen: {last}")
        self.what = what
        self.timeout = timeout
        self.last = last


class DadFailed(OSError):
    """Duplicate address detection found the IPv6 address in use on the link (IFA_F_DADFAILED)."""


def _where(netns: NetnsRef) -> str:
    if netns is None:
        return ""
    return f" in netns {getattr(netns, 'name', None) or getattr(netns, 'path', None) or netns}"


class _Waiter:
    kinds: tuple[str, ...] = ("link",)
    what = ""

    def check(self, ev: Events) -> Any:
        """The result once the condition holds, else None."""
        raise NotImplementedError

    def last(self, ev: Events) -> str:
        raise NotImplementedError


def _find_link(ev: Events, link: str | int) -> Any:
    for v in ev.state("link").values():
        if (v.index if isinstance(link, int) else v.name) == link:
            return v
    return None


def _link_ref(link: object) -> str | int:
    if isinstance(link, bool) or not isinstance(link, (str, int)) or link == "":
        raise InvalidArgument(f"link: expected a name or an ifindex, not {link!r}")
    return link


class _LinkWaiter(_Waiter):
    def __init__(self, link: str | int, up: bool, carrier: bool, netns: NetnsRef) -> None:
        self.link, self.up, self.carrier = _link_ref(link), up, carrier
        state = " with carrier" if carrier else " up" if up else ""
        self.what = f"link {link}{state}{_where(netns)}"

    def check(self, ev: Events) -> Any:
        v = _find_link(ev, self.link)
        if v is None or (self.up and not v.up):
            return None
        if self.carrier and not (v._header[3] & _LOWER_UP and v.operstate in ("up", "unknown")):
            return None                       # operstate follows IFF_LOWER_UP a moment later
        return v

    def last(self, ev: Events) -> str:
        v = _find_link(ev, self.link)
        if v is None:
            names = sorted(str(x.name) for x in ev.state("link").values())
            return f"no such link (links: {', '.join(names[:20])}{' ...' if len(names) > 20 else ''})"
        return f"{v.name}: up={v.up} operstate={v.operstate} flags={','.join(sorted(v.flags))}"


class _DadWaiter(_Waiter):
    kinds = ("link", "address")

    def __init__(self, link: str | int, address: str | None, netns: NetnsRef) -> None:
        self.link, self.address = _link_ref(link), address
        if address is not None:
            try:
                socket.inet_pton(socket.AF_INET6, address)
            except (OSError, TypeError):
                raise InvalidArgument(f"address: expected an IPv6 address, not {address!r}") from None
        self.what = f"DAD of {address or 'the IPv6 addresses'} on {link}{_where(netns)}"

    def _addrs(self, ev: Events) -> list[Any] | None:
        v = _find_link(ev, self.link)
        if v is None:
            return None
        out = [a for a in ev.state("address").values() if a.family == 6 and a.link == v.index]
        if self.address is not None:
            want = socket.inet_pton(socket.AF_INET6, self.address)
            out = [a for a in out if socket.inet_pton(socket.AF_INET6, a.address) == want]
        return out

    def check(self, ev: Events) -> Any:
        addrs = self._addrs(ev)
        if not addrs:
            return None
        for a in addrs:
            if "dadfailed" in a.flags:
                raise DadFailed(errno.EADDRINUSE, f"duplicate address detection failed for {a.address} "
                                f"on {self.link}: the address is in use on the link")
        if any("tentative" in a.flags for a in addrs):
            return None
        return addrs[0] if self.address is not None else addrs

    def last(self, ev: Events) -> str:
        addrs = self._addrs(ev)
        if addrs is None:
            return f"no link {self.link}"
        if not addrs:
            return "no such IPv6 address on the link"
        return "; ".join(f"{a.cidr} flags={','.join(sorted(a.flags))}" for a in addrs)


def _wait(w: _Waiter, netns: NetnsRef, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    with Events(w.kinds, netns=netns) as ev:
        if not ev.sync(timeout):
            raise WaitTimeout(w.what, timeout, "the current state could not be read in time")
        while True:
            got = w.check(ev)
            if got is not None:
                return got
            left = deadline - time.monotonic()
            if left <= 0 or ev.get(left) is None:
                got = w.check(ev)
                if got is not None:
                    return got
                raise WaitTimeout(w.what, timeout, w.last(ev))
            ev.clear()                            # the state holds them: only re-check


async def _async_wait(w: _Waiter, netns: NetnsRef, timeout: float) -> Any:
    t0 = time.monotonic()
    with Events(w.kinds, netns=netns) as ev:
        if not await ev.async_sync(timeout):
            raise WaitTimeout(w.what, timeout, "the current state could not be read in time")
        while True:
            got = w.check(ev)
            if got is not None:
                return got
            left = timeout - (time.monotonic() - t0)
            if left <= 0 or await ev.aget(left) is None:
                got = w.check(ev)
                if got is not None:
                    return got
                raise WaitTimeout(w.what, timeout, w.last(ev))
            ev.clear()


def wait_link(link: str | int, *, netns: NetnsRef = None, up: bool = False, carrier: bool = False,
              timeout: float = 10.0) -> Any:
    """Wait until ``link`` (name or ifindex) exists in ``netns`` (and is admin ``up``, and has
    ``carrier``: IFF_LOWER_UP and operstate up, or unknown for drivers that report none);
    returns its LinkView."""
    return _wait(_LinkWaiter(link, up, carrier, netns), netns, timeout)


async def async_wait_link(link: str | int, *, netns: NetnsRef = None, up: bool = False,
                          carrier: bool = False, timeout: float = 10.0) -> Any:
    """``wait_link`` on the running event loop."""
    return await _async_wait(_LinkWaiter(link, up, carrier, netns), netns, timeout)


def wait_dad(link: str | int, address: str | None = None, *, netns: NetnsRef = None,
             timeout: float = 10.0) -> Any:
    """Wait until duplicate address detection finished for ``address`` on ``link`` (it exists
    and is not tentative), or for every IPv6 address of the link (at least one) when
    ``address`` is None; returns the AddressView (the list of them). Raises ``DadFailed``
    when DAD found the address in use."""
    return _wait(_DadWaiter(link, address, netns), netns, timeout)


async def async_wait_dad(link: str | int, address: str | None = None, *, netns: NetnsRef = None,
                         timeout: float = 10.0) -> Any:
    """``wait_dad`` on the running event loop."""
    return await _async_wait(_DadWaiter(link, address, netns), netns, timeout)


__all__: Sequence[str] = ["WaitTimeout", "DadFailed", "wait_link", "async_wait_link", "wait_dad",
                          "async_wait_dad"]
