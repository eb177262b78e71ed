"""``h.sysctl``: the net.* sysctls of a Handle's namespace as typed values.

Read and written through /proc/sys opened inside the namespace (on a short-lived helper
thread, as the library enters namespaces: transport.netns), never by a subprocess. Keys are
``net.<path>`` with dots between levels; a '/' stands for a dot inside a name
(``net.ipv4.conf.eth0/30.forwarding``); no other characters, no ``..``.
"""
from __future__ import annotations

import errno
from typing import Callable, Sequence, TypeVar, Union

from ..errors import InvalidArgument
from ..transport.netns import NetNS

Value = Union[int, str, tuple[int, ...]]
T = TypeVar("T")


def typed(text: str) -> Value:
    """A sysctl's text as a value: an int, a tuple of ints (``ip_local_port_range``), or text."""
    parts = text.split()
    try:
        nums = tuple(int(p) for p in parts)
    except ValueError:
        return text
    if len(nums) == 1:
        return nums[0]
    return nums if nums else text


def _text(key: str, value: object) -> str | int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (tuple, list)) and value and all(
            isinstance(x, int) and not isinstance(x, bool) for x in value):
        return "\t".join(str(x) for x in value)
    if isinstance(value, (int, str)):
        return value
    raise InvalidArgument(f"sysctl {key}: expected an integer, a bool, a sequence of integers "
                          f"or one line of text, not {value!r}")


class Sysctl:
    """net.* sysctls of one namespace: ``get(key)``, ``set(key, value)``."""

    __slots__ = ("_ns",)

    def __init__(self, netns: NetNS | None) -> None:
        self._ns = netns if netns is not None else NetNS.current()

    def get(self, key: str) -> Value:
        """The value of ``key`` (``h.sysctl.get("net.ipv4.ip_forward") -> 0``)."""
        return typed(self._call(key, lambda: self._ns.sysctl(key)))

    def set(self, key: str, value: int | bool | str | Sequence[int]) -> None:
        """Write ``key`` in this namespace only; a value the kernel refuses raises
        InvalidArgument (the sysctl is left as it was)."""
        text = _text(key, value)
        self._call(key, lambda: self._ns.set_sysctl(key, text), value)

    def _call(self, key: str, fn: Callable[[], T], value: object = None) -> T:
        if not isinstance(key, str):
            raise InvalidArgument(f"sysctl key: expected text like 'net.ipv4.ip_forward', not {key!r}")
        try:
            return fn()
        except (FileNotFoundError, IsADirectoryError):
            raise InvalidArgument(f"sysctl {key!r}: no such setting in this namespace") from None
        except OSError as exc:
            if exc.errno in (errno.EINVAL, errno.ERANGE):
                raise InvalidArgument(f"sysctl {key}: the kernel refused {value!r} "
                                      f"({errno.errorcode[int(exc.errno)]})") from None
            raise


__all__ = ["Sysctl", "typed"]
