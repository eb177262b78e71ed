"""Verb namespaces of policy routing: ``h.rules`` (``ip rule``) and ``h.nexthops`` (``ip nexthop``)."""
from __future__ import annotations


from ..errors import InvalidArgument
from ..rtnl import nexthops as rtnh
from ..rtnl import rules as rtrule
from ..rtnl.nexthops import NexthopObject
from ..rtnl.rules import Rule
from ..rtnl.validate import LinkRef
from .verbs import R, _Verbs

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, TypeVar
else:
    from .._lighttyping import TypeVar

S = TypeVar("S")


def _spec(cls: type[S], first: Any, options: dict[str, Any], first_name: str) -> S:
    """``cls`` given as an instance, or built from a first argument and keyword options."""
    if isinstance(first, cls):
        if options:
            raise InvalidArgument(f"pass either a {cls.__name__} or its options")
        return first
    try:
        return cls(**({first_name: first} if first is not None else {}), **options)
    except TypeError as exc:
        raise InvalidArgument(f"{cls.__name__.lower()} options: {exc}") from None


class Rules(_Verbs[R]):
    """Policy routing rules: ``add(100, src="198.51.100.0/24", table=100)`` or ``add(Rule(...))``,
    delete (the first rule matching what is given, e.g. ``delete(100)``), dump."""

    __slots__ = ()

    def add(self, rule: int | Rule | None = None, **options: Any) -> R:
        return self._submit(rtrule.add(_spec(Rule, rule, options, "priority")))

    def delete(self, rule: int | Rule | None = None, **options: Any) -> R:
        return self._submit(rtrule.delete(_spec(Rule, rule, options, "priority")))

    def dump(self, *, family: object = None) -> R:
        """Views of the IPv4 and IPv6 rules (or of one family: 4 or 6), by priority."""
        return self._submit(rtrule.dump(family=family))


class Nexthops(_Verbs[R]):
    """Nexthop objects and groups: ``add(1, via="198.51.100.2", dev="eth0")``,
    ``add(10, group=(1, (2, 3)))`` or ``add(NexthopObject(...))``; replace, delete(id), get(id), dump."""

    __slots__ = ()

    def add(self, nexthop: int | NexthopObject | None = None, **options: Any) -> R:
        return self._submit(rtnh.add(_spec(NexthopObject, nexthop, options, "id")))

    def replace(self, nexthop: int | NexthopObject | None = None, **options: Any) -> R:
        return self._submit(rtnh.add(_spec(NexthopObject, nexthop, options, "id"), replace=True))

    def delete(self, id: int) -> R:
        return self._submit(rtnh.delete(id))

    def get(self, id: int) -> R:
        """One nexthop object's view; NotFoundError when none has this id."""
        return self._submit(rtnh.get(id))

    def dump(self, *, family: object = None, dev: LinkRef | None = None, groups: bool = False) -> R:
        """Views of the nexthop objects (of one family, through one device, only groups)."""
        return self._submit(rtnh.dump(family=family, dev=dev, groups=groups))


__all__ = ["Nexthops", "Rules"]
