"""Errors of the networks layer. Each is also the builtin a caller would expect.

Bad options are ``OptionError`` (an ``InvalidArgument``, so a ``ValueError``): refused
before anything changes. Lookups of unknown networks or endpoints raise ``NotFound``
(a ``FileNotFoundError``); names already taken raise ``Exists`` (``FileExistsError``).
"""
from __future__ import annotations

import errno

from ..errors import InvalidArgument


class NetworkError(Exception):
    """Base of the errors raised only by pynetlink.networks."""


class OptionError(InvalidArgument, NetworkError):
    """A network or connect option is wrong; ``option`` names it (``--gateway``, ``-o parent``)."""

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        super().__init__(f"{option}: {message}")


class NotFound(NetworkError, FileNotFoundError):
    """No such network, endpoint, container namespace or parent interface."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.ENOENT, message)

    def __str__(self) -> str:
        return str(self.strerror)


class Exists(NetworkError, FileExistsError):
    """The network (or an address, or an interface name) is already taken."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EEXIST, message)

    def __str__(self) -> str:
        return str(self.strerror)


class AddressInUse(Exists):
    """An explicitly requested address belongs to another container."""


class PoolExhausted(NetworkError, OSError):
    """No free address is left in the ip-range."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.ENOSPC, message)

    def __str__(self) -> str:
        return str(self.strerror)


class CapacityError(NetworkError, OSError):
    """A kernel limit would be exceeded (a Linux bridge holds at most 1024 ports)."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EXFULL, message)

    def __str__(self) -> str:
        return str(self.strerror)


class InUse(NetworkError, OSError):
    """The network still has containers connected (remove them or use force)."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EBUSY, message)

    def __str__(self) -> str:
        return str(self.strerror)


class NotOwned(NetworkError, OSError):
    """An interface with the name the network needs exists and was not made by it."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EEXIST, message)

    def __str__(self) -> str:
        return str(self.strerror)
