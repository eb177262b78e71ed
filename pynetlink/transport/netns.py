"""Network namespaces without fork or iproute2: create, open, list, delete, sysctl.

Named namespaces live where ``ip netns`` keeps them (a bind mount under /run/netns), so
each tool sees the other's. Work inside a namespace runs on a short-lived helper
thread (``_thread``) that enters it with setns() and ends; no thread is left behind in
another namespace and the caller's own namespace never changes.
"""
from __future__ import annotations

import builtins
import errno
import os
import _thread      # not threading: it imports functools and collections (~2 ms of each CNI plugin start)

from . import faults, validate
from .signals import deferred
from .. import _native
from .._native import check_rc as _check
from ..errors import InvalidArgument

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Callable, Self, Sequence, TypeVar
else:
    from .._lighttyping import TypeVar

RUN_DIR = "/run/netns"
CLONE_NEWNET = 0x40000000
MS_BIND, MS_REC, MS_SHARED = 0x1000, 0x4000, 1 << 20
MNT_DETACH, UMOUNT_NOFOLLOW = 2, 8
# names and sysctl keys are checked with sets, not regular expressions (``re`` is ~1.5 ms of
# a CNI plugin's start): [A-Za-z0-9_][A-Za-z0-9_.-]{0,254}, and words of [A-Za-z0-9_-] joined by . or /
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_NAME_CHARS = _WORD | {"."}


def _valid_name(name: str) -> bool:
    return 0 < len(name) <= 255 and name[0] != "-" and name[0] != "." and set(name) <= _NAME_CHARS


_NAME_BYTES = "".join(sorted(_NAME_CHARS)).encode()


def _valid_names(names: "list[str]") -> bool:
    """``_valid_name`` of each name, all at once (C string operations over the names joined:
    no Python per name); False when one is not (or is not a str)."""
    try:
        joined = "\0" + "\0".join(names)
        raw = joined.encode("ascii")
    except (TypeError, UnicodeEncodeError):
        return False
    return (max(map(len, names), default=0) <= 255 and "\0\0" not in joined + "\0"
            and "\0-" not in joined and "\0." not in joined
            and len(raw.translate(None, _NAME_BYTES)) == len(names))


def _valid_sysctl_key(key: str) -> bool:
    return all(word and set(word) <= _WORD for word in key.replace("/", ".").split("."))
T = TypeVar("T")


class Event:
    """``threading.Event``'s ``set``/``is_set``/``wait`` on ``_thread`` locks: ``_lock`` held
    while unset (a waiter passes through it), ``_set`` the state, changed under ``_guard``
    (so is_set() stays True while a waiter passes, and a second set() releases nothing)."""

    __slots__ = ("_lock", "_guard", "_set")

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._lock.acquire()
        self._guard = _thread.allocate_lock()
        self._set = False

    def set(self) -> None:
        with self._guard:
            if not self._set:
                self._set = True
                self._lock.release()

    def is_set(self) -> bool:
        return self._set

    def wait(self) -> None:
        """Until set (interruptible, like ``threading.Event.wait``)."""
        if not self._set:
            with self._lock:
                pass


def check_name(name: str) -> str:
    """A valid namespace name: letters, digits, '_', '.', '-' (no '/', no '..')."""
    if not isinstance(name, str) or not _valid_name(name) or name in (".", ".."):
        raise InvalidArgument(f"invalid namespace name {name!r}: use 1-255 letters, digits, "
                              "'_', '.', '-', not starting with '.' or '-'")
    return name


def run_in(path: str | None, fn: Callable[[], T], *, thread: bool = False,
           cancel: Event | None = None) -> T:
    """Run ``fn`` inside the namespace at ``path`` on a helper thread that ends afterwards.

    ``path=None`` runs ``fn`` here, or on a fresh thread with ``thread=True`` (for unshare).
    Interrupted while waiting (Ctrl-C), the caller sets ``cancel`` (for ``fn`` to stop at
    its next check), waits for the helper to finish (further signals are held meanwhile),
    then raises: nothing runs on in the background after this returns or raises.
    """
    if path is None and not thread:
        return fn()
    box: dict[str, object] = {}

    def target() -> None:
        try:
            if path is not None:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                try:
                    _native.setns(fd, CLONE_NEWNET, path)
                finally:
                    os.close(fd)
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc
        finally:
            done.set()

    # an Event set as the helper's last step, not a join (a bare ``_thread`` has none)
    done = Event()
    started = False
    try:
        with deferred():              # a signal held here is raised on leaving the block
            _thread.start_new_thread(target, ())
            started = True
        done.wait()
    except BaseException:
        with deferred():
            if cancel is not None:
                cancel.set()
            if started:
                done.wait()
        raise
    faults.point("netns run")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


class NetNS:
    """A network namespace: by name (/run/netns/NAME), path, pid, or fd."""

    __slots__ = ("path", "name", "_key")

    def __init__(self, path: str, name: str | None = None) -> None:
        self.path = path
        self.name = name
        self._key: tuple[int, int] | None = None

    def __repr__(self) -> str:
        return f"NetNS({self.name or self.path!r})"

    def identity(self) -> "tuple[int, int] | str":
        """What equality and hashing compare: the namespace's (device, inode), read the first
        time it exists and then kept; the path while it does not exist (yet)."""
        if self._key is None:
            try:
                st = os.stat(self.path)
            except OSError:
                return os.path.normpath(self.path)
            self._key = (st.st_dev, st.st_ino)
        return self._key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NetNS) and self.identity() == other.identity()

    def __hash__(self) -> int:
        return hash(self.identity())

    # -- finding namespaces -------------------------------------------------------------
    @classmethod
    def named(cls, name: str) -> Self:
        """The named namespace (whether or not it exists yet)."""
        return cls(os.path.join(RUN_DIR, check_name(name)), name)

    @classmethod
    def open(cls, ref: "str | int | os.PathLike[str] | NetNS") -> Self:
        """An existing namespace from a name, a path, a pid (int) or another NetNS."""
        if isinstance(ref, cls):
            ns = ref
        elif isinstance(ref, NetNS):
            ns = cls(ref.path, ref.name)
        elif isinstance(ref, int):
            ns = cls.from_pid(ref)
        elif isinstance(ref, os.PathLike) or (isinstance(ref, str) and "/" in ref):
            ns = cls(validate.netns_path(ref))
        else:
            ns = cls.named(ref)
        if not os.path.exists(ns.path):
            raise FileNotFoundError(errno.ENOENT, "no such network namespace", ns.name or ns.path)
        validate.check_netns_file(ns.path)
        return ns

    @classmethod
    def from_pid(cls, pid: int) -> Self:
        if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
            raise InvalidArgument(f"invalid pid {pid!r}")
        return cls(f"/proc/{pid}/ns/net")

    @classmethod
    def from_fd(cls, fd: int) -> Self:
        """The namespace an open file descriptor refers to (the fd stays the caller's)."""
        return cls(f"/proc/{os.getpid()}/fd/{int(fd)}")

    @classmethod
    def current(cls) -> Self:
        return cls("/proc/thread-self/ns/net")

    @staticmethod
    def list() -> list[str]:
        """Names of the namespaces in /run/netns (ours and ``ip netns``'s)."""
        try:
            return sorted(os.listdir(RUN_DIR))
        except FileNotFoundError:
            return []

    @staticmethod
    def exists(name: str) -> bool:
        return os.path.exists(os.path.join(RUN_DIR, check_name(name)))

    # -- lifecycle ----------------------------------------------------------------------
    @classmethod
    def create(cls, name: str) -> Self:
        """A new named namespace, as ``ip netns add`` makes it."""
        return cls.create_many([name])[0]

    @classmethod
    def create_many(cls, names: Sequence[str]) -> "builtins.list[Self]":
        """New named namespaces, made one after the other on a single helper thread.

        All names are checked first; if one cannot be made, or the caller is interrupted
        (Ctrl-C), those made before it are removed again and the error is raised; the
        helper makes no more after the interruption. An empty mount point left by a process
        killed half-way is taken over.
        """
        return [ns for ns, _ in cls.create_many_with(names, _nothing, _nothing)]

    @classmethod
    def create_many_with(cls, names: Sequence[str], inside: Callable[[Self], T],
                         discard: Callable[[T], None]) -> "builtins.list[tuple[Self, T]]":
        """``create_many``, and right after making each namespace ``inside(ns)`` runs on the
        same helper thread while it is still in that namespace (e.g. to open a socket there:
        no second thread, no setns). One (namespace, result) pair per name, in order.

        All or nothing, as ``create_many``: if making a namespace or ``inside`` fails, or the
        caller is interrupted, ``discard`` is called on every result made so far, those
        namespaces are removed again, and the error is raised.
        """
        def make(ns: Self) -> T:
            _make_mount_point(ns)
            try:
                _native.unshare(CLONE_NEWNET)
                _check(_native.mount("/proc/thread-self/ns/net", ns.path, MS_BIND), "bind mount", ns.path)
                return inside(ns)
            except BaseException:
                _remove_mount_point(ns.path)
                raise
        return cls._create_many_by(names, make, discard)

    @classmethod
    def _create_many_by(cls, names: Sequence[str], make: Callable[[Self], T],
                       discard: Callable[[T], None]) -> "builtins.list[tuple[Self, T]]":
        """``create_many_with`` where ``make(ns)`` makes each namespace itself, on the helper
        thread, leaving the thread inside it (mount point, unshare, bind mount and what lives
        inside, e.g. ``socket.made_with_socket``'s one C call): on failure it removes what it
        made of its namespace and raises; the others are rolled back as in create_many_with."""
        spaces = [cls.named(n) for n in names]
        if len({ns.path for ns in spaces}) != len(spaces):
            raise InvalidArgument("create_many: a name is given twice")
        _prepare_run_dir()
        made: builtins.list[tuple[Self, T]] = []

        def make_all() -> None:
            for ns in spaces:
                if stop.is_set():        # the caller was interrupted: make no more
                    return
                made.append((ns, make(ns)))
                faults.point("netns create")

        stop = Event()                # set when the caller is interrupted
        try:
            run_in(None, make_all, thread=True, cancel=stop)
        except BaseException:
            with deferred():
                remove_created(made, discard)
            raise
        return made

    def delete(self) -> None:
        """Remove a named namespace (its devices go when the last user leaves): the bind
        mount at /run/netns/NAME and its file, as ``ip netns del`` (umount + unlink, no
        more system calls). Only a NetNS whose path is that of its valid name is deleted."""
        name = self.name
        if name is None:
            raise InvalidArgument(f"{self.path} is not a named namespace")
        if self.path != RUN_DIR + "/" + name or not _valid_name(name):
            raise InvalidArgument(f"{self.path} is not the path of a namespace named {name!r}")
        if not _remove_mount_point(self.path):
            raise FileNotFoundError(errno.ENOENT, "no such network namespace", name)

    @staticmethod
    def delete_many(spaces: "Sequence[NetNS]") -> None:
        """``delete`` each named namespace, in one C call (umount + unlink each, the floor's
        two system calls, with no Python per namespace). All are checked first (nothing is
        deleted if one is not a named namespace); then every one that can be is deleted, and
        FileNotFoundError names those that did not exist (another error: the first one).
        Each umount waits for an RCU grace period: when they turn slow (busy CPUs), the C call
        shares the rest among up to 8 threads of its own, joined before it returns, so that
        their waits overlap (``_native.netns_del_many``)."""
        spaces = list(spaces)
        names = [ns.name if isinstance(ns, NetNS) else None for ns in spaces]
        paths = [ns.path for ns in spaces] if None not in names else []
        if not paths or not _valid_names(names) or paths != [RUN_DIR + "/" + n for n in names]:  # type: ignore[arg-type, operator]
            for ns in spaces:                   # the first at fault, named as delete() would
                if not isinstance(ns, NetNS):
                    raise InvalidArgument(f"delete_many: expected NetNS objects, not {ns!r}")
                name = ns.name
                if name is None:
                    raise InvalidArgument(f"{ns.path} is not a named namespace")
                if ns.path != RUN_DIR + "/" + name or not _valid_name(name):
                    raise InvalidArgument(f"{ns.path} is not the path of a namespace named {name!r}")
            paths = [ns.path for ns in spaces]
        errs = _native.netns_del_many(paths, MNT_DETACH | UMOUNT_NOFOLLOW)
        if not errs:
            return
        missing = [ns.name or ns.path for ns, e in zip(spaces, errs) if e == -errno.ENOENT]
        other = next(((ns, e) for ns, e in zip(spaces, errs) if e and e != -errno.ENOENT), None)
        if other is not None:
            _check(other[1], "delete", other[0].path)
        raise FileNotFoundError(errno.ENOENT, "no such network namespace", ", ".join(map(str, missing)))

    # -- using it -----------------------------------------------------------------------
    def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` inside this namespace on a helper thread."""
        return run_in(self.path, fn)

    def inode(self) -> int:
        return os.stat(self.path).st_ino

    def sysctl(self, key: str) -> str:
        """Read a net.* sysctl of this namespace, e.g. ``net.ipv4.ip_forward``."""
        path = _sysctl_path(key)
        return self.run(lambda: _read(path))

    def set_sysctl(self, key: str, value: str | int) -> None:
        """Write a net.* sysctl of this namespace only."""
        path = _sysctl_path(key)
        text = validate.sysctl_value(value, key)

        def write() -> None:
            with open(path, "w") as f:
                f.write(text)

        self.run(write)


def _nothing(_: object) -> None:
    """What create_many runs inside each new namespace, and discards."""


def remove_created(made: "Sequence[tuple[NetNS, T]]", discard: Callable[[T], None]) -> None:
    """Roll back create_many_with: discard every result, remove every namespace (each
    removed even when a discard raises; the first error is raised at the end)."""
    first: BaseException | None = None
    for ns, value in made:
        try:
            discard(value)
        except BaseException as exc:
            first = first or exc
        _remove_mount_point(ns.path)
    if first is not None:
        raise first


_run_dir_ready = False
_run_dir_lock = _thread.allocate_lock()


def _prepare_run_dir() -> None:
    """/run/netns exists and is a shared mount (so bind mounts propagate), as ip does.

    Done once per process: with MS_REC the kernel walks every mount below /run/netns, so
    repeating it for each new namespace would cost O(n) each time.
    """
    global _run_dir_ready
    with _run_dir_lock:
        if _run_dir_ready and os.path.isdir(RUN_DIR):
            return
        _make_run_dir_shared()
        _run_dir_ready = True


def _make_run_dir_shared() -> None:
    os.makedirs(RUN_DIR, 0o755, exist_ok=True)
    rc = _native.mount("none", RUN_DIR, MS_SHARED | MS_REC)
    if rc == -errno.EINVAL:
        _check(_native.mount(RUN_DIR, RUN_DIR, MS_BIND | MS_REC), "bind mount", RUN_DIR)
        rc = _native.mount("none", RUN_DIR, MS_SHARED | MS_REC)
    _check(rc, "make shared", RUN_DIR)


def _make_mount_point(ns: NetNS) -> None:
    """The empty file a namespace is bound to. One left by a process killed before its
    mount (not on nsfs, where every namespace file lives) is taken over."""
    try:
        os.close(os.open(ns.path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))
    except FileExistsError:
        if os.stat(ns.path).st_dev == os.stat("/proc/self/ns/net").st_dev:
            raise FileExistsError(errno.EEXIST, "network namespace exists", ns.name) from None


def _remove_mount_point(path: str) -> bool:
    """Unmount and remove a namespace file (a symlink there is not followed); False when
    there was none (umount2 says ENOENT: no stat first)."""
    rc = _native.umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW)
    if rc == -errno.ENOENT:
        return False
    if rc < 0 and rc != -errno.EINVAL:          # EINVAL: a file, not (or no longer) mounted
        _check(rc, "umount", path)
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def _sysctl_path(key: str) -> str:
    if not _valid_sysctl_key(key) or not key.startswith("net.") or ".." in key:
        raise InvalidArgument(f"invalid sysctl {key!r}: expected net.<path>, e.g. net.ipv4.ip_forward")
    # dots separate levels; '/' stands for a dot inside a name (net.ipv4.conf.eth0/30.forwarding)
    return "/proc/sys/" + key.translate(str.maketrans("./", "/."))


def _read(path: str) -> str:
    """A sysctl's value (not pathlib: it costs a CNI plugin's start-up ~1.5 ms of imports)."""
    with open(path) as f:
        return f.read().strip()
