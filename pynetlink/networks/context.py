"""What a change to one network needs at hand: the host, its handles, the record."""
from __future__ import annotations

import contextlib
import errno
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from .._bounded import Bounded
from ..api.handle import Handle
from ..nft import DockerNat, Nftables
from ..nft.masqsets import MasqueradeSets
from ..transport import NetNS
from . import names
from .options import NetworkConfig
from .store import Store


@dataclass
class Nat:
    """The host's nftables objects, kept across changes by one ``Networks`` (what they have
    seen in place stays known: no re-check of the table per change); closed by ``close``."""

    docker: DockerNat | None = None
    masq: MasqueradeSets | None = None

    def get(self, host: NetNS | None) -> DockerNat:
        if self.docker is None:
            self.docker = DockerNat(Nftables(host), family="inet")     # IPv4 and IPv6 in one table
        return self.docker

    def sets(self, host: NetNS | None) -> MasqueradeSets:
        if self.masq is None:
            self.masq = MasqueradeSets(self.get(host).nft, family="inet")
        return self.masq

    def dropped(self) -> None:
        """The table was deleted (by ``docker.teardown``, which forgets its own structure):
        the masquerade chain and sets went with it."""
        if self.masq is not None:
            self.masq.forget()

    def close(self) -> None:
        if self.docker is not None:
            self.docker.nft.close()
        self.docker = self.masq = None


@dataclass
class Ctx:
    """One network on one host during a change; ``note`` writes the record ahead of the kernel."""

    host: NetNS | None
    store: Store
    record: dict[str, Any]
    handle: Handle
    own_handle: bool = True              # False: the caller's, kept open across changes
    shared: Nat | None = field(default=None, repr=False)     # None: a Nat of its own
    _nat: Nat = field(default_factory=Nat, repr=False)
    _config: tuple[object, NetworkConfig] | None = field(default=None, repr=False)

    @property
    def config(self) -> NetworkConfig:
        """The record's configuration, parsed once (again if ``record["config"]`` is replaced)."""
        raw = self.record["config"]
        if self._config is None or self._config[0] is not raw:
            self._config = (raw, parsed(raw))
        return self._config[1]

    @property
    def id(self) -> str:
        return str(self.record["id"])

    @property
    def group(self) -> int:
        return names.group(self.id)

    @property
    def made(self) -> dict[str, Any]:
        made: dict[str, Any] = self.record.setdefault("made", {})
        return made

    @property
    def endpoints(self) -> dict[str, dict[str, Any]]:
        eps: dict[str, dict[str, Any]] = self.record.setdefault("endpoints", {})
        return eps

    def note(self, key: str, value: Any) -> None:
        """Record what is about to be made, before making it (write-ahead)."""
        self.made[key] = value
        self.save()

    def save(self, endpoints: Iterable[str] | None = None) -> None:
        """Write the record; ``endpoints``: the ids of the only endpoints changed (``Store.save``)."""
        self.store.save(self.record, endpoints)

    @property
    def nat(self) -> DockerNat:
        return (self.shared or self._nat).get(self.host)

    @property
    def masq(self) -> MasqueradeSets:
        """Masquerade as set elements (nft/masqsets.py), on ``nat``'s socket."""
        return (self.shared or self._nat).sets(self.host)

    def nat_dropped(self) -> None:
        """The library's table was deleted."""
        (self.shared or self._nat).dropped()

    def sysctl(self, key: str) -> str:
        return (self.host or NetNS.current()).sysctl(key)

    def set_sysctl(self, key: str, value: str) -> None:
        (self.host or NetNS.current()).set_sysctl(key, value)

    def where(self) -> str:
        return f"namespace {self.host.name or self.host.path}" if self.host else "this namespace"

    def close(self) -> None:
        if self.own_handle:
            self.handle.close()
        self._nat.close()


_PARSED: Bounded[str, tuple[dict[str, Any], NetworkConfig]] = Bounded(1024)     # name -> (a copy of its raw config, parsed)


def parsed(raw: dict[str, Any]) -> NetworkConfig:
    """``NetworkConfig.from_dict(raw)``, taken again while a network's config is the same
    (each change loads its record anew: a single connect parsed it every time)."""
    name = raw.get("name")
    hit = _PARSED.get(name) if isinstance(name, str) else None
    if hit is not None and hit[0] == raw:
        return hit[1]
    cfg = NetworkConfig.from_dict(raw)
    if isinstance(name, str):
        _PARSED.put(name, (json.loads(json.dumps(raw)), cfg))     # a copy: raw may change later
    return cfg


@contextlib.contextmanager
def opened(host: NetNS | None, store: Store, record: dict[str, Any],
           handle: Handle | None = None, nat: Nat | None = None) -> Iterator[Ctx]:
    """A Ctx for one change; ``handle`` (the host's, left open) or a new one, closed after;
    ``nat`` likewise."""
    ctx = Ctx(host, store, record, handle or Handle(host), own_handle=handle is None, shared=nat)
    try:
        yield ctx
    finally:
        ctx.close()


def ignore_missing(fn: Callable[[], object]) -> Callable[[], None]:
    """``fn`` with 'no such device/address/file' turned into success (for teardown)."""
    def run() -> None:
        try:
            fn()
        except OSError as exc:
            if exc.errno not in (errno.ENODEV, errno.ENOENT, errno.EADDRNOTAVAIL, errno.ESRCH):
                raise
    return run
