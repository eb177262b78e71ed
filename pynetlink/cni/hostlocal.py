"""``pynetlink-host-local``: IPAM with host-local's config and on-disk layout.

The store is the Go host-local's (1.1.x), so both can serve one node and a node can switch
plugins keeping its reservations: ``<dataDir>/<network>/`` holds one file per reserved
address, named by the address and holding ``<containerID>\\r\\n<ifname>``, a
``last_reserved_ip.<range set index>`` file per range set, and ``lock``, the file both take
an exclusive ``flock`` on (never unlinked). Each range set gives one address, round robin
after the last one reserved; the gateway, the network address and (IPv4) the broadcast
address are never handed out. Requested addresses come from ``CNI_ARGS`` ``IP=``,
``args.cni.ips`` and ``runtimeConfig.ips``.

The bridge plugin calls ``add``/``delete``/``check``/``gc``/``status`` of this module
in-process when its ``ipam.type`` is ``pynetlink-host-local``.
"""
from __future__ import annotations

import errno
import fcntl
import os
from . import ipnet
from .skel import INVALID_CONFIG, IO_FAILURE, NOT_AVAILABLE, TRY_AGAIN_LATER, CNIError, Plugin, Request, Result

TYPE_CHECKING = False        # typing itself is not imported at run time (mypy knows the name)

if TYPE_CHECKING:        # not imported at run time: an IPAM call loads json, fcntl, and that is all
    import ipaddress
    from typing import Any, Iterator, Optional, Sequence, Union
    Addr = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
    Net = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

TYPE = "pynetlink-host-local"
DEFAULT_DATA_DIR = "/var/lib/cni/networks"
LAST_PREFIX = "last_reserved_ip."
LINE_BREAK = "\r\n"


class Range:
    """One ``ranges`` entry: a subnet and the addresses of it that may be handed out."""

    __slots__ = ("subnet", "start", "end", "gateway")

    def __init__(self, subnet: Net, start: int, end: int, gateway: Optional[Addr]) -> None:
        self.subnet, self.start, self.end, self.gateway = subnet, start, end, gateway

    def __contains__(self, ip: Addr) -> bool:
        return ip.version == self.subnet.version and self.start <= int(ip) <= self.end

    def __str__(self) -> str:
        a = ipnet.ip_address
        return f"{a(self.start)}-{a(self.end)}"

    def usable(self, n: int) -> bool:
        """Whether address ``n`` may be handed out (not the gateway, network, broadcast)."""
        net = self.subnet
        if n == int(net.network_address) or (self.gateway is not None and n == int(self.gateway)):
            return False
        return not (net.version == 4 and n == int(net.broadcast_address))


def _bad(field: str, message: str) -> CNIError:
    return CNIError(INVALID_CONFIG, f"ipam.{field}: {message}")


def _addr(text: Any, field: str) -> Addr:
    try:
        return ipnet.ip_address(str(text).split("/")[0])
    except ValueError:
        raise _bad(field, f"{text!r} is not an IP address") from None


def parse_range(r: Any, where: str) -> Range:
    """A range object (``subnet``, ``rangeStart``, ``rangeEnd``, ``gateway``), validated."""
    if not isinstance(r, dict) or not r.get("subnet"):
        raise _bad(where, "a range needs a \"subnet\", e.g. {\"subnet\": \"10.22.0.0/16\"}")
    try:
        net = ipnet.ip_network(str(r["subnet"]), strict=False)
    except ValueError:
        raise _bad(f"{where}.subnet", f"{r['subnet']!r} is not a subnet like 10.22.0.0/16") from None
    if str(r["subnet"]).split("/")[0] != str(net.network_address):
        raise _bad(f"{where}.subnet", f"{r['subnet']!r} has host bits set: the network is {net}")
    if net.prefixlen > net.max_prefixlen - 2:
        raise _bad(f"{where}.subnet", f"network {net} is too small to allocate from")
    first = int(net.network_address) + 1
    last = int(net.broadcast_address) - (1 if net.version == 4 else 0)
    gw = _addr(r["gateway"], f"{where}.gateway") if r.get("gateway") else ipnet.ip_address(first)
    if gw not in net:
        raise _bad(f"{where}.gateway", f"{gw} is not in subnet {net}")
    bounds = []
    for key, default in (("rangeStart", first), ("rangeEnd", last)):
        if r.get(key):
            ip = _addr(r[key], f"{where}.{key}")
            if ip not in net:
                raise _bad(f"{where}.{key}", f"{ip} is not in subnet {net}")
            bounds.append(int(ip))
        else:
            bounds.append(default)
    if bounds[0] > bounds[1]:
        raise _bad(where, f"rangeStart {ipnet.ip_address(bounds[0])} is after rangeEnd "
                   f"{ipnet.ip_address(bounds[1])}")
    return Range(net, bounds[0], bounds[1], gw)


class Config:
    """The ``ipam`` section, normalised."""

    __slots__ = ("network", "range_sets", "routes", "data_dir", "resolv_conf", "requested")

    def __init__(self, network: str, range_sets: tuple[tuple[Range, ...], ...], routes: tuple[dict[str, Any], ...],
                 data_dir: str, resolv_conf: str, requested: tuple[Addr, ...]) -> None:
        self.network, self.range_sets, self.routes = network, range_sets, routes
        self.data_dir, self.resolv_conf, self.requested = data_dir, resolv_conf, requested


def parse_config(req: Request) -> Config:
    """The ``ipam`` section of ``req.config`` and the addresses the request asks for."""
    ipam = req.config.get("ipam")
    if not isinstance(ipam, dict):
        raise CNIError(INVALID_CONFIG, "the config has no \"ipam\" object")
    sets: list[list[Any]] = []
    if ipam.get("subnet"):                      # the legacy flat form comes first, as in Go
        sets.append([{k: ipam.get(k) for k in ("subnet", "rangeStart", "rangeEnd", "gateway")}])
    ranges = ipam.get("ranges") or []
    if not isinstance(ranges, list) or not all(isinstance(s, list) and s for s in ranges):
        raise _bad("ranges", "must be a list of range sets, each a non-empty list of ranges")
    sets.extend(ranges)
    if not sets:
        raise _bad("ranges", "no IP ranges given: set \"ranges\": [[{\"subnet\": \"...\"}]]")
    parsed = tuple(tuple(parse_range(r, f"ranges[{i}][{j}]") for j, r in enumerate(s))
                   for i, s in enumerate(sets))
    for i, s in enumerate(parsed):
        _check_set(s, i)
    for i in range(len(parsed)):
        for j in range(i + 1, len(parsed)):
            if any(_overlap(a, b) for a in parsed[i] for b in parsed[j]):
                raise _bad("ranges", f"range sets {i} and {j} overlap: each must have addresses of its own")
    routes = ipam.get("routes") or []
    if not isinstance(routes, list) or not all(isinstance(r, dict) and r.get("dst") for r in routes):
        raise _bad("routes", "must be a list of {\"dst\": \"CIDR\", \"gw\": \"address\"}")
    for k, r in enumerate(routes):
        try:
            ipnet.ip_network(r["dst"], strict=False)
        except ValueError:
            raise _bad(f"routes[{k}].dst", f"{r['dst']!r} is not a CIDR") from None
        if r.get("gw"):
            _addr(r["gw"], f"routes[{k}].gw")
    return Config(req.name, parsed, tuple(routes), str(ipam.get("dataDir") or DEFAULT_DATA_DIR),
                  str(ipam.get("resolvConf") or ""), requested_ips(req))


def _overlap(a: Range, b: Range) -> bool:
    return a.subnet.version == b.subnet.version and a.start <= b.end and b.start <= a.end


def config_for_release(req: Request) -> Config:
    """The config, or, when ADD would refuse it, enough of it to release by container ID (the
    store is found by ``dataDir`` and the network name alone): DEL cleans up regardless."""
    try:
        return parse_config(req)
    except CNIError:
        ipam = req.config.get("ipam")
        data_dir = ipam.get("dataDir") if isinstance(ipam, dict) else None
        return Config(req.name, (), (), str(data_dir or DEFAULT_DATA_DIR), "", ())


def _check_set(s: Sequence[Range], i: int) -> None:
    if len({r.subnet.version for r in s}) > 1:
        raise _bad(f"ranges[{i}]", "mixes IPv4 and IPv6 ranges; use one range set per family")
    for a in range(len(s)):
        for b in range(a + 1, len(s)):
            if _overlap(s[a], s[b]):
                raise _bad(f"ranges[{i}]", f"ranges {s[a]} and {s[b]} overlap")


def requested_ips(req: Request) -> tuple[Addr, ...]:
    """Addresses asked for by ``CNI_ARGS`` IP=, ``args.cni.ips`` and ``runtimeConfig.ips``."""
    out: list[Addr] = []
    for text in filter(None, req.args.get("IP", "").split(",")):
        try:
            out.append(ipnet.ip_address(text.strip()))
        except ValueError:
            raise CNIError(INVALID_CONFIG, f"CNI_ARGS IP={text!r} is not an IP address") from None
    args = req.config.get("args") or {}
    cni_args = args.get("cni") if isinstance(args, dict) else None
    more = list((cni_args or {}).get("ips") or []) + list(req.runtime_config.get("ips") or [])
    out.extend(_addr(t, "ips") for t in more)
    return tuple(dict.fromkeys(out))


# -- the store -----------------------------------------------------------------------------
def _read(path: str) -> bytes:
    """A small file's bytes, with ``os.read`` (every ADD and DEL reads each reservation file:
    ~10 µs each through ``open()``'s buffered file object, ~3 µs this way)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = [os.read(fd, 4096)]
        while len(chunks[-1]) == 4096:
            chunks.append(os.read(fd, 4096))
        return b"".join(chunks)
    finally:
        os.close(fd)


class Store:
    """Go host-local's disk store of one network (see the module docstring)."""

    def __init__(self, data_dir: str, network: str) -> None:
        self.dir = os.path.join(data_dir, network)
        self._fd = -1

    def file(self, name: object) -> str:
        return os.path.join(self.dir, str(name))

    def locked(self) -> "Store":
        """``with store.locked():`` holds the network's ``lock`` (the Go plugin's lock too)."""
        return self

    def __enter__(self) -> "Store":
        try:
            os.makedirs(self.dir, mode=0o755, exist_ok=True)
            self._fd = os.open(self.file("lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise CNIError(IO_FAILURE, f"cannot open the IPAM store {self.dir}: {e.strerror}") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(self._fd)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self._fd)
        self._fd = -1

    def reservations(self) -> dict[Addr, tuple[str, str]]:
        """address -> (containerID, ifname) of every reservation file."""
        out: dict[Addr, tuple[str, str]] = {}
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return out
        for name in names:
            try:
                ip = ipnet.ip_address(name)
                text = _read(self.file(name)).decode()
            except (ValueError, OSError):
                continue
            cid, _, ifname = text.strip().partition(LINE_BREAK)
            out[ip] = (cid.strip(), ifname.strip())
        return out

    def reserve(self, ip: Addr, container_id: str, ifname: str, set_index: int) -> bool:
        """Create the file of ``ip``; False if someone holds it. The file appears whole (written
        aside, then hard-linked: exclusive like O_EXCL), so a SIGKILL never leaves an empty
        reservation no DEL could match."""
        final = self.file(ip)
        if os.path.exists(final):
            return False
        tmp = self.file(f".reserve.{os.getpid()}")
        with open(tmp, "wb") as f:
            f.write(f"{container_id.strip()}{LINE_BREAK}{ifname}".encode())
        try:
            os.link(tmp, final)
        except FileExistsError:
            return False
        finally:
            os.unlink(tmp)
        with open(self.file(f"{LAST_PREFIX}{set_index}"), "w") as f:
            f.write(str(ip))
        return True

    def sweep(self) -> None:
        """Remove the aside-files of reservations killed before their link (call with the lock
        held: a live ``reserve`` holds it too, so any such file is a leftover)."""
        for name in os.listdir(self.dir):
            if name.startswith(".reserve."):
                try:
                    os.unlink(self.file(name))
                except FileNotFoundError:
                    pass

    def last_reserved(self, set_index: int) -> Optional[Addr]:
        try:
            with open(self.file(f"{LAST_PREFIX}{set_index}")) as f:
                return ipnet.ip_address(f.read().strip())
        except (OSError, ValueError):
            return None

    def release(self, ip: Addr) -> None:
        try:
            os.unlink(self.file(ip))
        except FileNotFoundError:
            pass


def _owned(res: dict[Addr, tuple[str, str]], container_id: str, ifname: str) -> list[Addr]:
    """The reservations of (container, ifname), plus files of old plugins holding the ID only."""
    mine = [ip for ip, who in res.items() if who == (container_id, ifname)]
    return mine or [ip for ip, who in res.items() if who == (container_id, "")]


def candidates(rs: Sequence[Range], last: Optional[Addr]) -> Iterator[tuple[Range, int]]:
    """Every usable address of range set ``rs`` once, starting after ``last`` (round robin)."""
    k, cur = 0, None
    if last is not None:
        for i, r in enumerate(rs):
            if last in r:
                k, cur = i, int(last)
                break
    order = [(k + i) % len(rs) for i in range(len(rs))]
    if cur is not None:                          # the rest of that range first, its head last
        r = rs[k]
        yield from ((r, n) for n in range(cur + 1, r.end + 1) if r.usable(n))
        for i in order[1:]:
            yield from ((rs[i], n) for n in range(rs[i].start, rs[i].end + 1) if rs[i].usable(n))
        yield from ((r, n) for n in range(r.start, cur + 1) if r.usable(n))
    else:
        for i in order:
            yield from ((rs[i], n) for n in range(rs[i].start, rs[i].end + 1) if rs[i].usable(n))


def _pick(cfg: Config, i: int, rs: Sequence[Range], store: Store, taken: set[Addr],
          container_id: str, ifname: str, want: Optional[Addr]) -> tuple[Range, Addr]:
    if want is not None:
        r = next(r for r in rs if want in r)
        if r.gateway == want:
            raise CNIError(INVALID_CONFIG, f"requested IP {want} is the gateway of {r.subnet}")
        if want in taken or not store.reserve(want, container_id, ifname, i):
            raise CNIError(INVALID_CONFIG, f"requested IP {want} is already reserved in range set {i}",
                           f"see {store.file(want)}")
        return r, want
    for r, n in candidates(rs, store.last_reserved(i)):
        ip = ipnet.ip_address(n)
        if ip not in taken and store.reserve(ip, container_id, ifname, i):
            return r, ip
    raise CNIError(TRY_AGAIN_LATER, f"no free address in range set {i} ({', '.join(map(str, rs))}) of "
                   f"network {cfg.network!r}", "every address is reserved: delete containers or widen "
                   f"the range (reservations: {store.dir})")


def _entry(r: Range, ip: Addr) -> dict[str, Any]:
    entry: dict[str, Any] = {"address": f"{ip}/{r.subnet.prefixlen}"}
    if r.gateway is not None:
        entry["gateway"] = str(r.gateway)
    return entry


def _reuse(cfg: Config, held: Sequence[Addr], plan: Sequence[Optional[Addr]]) -> Optional[list[dict[str, Any]]]:
    """The result entries of ``held`` if it is one address per range set (as ``plan`` asks)."""
    out = []
    for rs, want in zip(cfg.range_sets, plan):
        hit = [(r, ip) for ip in held for r in rs if ip in r]
        if len(hit) != 1 or (want is not None and hit[0][1] != want):
            return None
        out.append(_entry(*hit[0]))
    return out if len(out) == len(held) else None


def allocate(cfg: Config, container_id: str, ifname: str, *, converge: bool = False) -> Result:
    """Reserve one address per range set for (container, ifname): the IPAM result.

    An attachment holding addresses already is an error (as Go's host-local), or with
    ``converge`` (the bridge plugin, after an ADD that was killed) gets the same addresses
    again."""
    wanted = list(cfg.requested)
    plan: list[Optional[Addr]] = []
    for rs in cfg.range_sets:
        hit = next((ip for ip in wanted if any(ip in r for r in rs)), None)
        if hit is not None:
            wanted.remove(hit)
        plan.append(hit)
    if wanted:
        raise CNIError(INVALID_CONFIG, "requested IP(s) " + ", ".join(map(str, wanted))
                       + " not in any range set of the ipam config (or several in one range set)")
    store = Store(cfg.data_dir, cfg.network)
    ips: list[dict[str, Any]] = []
    with store.locked():
        res = store.reservations()
        held = [ip for ip in _owned(res, container_id, ifname)
                if any(ip in r for rs in cfg.range_sets for r in rs)]
        again = _reuse(cfg, held, plan) if held and converge else None
        if held and again is None and converge:
            for ip in held:
                store.release(ip)
                del res[ip]
        elif held and again is None:
            raise CNIError(INVALID_CONFIG, f"{held[0]} is already reserved for container {container_id} "
                           f"interface {ifname}: DEL it first (no duplicate allocation)")
        got: list[Addr] = []
        try:
            for i, rs in enumerate(cfg.range_sets if again is None else ()):
                r, ip = _pick(cfg, i, rs, store, set(res), container_id, ifname, plan[i])
                got.append(ip)
                ips.append(_entry(r, ip))
        except BaseException:
            for ip in got:
                store.release(ip)
            raise
    out: Result = {"ips": ips if again is None else again, "routes": [dict(r) for r in cfg.routes], "dns": resolv_conf(cfg.resolv_conf)}
    return out


def release(cfg: Config, container_id: str, ifname: str) -> list[Addr]:
    """Free what (container, ifname) holds; nothing held is fine. Returns what was freed."""
    store = Store(cfg.data_dir, cfg.network)
    if not os.path.isdir(store.dir):
        return []
    with store.locked():
        mine = _owned(store.reservations(), container_id, ifname)
        for ip in mine:
            store.release(ip)
    return mine


def held(cfg: Config, container_id: str, ifname: str) -> list[Addr]:
    """The addresses (container, ifname) holds."""
    store = Store(cfg.data_dir, cfg.network)
    with store.locked():
        return _owned(store.reservations(), container_id, ifname)


def gc(cfg: Config, valid: set[tuple[str, str]]) -> list[tuple[Addr, tuple[str, str]]]:
    """Free every reservation whose (containerID, ifname) is not in ``valid``."""
    store = Store(cfg.data_dir, cfg.network)
    if not os.path.isdir(store.dir):
        return []
    ids = {cid for cid, _ in valid}
    gone = []
    with store.locked():
        store.sweep()
        for ip, who in store.reservations().items():
            if who in valid or (who[1] == "" and who[0] in ids):
                continue
            store.release(ip)
            gone.append((ip, who))
    return gone


def status(cfg: Config) -> None:
    """Error 50 if a range set has no free address or the store cannot be written."""
    store = Store(cfg.data_dir, cfg.network)
    try:
        with store.locked():
            if not os.access(store.dir, os.W_OK):
                raise OSError(errno.EACCES, "not writable")
            taken = set(store.reservations())
    except (CNIError, OSError) as e:
        raise CNIError(NOT_AVAILABLE, f"IPAM store {store.dir} is not usable: {e}") from None
    for i, rs in enumerate(cfg.range_sets):
        free = next((n for r in rs for n in range(r.start, min(r.end, r.start + len(taken) + 4) + 1)
                     if r.usable(n) and ipnet.ip_address(n) not in taken), None)
        if free is None:
            raise CNIError(NOT_AVAILABLE, f"range set {i} of network {cfg.network!r} has no free address")


def resolv_conf(path: str) -> dict[str, Any]:
    """``dns`` of the result from a resolv.conf file (nameserver, domain, search, options)."""
    if not path:
        return {}
    dns: dict[str, Any] = {}
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise CNIError(IO_FAILURE, f"ipam.resolvConf: cannot read {path}: {e.strerror}") from None
    for line in text.splitlines():
        words = line.split("#")[0].split()
        if len(words) < 2:
            continue
        key, vals = words[0], words[1:]
        if key == "nameserver":
            dns.setdefault("nameservers", []).append(vals[0])
        elif key == "domain":
            dns["domain"] = vals[0]
        elif key == "search":
            dns["search"] = vals
        elif key == "options":
            dns.setdefault("options", []).extend(vals)
    return dns


class HostLocal(Plugin):
    """The plugin: ADD reserves, DEL releases, CHECK finds, GC sweeps, STATUS has room."""

    def add(self, req: Request) -> Result:
        return allocate(parse_config(req), req.container_id, req.ifname)

    def delete(self, req: Request) -> None:
        release(config_for_release(req), req.container_id, req.ifname)

    def check(self, req: Request) -> None:
        cfg = parse_config(req)
        if not held(cfg, req.container_id, req.ifname):
            raise CNIError(INVALID_CONFIG, f"no address reserved for container {req.container_id} "
                           f"interface {req.ifname} in network {cfg.network!r}")

    def gc(self, req: Request) -> None:
        gc(parse_config(req), req.valid_attachments)

    def status(self, req: Request) -> None:
        status(parse_config(req))


def plugin() -> Plugin:
    return HostLocal()
