"""The exception tree. Every layer raises these; none of them needs anything else.

``NetlinkError`` is an ``OSError`` carrying the errno, the operation, the target, the
kernel's extended-ack text and, where the kernel gave an offset, the field at fault.
Each errno maps to a subclass that is also the matching builtin, so
``except FileExistsError`` works.
"""
from __future__ import annotations

import errno as _errno
import os

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Sequence


class NetlinkError(OSError):
    """The kernel refused a request (or a transfer failed)."""

    def __init__(self, err: int, operation: str = "", target: str = "", extack: str = "",
                 field: str = "", offset: int | None = None) -> None:
        self.operation = operation
        self.target = target
        self.extack = extack
        self.field = field
        self.offset = offset
        super().__init__(err, _message(err, operation, target, extack, field, offset))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self).from_errno,
                (self.errno, self.operation, self.target, self.extack, self.field, self.offset))

    def __str__(self) -> str:
        return str(self.strerror)

    @staticmethod
    def from_errno(err: int, operation: str = "", target: str = "", extack: str = "",
                   field: str = "", offset: int | None = None) -> "NetlinkError":
        """The NetlinkError subclass for this errno."""
        cls = _BY_ERRNO.get(err, NetlinkError)
        return cls(err, operation, target, extack, field, offset)


def _message(err: int, operation: str, target: str, extack: str, field: str,
             offset: int | None) -> str:
    text = f"{operation or 'request'}"
    if target:
        text += f" {target}"
    text += f": {os.strerror(err)} [{_errno.errorcode.get(err, err)}]"
    if extack:
        text += f": {extack}"
    if field:
        text += f" (field {field})"
    elif offset is not None:
        text += f" (attribute at offset {offset})"
    return text


class ExistsError(NetlinkError, FileExistsError):
    """EEXIST: the object already exists."""


class NotFoundError(NetlinkError, FileNotFoundError):
    """ENOENT, ENODEV, ESRCH, EADDRNOTAVAIL: no such object."""


class NetlinkPermissionError(NetlinkError, PermissionError):
    """EPERM, EACCES: missing CAP_NET_ADMIN (or a namespace we may not enter)."""


class NotSupportedError(NetlinkError):
    """EOPNOTSUPP, EAFNOSUPPORT, EPROTONOSUPPORT: this kernel lacks the feature."""


class BusyError(NetlinkError):
    """EBUSY: the object is in use."""


class NetlinkTimeoutError(NetlinkError, TimeoutError):
    """No reply from the kernel within the time limit."""


class InvalidRequestError(NetlinkError):
    """EINVAL, ERANGE: the kernel rejected a value (see ``extack`` and ``field``)."""


_BY_ERRNO: dict[int, type[NetlinkError]] = {
    _errno.EEXIST: ExistsError,
    _errno.ENOENT: NotFoundError,
    _errno.ENODEV: NotFoundError,
    _errno.ESRCH: NotFoundError,
    _errno.EADDRNOTAVAIL: NotFoundError,
    _errno.EPERM: NetlinkPermissionError,
    _errno.EACCES: NetlinkPermissionError,
    _errno.EOPNOTSUPP: NotSupportedError,
    _errno.EAFNOSUPPORT: NotSupportedError,
    _errno.EPROTONOSUPPORT: NotSupportedError,
    _errno.EBUSY: BusyError,
    _errno.ETIMEDOUT: NetlinkTimeoutError,
    _errno.EINVAL: InvalidRequestError,
    _errno.ERANGE: InvalidRequestError,
}


class DumpInterrupted(NetlinkError):
    """A dump kept changing under us (NLM_F_DUMP_INTR) after every retry.

    ``last`` holds the last (inconsistent) result, for callers that can use it anyway.
    """

    def __init__(self, operation: str, attempts: int, last: Any) -> None:
        self.attempts = attempts
        self.last = last
        super().__init__(_errno.EINTR, operation, "",
                         f"dump interrupted {attempts} times (NLM_F_DUMP_INTR)")


class DecodeError(ValueError):
    """Malformed netlink bytes (from the kernel or a caller)."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        self.offset = offset
        super().__init__(message if offset is None else f"{message} at byte {offset}")


class InvalidArgument(ValueError):
    """Bad input, refused before anything was sent."""


class BatchError(Exception):
    """Some requests of a batch failed.

    ``results`` has one entry per request, in order (``None`` for success or the
    ``NetlinkError``); ``undone`` lists what rollback reverted.
    """

    def __init__(self, results: Sequence[NetlinkError | None], undone: Sequence[str] = (),
                 operation: str = "batch") -> None:
        self.results = list(results)
        self.undone = list(undone)
        self.errors = [e for e in self.results if e is not None]
        first = self.errors[0] if self.errors else None
        text = f"{operation}: {len(self.errors)} of {len(self.results)} requests failed"
        if first is not None:
            text += f"; first: {first}"
        if self.undone:
            text += f"; rolled back {len(self.undone)} steps"
        super().__init__(text)
