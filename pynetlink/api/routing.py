"""Verb namespaces of policy routing: ``h.rules`` (``ip rule``) and ``h.nexthops`` (``ip nexthop``),
typed per mode as the other verbs (api/verbs.py); options are Rule's and NexthopObject's."""
from __future__ import annotations


from ..errors import InvalidArgument
from ..rtnl import nexthops as rtnh
from ..rtnl import rules as rtrule
from ..rtnl.nexthops import Member, NexthopObject, NexthopObjectView
from ..rtnl.request import Request
from ..rtnl.routes import Table
from ..rtnl.rules import Range, Rule, RuleView
from ..rtnl.validate import LinkRef
from .verbs import M, Verb, _composed, _given, _Moded

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


def _rule_options(self: Any, rule: int | Rule | None = None, /, *, priority: int | None = None,
                  src: str | None = None,
                  dst: str | None = None, iif: str | None = None, oif: str | None = None,
                  fwmark: int | None = None, fwmask: int | None = None, tos: int = 0,
                  table: Table | None = None, goto: int | None = None, action: str | None = None,
                  uid_range: Range | None = None, sport: int | Range | None = None,
                  dport: int | Range | None = None, ip_proto: str | int | None = None,
                  l3mdev: bool = False, suppress_prefixlength: int | None = None,
                  suppress_ifgroup: int | None = None, protocol: str | int | None = None,
                  invert: bool = False, family: int | None = None) -> Rule:
    """The parameters of ``add`` and ``delete``: a priority (first, or ``priority=``) and Rule's
    options, or a Rule."""
    return _spec(Rule, rule, _given(_rule_options, dict(
        priority=priority, src=src, dst=dst, iif=iif, oif=oif, fwmark=fwmark, fwmask=fwmask, tos=tos, table=table,
        goto=goto, action=action, uid_range=uid_range, sport=sport, dport=dport, ip_proto=ip_proto,
        l3mdev=l3mdev, suppress_prefixlength=suppress_prefixlength, suppress_ifgroup=suppress_ifgroup,
        protocol=protocol, invert=invert, family=family)), "priority")


class Rules(_Moded[M]):
    """Policy routing rules: ``add(100, src="198.51.100.0/24", table=100)`` or ``add(Rule(...))``,
    delete (the first rule matching what is given, e.g. ``delete(100)``), dump."""

    __slots__ = ()

    add = _composed(_rule_options, rtrule.add, "rule options")
    delete = _composed(_rule_options, rtrule.delete, "rule options")

    @Verb
    def dump(self, *, family: object = None) -> Request[list[RuleView]]:
        """Views of the IPv4 and IPv6 rules (or of one family: 4 or 6), by priority."""
        return rtrule.dump(family=family)


def _nexthop_options(self: Any, nexthop: int | NexthopObject | None = None, /, *, id: int | None = None,
                     via: str | None = None,
                     dev: LinkRef | None = None, blackhole: bool = False, fdb: bool = False,
                     onlink: bool = False, group: tuple[int | Member, ...] = (),
                     group_type: str = "mpath", buckets: int | None = None,
                     idle_timer: int | None = None, unbalanced_timer: int | None = None,
                     protocol: str | int | None = None, family: int | None = None) -> NexthopObject:
    """The parameters of ``add`` and ``replace``: an id (first, or ``id=``) and NexthopObject's
    options, or one."""
    return _spec(NexthopObject, nexthop, _given(_nexthop_options, dict(
        id=id, via=via, dev=dev, blackhole=blackhole, fdb=fdb, onlink=onlink, group=group,
        group_type=group_type, buckets=buckets, idle_timer=idle_timer,
        unbalanced_timer=unbalanced_timer, protocol=protocol, family=family)), "id")


class Nexthops(_Moded[M]):
    """Nexthop objects and groups: ``add(1, via="198.51.100.2", dev="eth0")``,
    ``add(10, group=(1, (2, 3)))`` or ``add(NexthopObject(...))``; replace, delete(id), get(id), dump."""

    __slots__ = ()

    add = _composed(_nexthop_options, rtnh.add, "nexthopobject options")
    replace = _composed(_nexthop_options, lambda n: rtnh.add(n, replace=True), "nexthopobject options")

    @Verb
    def delete(self, id: int) -> Request[None]:
        return rtnh.delete(id)

    @Verb
    def get(self, id: int) -> Request[NexthopObjectView]:
        """One nexthop object's view; NotFoundError when none has this id."""
        return rtnh.get(id)

    @Verb
    def dump(self, *, family: object = None, dev: LinkRef | None = None,
             groups: bool = False) -> Request[list[NexthopObjectView]]:
        """Views of the nexthop objects (of one family, through one device, only groups)."""
        return rtnh.dump(family=family, dev=dev, groups=groups)


__all__ = ["Nexthops", "Rules"]
