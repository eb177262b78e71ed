"""rtnetlink requests: the codec's one builder (codec.message.Msg) plus the one field that
needs the transport layer, a namespace passed by file descriptor."""
from __future__ import annotations

import errno
import os

from ..codec.message import Msg as _Msg, field_name
from ..transport import validate as tv

__all__ = ["Filled", "Msg", "Shapes", "field_name"]

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Hashable, Self

    from ..codec.program import Compiled


class Msg(_Msg):
    """A request message (see codec.message.Msg) that may hold namespace fds."""

    __slots__ = ()
    count = 1           # the messages it stands for (more when its values are a codec ``Many``)

    def netns_fd(self, attr: int, name: str, path: str) -> Self:
        """A namespace passed by fd (IFLA_NET_NS_FD): opened now, closed after the transfer."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise FileNotFoundError(errno.ENOENT, f"{name}: no such network namespace", path) from None
        try:
            tv.netns_fd(fd, path, name)
        except BaseException:
            os.close(fd)
            raise
        self.fds.append(fd)
        self.u32(attr, name, fd)
        return self

    def close_fds(self) -> None:
        while self.fds:
            os.close(self.fds.pop())


class Filled(Msg):
    """A message whose program and values are known already (no builder: ``routes.add_many``'s
    members, ``links.set(name, up=...)``)."""

    __slots__ = ("_item",)
    fds: list[int] = []            # (never holds any: shadows Msg's slot)

    def __init__(self, item: "tuple[Compiled, list[Any]]") -> None:   # (no Msg.__init__: nothing to build)
        self._item = item

    def item(self) -> "tuple[Compiled, list[Any]]":
        return self._item


class Shapes:
    """Programs of common message shapes, filled with values directly (no builder): a
    request of a known shape ``key`` becomes ``Filled((program, values))``. The first
    message of each key is built the usual way by ``slow()``; its program is kept only if
    the builder's values equal ``values``, so a key whose values were assembled wrongly
    keeps being built by ``slow`` (never sent wrong)."""

    def __init__(self) -> None:
        self._progs: dict[Hashable, Compiled] = {}

    def msg(self, key: Hashable, values: "list[Any]", slow: "Callable[[], Msg]") -> Msg:
        prog = self._progs.get(key)
        if prog is not None:
            return Filled((prog, values))
        m = slow()
        if not m.fds:
            prog, built = m.item()
            if list(built) == values:
                self._progs[key] = prog
        return m
