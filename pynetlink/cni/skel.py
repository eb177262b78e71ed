"""The CNI protocol (spec 1.1.0) for a plugin: environment, stdin, versions, results, errors.

A plugin executable is two lines (``pynetlink cni install`` writes them)::

    #!/abs/venv/bin/python -I
    from pynetlink.cni.skel import run; run("pynetlink-bridge", fast_exit=True)

``run`` reads ``CNI_COMMAND`` and answers VERSION itself, importing nothing else; for any
other command it imports the plugin's module (``PLUGINS``) and calls its ``plugin()``.

The plugin API (``Plugin``): a class with ``add``, ``delete``, ``check``, ``status`` and ``gc``
taking one ``Request``. ``add`` returns a ``Result`` (a dict in the 1.1.0 shape, with
``interfaces``/``ips``/``routes``/``dns``; an IPAM plugin omits ``interfaces`` and
``ips[].interface``); the skel converts it to the config's ``cniVersion`` (0.3.x/0.4.0 add
``"version": "4"|"6"`` to each ip; fields new in 1.1.0 are dropped below it). The other
commands return ``None``. Failures raise ``CNIError(code, msg, details)``; the skel prints the
spec's error object on stdout and exits 1 (any other exception becomes code 999 with its text).
``req.prev_result`` is the chained ``prevResult`` already in the 1.1.0 shape. The skel has done
before a plugin runs: JSON decoding (6), ``cniVersion`` (1), the ``name`` (7), the environment
a command requires (4), ``CNI_ARGS`` parsing (4: unknown keys refused unless
``IgnoreUnknown=1`` or the plugin lists them in ``Plugin.known_args``), CHECK only from 0.4.0,
STATUS and GC only from 1.1.0 (older versions: a no-op success, as the Go skel does).

    class Macvlan(Plugin):
        def add(self, req: Request) -> Result:
            ...
            return {"interfaces": [...], "ips": [...], "routes": [...], "dns": {}}
    def plugin() -> Plugin: return Macvlan()
"""
from __future__ import annotations

import os
import sys
TYPE_CHECKING = False        # typing itself is not imported at run time (mypy knows the name)

if TYPE_CHECKING:            # ``typing`` is not imported at run time: VERSION stays light
    from typing import Any, Callable, Mapping, NoReturn, Sequence, TextIO

SUPPORTED = ("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")
CURRENT = "1.1.0"
# type name -> module under pynetlink.cni providing plugin()
PLUGINS = {"pynetlink-bridge": "bridge", "pynetlink-host-local": "hostlocal",
           "pynetlink-portmap": "portmap", "pynetlink-macvlan": "macvlan",
           "pynetlink-ipvlan": "ipvlan"}
# type name -> module under pynetlink.cni whose ``start(req)`` the skel calls for a DEL before it
# imports the plugin (what may start before the library loads: bridgedel.py); the plugin
# finds what it returned in ``req.prelude``
PRELUDES = {"pynetlink-bridge": "bridgedel"}
# the reference plugin names ``pynetlink cni install --names reference`` uses
REFERENCE_NAMES = {"pynetlink-bridge": "bridge", "pynetlink-host-local": "host-local",
                   "pynetlink-portmap": "portmap", "pynetlink-macvlan": "macvlan",
                   "pynetlink-ipvlan": "ipvlan"}

# the spec's well-known error codes
INCOMPATIBLE_VERSION = 1
UNSUPPORTED_FIELD = 2
UNKNOWN_CONTAINER = 3
INVALID_ENVIRONMENT = 4
IO_FAILURE = 5
DECODING_FAILURE = 6
INVALID_CONFIG = 7
TRY_AGAIN_LATER = 11
NOT_AVAILABLE = 50
LIMITED_CONNECTIVITY = 51
INTERNAL = 999                       # what the Go skel uses for an error without a code

COMMON_ARGS = frozenset({"IgnoreUnknown", "IP", "MAC", "K8S_POD_NAME", "K8S_POD_NAMESPACE",
                         "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID"})
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_ID_CHARS = _ALNUM | frozenset("_.-")


def valid_id(text: object) -> bool:
    """A container ID or network name: a letter or digit, then letters, digits, ``_.-``."""
    return isinstance(text, str) and text[:1] in _ALNUM and set(text) <= _ID_CHARS

if TYPE_CHECKING:
    Result = dict[str, Any]
else:
    Result = dict


class CNIError(Exception):
    """A failure the runtime sees as the spec's error object."""

    def __init__(self, code: int, msg: str, details: str = "") -> None:
        super().__init__(msg)
        self.code, self.msg, self.details = code, msg, details

    def to_dict(self, version: str) -> dict[str, Any]:
        out: dict[str, Any] = {"cniVersion": version, "code": self.code, "msg": self.msg}
        if self.details:
            out["details"] = self.details
        return out


def vtuple(v: str) -> tuple[int, ...]:
    """``"0.4.0"`` -> ``(0, 4, 0)``; code 6 if it is not a version."""
    try:
        return tuple(int(p) for p in v.split("."))
    except (AttributeError, ValueError):
        raise CNIError(DECODING_FAILURE, f"cniVersion {v!r} is not a version like \"1.1.0\"") from None


class Request:
    """One invocation: the CNI_* environment and the config from stdin."""

    def __init__(self, command: str, container_id: str = "", netns: str = "", ifname: str = "",
                 args: dict[str, str] | None = None, path: tuple[str, ...] = (),
                 config: dict[str, Any] | None = None, stdin: bytes = b"",
                 env: Mapping[str, str] | None = None) -> None:
        self.command, self.container_id, self.netns, self.ifname = command, container_id, netns, ifname
        self.args = args or {}
        self.path = path
        self.config = config or {}
        self.stdin = stdin
        self.env = env or {}
        self.prelude: Any = None

    @property
    def version(self) -> str:
        return str(self.config.get("cniVersion", CURRENT))

    @property
    def name(self) -> str:
        return str(self.config.get("name", ""))

    @property
    def runtime_config(self) -> dict[str, Any]:
        rc = self.config.get("runtimeConfig") or {}
        if not isinstance(rc, dict):
            raise CNIError(INVALID_CONFIG, "runtimeConfig must be a JSON object")
        return rc

    @property
    def prev_result(self) -> Result | None:
        prev = self.config.get("prevResult")
        if prev is None:
            return None
        if not isinstance(prev, dict):
            raise CNIError(DECODING_FAILURE, "prevResult must be a JSON object")
        return from_result(prev)

    @property
    def valid_attachments(self) -> set[tuple[str, str]]:
        """GC's ``cni.dev/valid-attachments`` as (containerID, ifname) pairs."""
        items = self.config.get("cni.dev/valid-attachments") or []
        try:
            return {(str(a["containerID"]), str(a["ifname"])) for a in items}
        except (TypeError, KeyError):
            raise CNIError(DECODING_FAILURE, "cni.dev/valid-attachments must be a list of "
                           "{\"containerID\": ..., \"ifname\": ...} objects") from None


class Plugin:
    """Base class: override what the plugin does; the defaults succeed doing nothing."""

    known_args: frozenset[str] = frozenset()     # CNI_ARGS keys besides COMMON_ARGS

    def add(self, req: Request) -> Result:
        raise CNIError(INTERNAL, "ADD is not implemented by this plugin")

    def delete(self, req: Request) -> None:
        return None

    def check(self, req: Request) -> None:
        return None

    def status(self, req: Request) -> None:
        return None

    def gc(self, req: Request) -> None:
        return None


# -- results --------------------------------------------------------------------------------
_IFACE_11 = ("mtu", "socketPath", "pciID")
_ROUTE_11 = ("mtu", "advmss", "priority", "table", "scope")


def from_result(res: Mapping[str, Any]) -> Result:
    """Any supported version's result -> the 1.1.0 shape (``ips[].version`` dropped)."""
    out: Result = {k: v for k, v in res.items() if k != "cniVersion"}
    if "ips" in res:
        out["ips"] = [{k: v for k, v in ip.items() if k != "version"} for ip in res["ips"] or []]
    return out


def to_result(res: Mapping[str, Any], version: str) -> Result:
    """The 1.1.0-shaped ``res`` in the shape of ``version``."""
    v = vtuple(version)
    out: Result = {"cniVersion": version}
    if res.get("interfaces") is not None:
        ifaces = [dict(i) for i in res["interfaces"]]
        if v < (1, 1, 0):
            ifaces = [{k: x for k, x in i.items() if k not in _IFACE_11} for i in ifaces]
        out["interfaces"] = ifaces
    ips = []
    for ip in res.get("ips") or []:
        ip = dict(ip)
        if v < (1, 0, 0):
            ip = {"version": "6" if ":" in ip["address"] else "4", **ip}
        ips.append(ip)
    out["ips"] = ips
    routes = [dict(r) for r in res.get("routes") or []]
    if v < (1, 1, 0):
        routes = [{k: x for k, x in r.items() if k not in _ROUTE_11} for r in routes]
    if routes:
        out["routes"] = routes
    out["dns"] = dict(res.get("dns") or {})
    return out


# -- input ----------------------------------------------------------------------------------
def parse_cni_args(text: str, known: frozenset[str], strict: bool = True) -> dict[str, str]:
    """``"IgnoreUnknown=1;IP=10.0.0.5"`` -> dict; unknown keys refused unless IgnoreUnknown.
    Not ``strict`` (DEL, GC, STATUS): nothing is refused, malformed pairs are skipped."""
    out: dict[str, str] = {}
    for part in filter(None, text.split(";")):
        key, sep, value = part.partition("=")
        if (not sep or not key) and not strict:
            continue
        if not sep or not key:
            raise CNIError(INVALID_ENVIRONMENT, f"CNI_ARGS: {part!r} is not KEY=VALUE",
                           f"CNI_ARGS={text!r}: pairs must be KEY=VALUE separated by ';'")
        out[key] = value
    ignore = out.get("IgnoreUnknown", "").lower() in ("1", "true")
    unknown = sorted(set(out) - COMMON_ARGS - known)
    if unknown and not ignore and strict:
        raise CNIError(INVALID_ENVIRONMENT, f"CNI_ARGS: unknown key(s) {', '.join(unknown)}",
                       "add IgnoreUnknown=1 to CNI_ARGS to ignore keys this plugin does not use")
    return out


_NEEDS = {"ADD": ("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"),
          "CHECK": ("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"),
          "DEL": ("CNI_CONTAINERID", "CNI_IFNAME"), "STATUS": (), "GC": ()}


def _check_env(command: str, env: Mapping[str, str]) -> None:
    missing = [k for k in _NEEDS[command] if not env.get(k)]
    if missing:
        raise CNIError(INVALID_ENVIRONMENT, f"{command} needs {', '.join(missing)} in the environment",
                       f"missing or empty: {', '.join(missing)}")
    cid = env.get("CNI_CONTAINERID", "")
    if "CNI_CONTAINERID" in _NEEDS[command] and not valid_id(cid):
        raise CNIError(INVALID_ENVIRONMENT, f"CNI_CONTAINERID {cid!r} is invalid",
                       "it must start with a letter or digit, then letters, digits, '_', '.', '-'")
    ifname = env.get("CNI_IFNAME", "")
    if "CNI_IFNAME" in _NEEDS[command] and (len(ifname) > 15 or ifname in (".", "..")
                                           or any(c in ifname for c in "/: \t\n")):
        raise CNIError(INVALID_ENVIRONMENT, f"CNI_IFNAME {ifname!r} is not a valid interface name",
                       "at most 15 characters, no '/', ':' or whitespace")


def decode_config(stdin: bytes) -> dict[str, Any]:
    """The stdin config: a JSON object with a supported ``cniVersion`` (codes 6, 1)."""
    try:
        from . import jsonlite as json      # json's results without its import cost
        config = json.loads(stdin)
    except (ValueError, UnicodeDecodeError) as e:
        raise CNIError(DECODING_FAILURE, f"the network config on stdin is not valid JSON: {e}") from None
    if not isinstance(config, dict):
        raise CNIError(DECODING_FAILURE, "the network config on stdin must be a JSON object")
    version = config.get("cniVersion")
    if not isinstance(version, str):
        raise CNIError(DECODING_FAILURE, "the network config has no \"cniVersion\" string")
    if version not in SUPPORTED:
        vtuple(version)
        raise CNIError(INCOMPATIBLE_VERSION, f"incompatible CNI versions: config is {version!r}, "
                       f"plugin supports {list(SUPPORTED)}")
    return config


def request(command: str, env: Mapping[str, str], stdin: bytes) -> Request:
    """Validate the environment and stdin of a non-VERSION command into a ``Request``
    (``args`` still unparsed: that needs the plugin's ``known_args``)."""
    config = decode_config(stdin)
    _check_env(command, env)
    name = config.get("name")
    if command != "STATUS" and not valid_id(name):
        raise CNIError(INVALID_CONFIG, f"network name {name!r} is invalid",
                       "\"name\" must start with a letter or digit, then letters, digits, '_', '.', '-'")
    return Request(command=command, container_id=env.get("CNI_CONTAINERID", ""),
                   netns=env.get("CNI_NETNS", ""), ifname=env.get("CNI_IFNAME", ""),
                   path=tuple(p for p in env.get("CNI_PATH", "").split(os.pathsep) if p),
                   config=config, stdin=stdin, env=env)


# -- the entry point ------------------------------------------------------------------------
def _emit(out: TextIO, obj: Mapping[str, Any]) -> None:
    if set(obj) == {"cniVersion", "supportedVersions"} and _plain_version(obj["cniVersion"]):
        out.write(VERSION_ANSWER % obj["cniVersion"])          # VERSION: no json import
    else:
        from . import jsonlite as json      # json's results without its import cost
        out.write(json.dumps(obj, indent=1))
        out.write("\n")
    out.flush()


VERSION_ANSWER = '{\n "cniVersion": "%s",\n "supportedVersions": [' + ", ".join(f'"{v}"' for v in SUPPORTED) + ']\n}\n'


def _plain_version(v: object) -> bool:
    return isinstance(v, str) and 0 < len(v) < 16 and set(v) <= set("0123456789.")


def _quick_version(text: bytes) -> str | None:
    """``cniVersion`` of a small flat ``{"cniVersion": "1.0.0"}`` without importing json;
    None when the input is anything else (then json decides)."""
    if not (text.startswith(b"{") and text.endswith(b"}")) or text.count(b'"cniVersion"') != 1 or b"\\" in text:
        return None
    rest = text.split(b'"cniVersion"', 1)[1].lstrip()
    if not rest.startswith(b":"):
        return None
    rest = rest[1:].lstrip()
    if not rest.startswith(b'"'):
        return None
    value = rest[1:].split(b'"', 1)[0].decode("ascii", "replace")
    return value if _plain_version(value) and text.count(b"{") == 1 and text.count(b"}") == 1 else None


def _version_answer(stdin: bytes) -> dict[str, Any]:
    version = CURRENT
    text = stdin.strip()
    quick = _quick_version(text) if text else None
    if quick is not None:
        version = quick
    elif text:
        from . import jsonlite as json      # json's results without its import cost
        try:
            given = json.loads(text).get("cniVersion")
        except (ValueError, AttributeError, UnicodeDecodeError):
            raise CNIError(DECODING_FAILURE, "VERSION: stdin is not a JSON object") from None
        if isinstance(given, str):
            version = given
    return {"cniVersion": version, "supportedVersions": list(SUPPORTED)}


def dispatch(name: str, env: Mapping[str, str], stdin: bytes,
             load: Callable[[str], Plugin] | None = None) -> Result | None:
    """Run one command of plugin ``name``; returns what to print (None: nothing)."""
    command = env.get("CNI_COMMAND", "")
    if command == "VERSION":
        return _version_answer(stdin)
    if command not in _NEEDS:
        raise CNIError(INVALID_ENVIRONMENT, f"CNI_COMMAND {command!r} is not one of "
                       "ADD, DEL, CHECK, STATUS, GC, VERSION")
    config = decode_config(stdin)
    v = vtuple(config["cniVersion"])
    if command == "CHECK" and v < (0, 4, 0):
        raise CNIError(INCOMPATIBLE_VERSION, f"config version {config['cniVersion']} does not allow CHECK",
                       "CHECK exists from cniVersion 0.4.0")
    if command in ("STATUS", "GC") and v < (1, 1, 0):
        return None                                   # as the Go skel: not in this version
    req = request(command, env, stdin)
    if command == "DEL" and name in PRELUDES and load is None:
        from .._importing import import_module
        req.prelude = import_module(f"pynetlink.cni.{PRELUDES[name]}").start(req)
    plugin = (load or load_plugin)(name)
    req.args = parse_cni_args(env.get("CNI_ARGS", ""), plugin.known_args, strict=command in ("ADD", "CHECK"))
    if command == "ADD":
        return to_result(plugin.add(req), req.version)
    {"DEL": plugin.delete, "CHECK": plugin.check, "STATUS": plugin.status, "GC": plugin.gc}[command](req)
    return None


def load_plugin(name: str) -> Plugin:
    """Import the module of plugin type ``name`` and make its plugin."""
    from .._importing import import_module
    module = PLUGINS.get(name)
    if module is None:
        raise CNIError(INVALID_CONFIG, f"no pynetlink CNI plugin is called {name!r}",
                       f"known: {', '.join(sorted(PLUGINS))}")
    return import_module(f"pynetlink.cni.{module}").plugin()  # type: ignore[no-any-return]


def error_version(stdin: bytes) -> str:
    """The cniVersion to put in an error object: the config's if readable and supported."""
    try:
        from . import jsonlite as json      # json's results without its import cost
        v = json.loads(stdin).get("cniVersion")
        return v if v in SUPPORTED else CURRENT
    except Exception:
        return CURRENT


def run(name: str, argv: Sequence[str] | None = None, *, fast_exit: bool = False,
        bundle: str | None = None) -> NoReturn:
    """The main of plugin ``name``: read env and stdin, answer on stdout, exit.

    ``fast_exit`` (what the installed executables use): the process is short-lived, so no
    cyclic garbage collection while it imports and works, and it ends with ``os._exit``
    once stdout is flushed and the ``atexit`` handlers ran, skipping the interpreter's
    teardown (~4 ms each, of a ~5 ms interpreter start). With ``fast_exit``, a command other
    than VERSION first runs ``startup.prepare`` (``bundle``: the path of the plugin bundle,
    cni/bundle.py, which ``pynetlink cni install`` writes next to the executables).
    """
    if fast_exit:
        import gc
        gc.disable()
        if os.environ.get("CNI_COMMAND") != "VERSION":
            from .startup import prepare
            prepare(bundle)
    code = _main(name)
    if fast_exit:
        import atexit
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise SystemExit(code)


def _main(name: str) -> int:
    env = os.environ
    if env.get("CNI_COMMAND", "") == "" and sys.stdin.isatty():
        sys.stderr.write(f"{name}: a CNI plugin (spec 1.1.0, versions {', '.join(SUPPORTED)}); "
                         "run it with CNI_COMMAND and the network config on stdin\n")
        return 1
    stdin = b""
    try:
        stdin = sys.stdin.buffer.read()
        out = dispatch(name, env, stdin)
    except CNIError as e:
        _emit(sys.stdout, e.to_dict(error_version(stdin)))
        return 1
    except Exception as e:  # noqa: BLE001 - a plugin must answer with an error object
        err = CNIError(INTERNAL, f"{name}: {type(e).__name__}: {e}")
        _emit(sys.stdout, err.to_dict(error_version(stdin)))
        return 1
    if out is not None:
        _emit(sys.stdout, out)
    return 0
