"""Route metrics (RTA_METRICS, nested RTAX_*): ``Metrics``, written on add/replace, read back."""
from __future__ import annotations

from .._record import record, fields
from _collections_abc import Mapping   # collections.abc without the collections package (plugin start-up)

from .._native import lib
from ..codec.rows import Rows
from ..errors import InvalidArgument
from . import validate as v
from .message import Msg

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Collection

FEATURES = {"ecn": lib.RTAX_FEATURE_ECN, "sack": lib.RTAX_FEATURE_SACK,
            "timestamp": lib.RTAX_FEATURE_TIMESTAMP, "allfrag": lib.RTAX_FEATURE_ALLFRAG}
# the kernel keeps rtt in 1/8 ms and rttvar in 1/4 ms (as ip route does, we take milliseconds)
_SCALE = {"rtt": 8, "rttvar": 4}
_INTS = ("mtu", "advmss", "window", "rtt", "rttvar", "initcwnd", "initrwnd", "hoplimit", "ssthresh",
         "cwnd", "reordering", "rto_min")


@record(frozen=True)
class Metrics:
    """What ``ip route ... mtu 1400 initcwnd 10`` sets: integers (``rtt``, ``rttvar`` and
    ``rto_min`` in milliseconds), ``quickack`` and ``features`` (ecn, sack, timestamp, allfrag),
    ``cc_algo`` (a congestion control name) and ``lock`` (names of the metrics the kernel must
    not change, e.g. ``("mtu",)``). None: not set."""

    mtu: int | None = None
    advmss: int | None = None
    window: int | None = None
    rtt: int | None = None
    rttvar: int | None = None
    initcwnd: int | None = None
    initrwnd: int | None = None
    hoplimit: int | None = None
    ssthresh: int | None = None
    cwnd: int | None = None
    reordering: int | None = None
    rto_min: int | None = None
    quickack: bool | None = None
    features: Collection[str] = frozenset()      # kept as a frozenset
    cc_algo: str | None = None
    lock: Collection[str] = frozenset()          # kept as a frozenset

    def __post_init__(self) -> None:
        for name in _INTS:
            value = getattr(self, name)
            if value is not None:
                v.integer(value, f"Metrics.{name}", 0, 0xFFFFFFFF // _SCALE.get(name, 1))
        if self.hoplimit is not None:
            v.integer(self.hoplimit, "Metrics.hoplimit", 0, 255)
        if self.quickack is not None:
            v.boolean(self.quickack, "Metrics.quickack")
        self.__dict__["features"] = _names(self.features, "Metrics.features", FEATURES)
        self.__dict__["lock"] = _names(self.lock, "Metrics.lock", {n: n for n in _INTS})
        if self.cc_algo is not None:
            v.text(self.cc_algo, "Metrics.cc_algo", 15)

    @classmethod
    def of(cls, value: object) -> "Metrics":
        """A Metrics from itself or a mapping (``{"mtu": 1400}``); bad names are refused."""
        if isinstance(value, Metrics):
            return value
        if not isinstance(value, Mapping):
            raise InvalidArgument(f"Route.metrics: expected Metrics or a mapping, not {value!r}")
        unknown = sorted(set(value) - {f.name for f in fields(cls)})
        if unknown:
            raise InvalidArgument(f"Route.metrics: unknown metric {unknown[0]!r}; expected one of "
                                  f"{', '.join(f.name for f in fields(cls))}")
        return cls(**value)

    def encode(self, m: Msg) -> None:
        """The RTA_METRICS nest of a route message."""
        m.nest(lib.RTA_METRICS, "Route.metrics")
        if self.lock:
            m.u32(lib.RTAX_LOCK, "Metrics.lock", sum(1 << _ATTR[n] for n in self.lock))
        for name in _INTS:
            value = getattr(self, name)
            if value is not None:
                m.u32(_ATTR[name], f"Metrics.{name}", value * _SCALE.get(name, 1))
        if self.features:
            m.u32(lib.RTAX_FEATURES, "Metrics.features", sum(FEATURES[f] for f in self.features))
        if self.quickack is not None:
            m.u32(lib.RTAX_QUICKACK, "Metrics.quickack", int(self.quickack))
        if self.cc_algo is not None:
            m.string(lib.RTAX_CC_ALGO, "Metrics.cc_algo", self.cc_algo)
        m.end()

    @classmethod
    def decode(cls, rows: Rows, nest: int) -> "Metrics":
        """The metrics of an RTA_METRICS row."""
        ints: dict[str, Any] = {}
        for name in _INTS:
            value = rows.get_u(nest, _ATTR[name])
            if value is not None:
                ints[name] = value // _SCALE.get(name, 1)
        locked = rows.get_u(nest, lib.RTAX_LOCK) or 0
        feats = rows.get_u(nest, lib.RTAX_FEATURES) or 0
        quick = rows.get_u(nest, lib.RTAX_QUICKACK)
        # what the kernel reports is taken as it is (not checked as input: a hop limit the
        # kernel clamps, a long algorithm name)
        out = cls.__new__(cls)
        out.__dict__.update({f.name: f.default for f in fields(cls)}, **ints,
                            quickack=None if quick is None else bool(quick),
                            features=frozenset(n for n, bit in FEATURES.items() if feats & bit),
                            cc_algo=rows.get_str(nest, lib.RTAX_CC_ALGO),
                            lock=frozenset(n for n in _INTS if locked & (1 << _ATTR[n])))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The metrics that are set (JSON-ready)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and value != frozenset():
                out[f.name] = sorted(value) if isinstance(value, frozenset) else value
        return out


_ATTR = {name: int(getattr(lib, "RTAX_" + name.upper())) for name in _INTS}


def _names(value: object, field: str, table: Mapping[str, object]) -> frozenset[str]:
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (tuple, list, set, frozenset)):
        raise InvalidArgument(f"{field}: expected names, not {value!r}")
    for n in value:
        v.choice(n, field, table)
    return frozenset(str(n).lower() for n in value)


def metrics_json(metrics: Metrics | Mapping[str, Any]) -> dict[str, Any]:
    """As one entry of ``ip -j route``'s "metrics" list (features as ``"ecn": null``), from a
    Metrics or its ``to_dict()``."""
    d = metrics.to_dict() if isinstance(metrics, Metrics) else metrics
    out: dict[str, Any] = {}
    for name in ("mtu", "window", "rtt", "rttvar", "ssthresh", "cwnd", "advmss", "reordering",
                 "hoplimit", "initcwnd"):
        if d.get(name) is not None:
            out[name] = d[name]
    for f in sorted(d.get("features", ())):
        out[f] = None
    for name in ("rto_min", "initrwnd", "quickack"):
        if d.get(name) is not None:
            out[name] = int(d[name])
    if d.get("cc_algo") is not None:
        out["congestion"] = d["cc_algo"]
    return out
