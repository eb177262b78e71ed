"""Any other kind: created by name with no options, read back with its data as a plain dict."""
from __future__ import annotations

import re
from ..._record import record

from ...errors import InvalidArgument
from ..link import Link, LinkView

_KIND = re.compile(r"[a-z0-9_]{1,31}\Z")


@record(frozen=True, kw_only=True)
class GenericLink(Link):
    """A link of any kind the kernel knows (``GenericLink("ifb0", type="ifb")``)."""

    type: str

    def check(self) -> None:
        if not isinstance(self.type, str) or not _KIND.match(self.type):
            raise InvalidArgument(f"GenericLink.type: invalid kind {self.type!r}")

    def info_kind(self) -> str:
        return self.type


class GenericLinkView(LinkView):
    """A link of a kind without its own view: ``data`` is IFLA_INFO_DATA as a plain dict."""

    __slots__ = ()
    KIND_FIELDS = ("data",)

    @property
    def data(self) -> dict[str, object] | None:
        return self._rows.tree(self._data) if self._data >= 0 else None
