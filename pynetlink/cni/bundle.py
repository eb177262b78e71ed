"""The plugin bundle: the compiled code of the modules a plugin process imports, in one file
next to the executables (``pynetlink cni install`` writes it), so a plugin start opens one
file instead of looking up, opening and reading a ``.pyc`` per module (~30 µs each, ~80
modules for a bridge ADD).

The file: the interpreter's bytecode magic number, the index's length (4 bytes, little
endian), the index (marshalled: module name -> source path, is a package, source mtime_ns,
source size, offset and length of its code, its ``__cached__``), then the marshalled code
objects (without docstrings or column positions: ``slim``), each read
(``pread``) and unmarshalled only when imported: reading the whole file into one fresh buffer
costs its page faults (~0.7 ms for 1 MB), a module's read reuses the memory of the previous
one. At run time (``load``) a
finder placed first on ``sys.meta_path`` serves a module from the bundle only while its
source file has the recorded mtime and size (what a ``.pyc`` is checked against); anything
else, an edited source, another interpreter, a missing or unreadable bundle, falls through
to the normal import system, so a stale bundle costs time, never behaviour.
"""
from __future__ import annotations

import marshal
import os
import stat
import sys
from _frozen_importlib import ModuleSpec
from _frozen_importlib_external import MAGIC_NUMBER, cache_from_source

TYPE_CHECKING = False       # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Iterable

NAME = ".pynetlink-cni.bundle"
# what the plugins import (their modules and everything below them that a command loads)
ROOTS = ("pynetlink.cni.bridge", "pynetlink.cni.masq", "pynetlink.cni.hostlocal", "pynetlink.cni.portmap",
         "pynetlink.cni.macvlan", "pynetlink.cni.ipvlan", "pynetlink.nft.ruleset", "pynetlink.rtnl.kinds.bridge",
         "pynetlink.rtnl.kinds.veth", "pynetlink.rtnl.kinds.macvlan", "pynetlink.rtnl.kinds.ipvlan",
         "pynetlink.rtnl.options", "pynetlink.codec.specs.nft", "pynetlink.nft.ops", "pynetlink.nft.messages",
         "pynetlink.cni._uapi")        # bridgedel's numbers: only its DEL imports them

# what a plugin does not import (the installing process may have)
NOT_BUNDLED = ("pynetlink.cli", "pynetlink.cni.install", "pynetlink.cni.bundle", "pynetlink.cni.slim")
# the bridge plugin's raw masquerade (cni/masqraw.py), imported where ADD and DEL use it
LAZY_ROOTS = ("pynetlink.cni.masqraw", "pynetlink.cni._masqtable")


def entries(names: Iterable[str]) -> dict[str, tuple[str, bool, int, int, bytes]]:
    """The pynetlink modules among ``names`` (imported): source path, is a package, mtime_ns,
    size and marshalled code (compiled here, slim: see ``slim``)."""
    from .slim import compile_slim
    out = {}
    for name in sorted(names):
        mod = sys.modules.get(name)
        origin = getattr(getattr(mod, "__spec__", None), "origin", None)
        if not (name == "pynetlink" or name.startswith("pynetlink.")) or name.startswith(NOT_BUNDLED) \
                or not origin or not origin.endswith(".py"):
            continue
        st = os.stat(origin)
        with open(origin, "rb") as f:
            code = compile_slim(f.read(), origin)
        out[name] = (origin, hasattr(mod, "__path__"), st.st_mtime_ns, st.st_size, marshal.dumps(code))
    return out


def write(directory: str | os.PathLike[str]) -> str:
    """Write the bundle of the plugins' modules (imported here) into ``directory``."""
    from .._importing import import_module
    for root in ROOTS + LAZY_ROOTS:
        import_module(root)
    path = os.path.join(directory, NAME)
    index, blob = {}, bytearray()
    for name, (origin, package, mtime, size, code) in entries(list(sys.modules)).items():
        # the module's __cached__ too: computing it at each import is ~10 us of path handling
        index[name] = (origin, package, mtime, size, len(blob), len(code), cache_from_source(origin))
        blob += code
    head = marshal.dumps(index)
    replace_file(path, MAGIC_NUMBER + len(head).to_bytes(4, "little") + head + blob, 0o644)
    return path


def replace_file(path: str | os.PathLike[str], data: bytes, mode: int) -> None:
    """Replace ``path`` at once (a reader never sees half of it) by a new file of ``mode``
    whatever the umask, written without following or reusing a file planted at its temporary
    name: plugins run as root what these files hold."""
    head, name = os.path.split(os.fspath(path))
    tmp = os.path.join(head, f".{name}.{os.getpid()}.tmp")
    try:
        os.unlink(tmp)                          # left by a killed install of the same pid
    except FileNotFoundError:
        pass
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    with open(fd, "wb") as f:
        os.fchmod(fd, mode)
        f.write(data)
    os.replace(tmp, path)


class BundleFinder:
    """A meta path finder and loader serving the bundle's modules whose sources are unchanged."""

    def __init__(self, modules: dict[str, tuple[str, bool, int, int, int, int, str]], fd: int, base: int) -> None:
        self.modules, self.fd, self.base = modules, fd, base     # fd: the bundle, open (close-on-exec)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        entry = self.modules.get(name)
        if entry is None:
            return None
        origin, package, mtime, size, _, _, cached = entry
        try:
            st = os.stat(origin)
        except OSError:
            return None
        if st.st_mtime_ns != mtime or st.st_size != size:
            return None
        # what spec_from_file_location makes, without its path handling; a loader by
        # create_module/exec_module (importlib.abc.Loader is not imported here)
        spec = ModuleSpec(name, self, origin=origin, is_package=package)  # type: ignore[arg-type]
        spec.has_location, spec.cached = True, cached
        if package:
            spec.submodule_search_locations = [os.path.dirname(origin)]
        return spec

    def create_module(self, spec: Any) -> None:
        return None                              # the default module object

    def exec_module(self, module: Any) -> None:
        off, n = self.modules[module.__name__][4:6]
        code = os.pread(self.fd, n, self.base + off)
        if len(code) != n:
            raise ImportError(f"{module.__name__}: the plugin bundle was cut short (reinstall the plugins)")
        exec(marshal.loads(code), module.__dict__)


def load(path: str) -> bool:
    """Put the bundle at ``path`` first on ``sys.meta_path``; False (nothing done) if it is
    missing, unreadable, writable by others than its owner, owned by another user than root or
    this one, or made by another Python."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_uid not in (0, os.geteuid()) or st.st_mode & 0o022:
        os.close(fd)                            # code run as root only from a file only root (or we) can write
        return False
    try:
        n = len(MAGIC_NUMBER)
        head = os.pread(fd, n + 4, 0)
        size = int.from_bytes(head[n:], "little")
        modules = marshal.loads(os.pread(fd, size, n + 4)) if head[:n] == MAGIC_NUMBER and len(head) == n + 4 else None
    except (OSError, ValueError, EOFError, TypeError):
        modules = None
    if not isinstance(modules, dict) or not all(isinstance(e, tuple) and len(e) == 7 for e in modules.values()):
        os.close(fd)                            # not this version's index (written by another pynetlink)
        return False
    sys.meta_path.insert(0, BundleFinder(modules, fd, n + 4 + size))
    return True
