"""``record``: the part of ``@dataclass`` pynetlink uses, at a fraction of its import cost.

A short-lived process (a CNI plugin runs four times per container) pays for every import:
``dataclasses`` pulls in ``inspect``, ``ast``, ``dis`` and ``tokenize`` (~5 ms), and each
decorated class costs ~0.3 ms more. ``record`` reads the class's annotations (strings, under
``from __future__ import annotations``) and defaults and writes ``__init__``, ``__repr__``,
``__eq__`` and, for ``frozen``, ``__hash__`` and the read-only ``__setattr__``, with the
dataclass semantics pynetlink relies on: inherited fields first, ``_: KW_ONLY`` and
``kw_only=True``, ``field(default=, default_factory=, compare=)``, ``__post_init__``,
``ClassVar`` annotations skipped, ``init=False`` keeping a hand-written ``__init__``.
Type checkers see it as a dataclass (PEP 681 ``dataclass_transform``).
"""
from __future__ import annotations

TYPE_CHECKING = False           # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any, Callable, TypeVar, dataclass_transform, overload
    T = TypeVar("T")

_MISSING: Any = type("_MISSING", (), {"__repr__": lambda self: "MISSING"})()


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen record."""


class Field:
    """A field's options (``field(...)``); ``meta`` is free for the class's own use."""

    __slots__ = ("name", "default", "default_factory", "compare", "kw_only", "meta")

    def __init__(self, default: Any = _MISSING, default_factory: Any = _MISSING, compare: bool = True,
                 kw_only: Any = _MISSING, meta: Any = None) -> None:
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.compare = compare
        self.kw_only = kw_only
        self.meta = meta

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


def field(*, default: Any = _MISSING, default_factory: Any = _MISSING, compare: bool = True,
          kw_only: bool = False, meta: Any = None) -> Any:
    """A field with options, as ``dataclasses.field``."""
    return Field(default, default_factory, compare, kw_only or _MISSING, meta)


def fields(obj: Any) -> tuple[Field, ...]:
    """The record's fields (of a class or an instance), in ``__init__`` order."""
    return type(obj).__record_fields__ if not isinstance(obj, type) else obj.__record_fields__  # type: ignore


def asdict(obj: Any) -> dict[str, Any]:
    """The record's fields as a dict, records, lists, tuples and dicts inside converted too
    (as ``dataclasses.asdict``)."""
    def conv(v: Any) -> Any:
        if hasattr(type(v), "__record_fields__"):
            return {f.name: conv(getattr(v, f.name)) for f in type(v).__record_fields__}
        if isinstance(v, (list, tuple)):
            return type(v)(conv(x) for x in v)
        if isinstance(v, dict):
            return {conv(k): conv(x) for k, x in v.items()}
        return v
    out: dict[str, Any] = conv(obj)
    return out


def replace(obj: T, **changes: Any) -> T:
    """A copy of ``obj`` with ``changes`` (``__init__`` runs again, so validation too)."""
    cls = type(obj)
    kw = {f.name: getattr(obj, f.name) for f in cls.__record_fields__}  # type: ignore[attr-defined]
    kw.update(changes)
    return cls(**kw)


def _is_classvar(annotation: object) -> bool:
    return isinstance(annotation, str) and annotation.replace("typing.", "").startswith("ClassVar")


def _collect(cls: type, kw_only: bool) -> tuple[Field, ...]:
    inherited: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        for f in getattr(base, "__record_fields__", ()):
            inherited[f.name] = f
    own: dict[str, Field] = {}
    after_marker = kw_only
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if _is_classvar(annotation):
            continue
        if annotation in ("KW_ONLY", "dataclasses.KW_ONLY"):
            after_marker = True
            continue
        value = cls.__dict__.get(name, _MISSING)
        f = value if isinstance(value, Field) else Field(value)
        f.name = name
        if f.kw_only is _MISSING:
            f.kw_only = after_marker
        if isinstance(value, Field):
            if f.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        own[name] = f
    for name in own:
        inherited.pop(name, None)
    return (*inherited.values(), *own.values())


def _init(cls: type, fs: tuple[Field, ...], frozen: bool) -> Any:
    """``__init__`` for the fields: one shared function, nothing compiled per class (``exec`` of
    generated code costs ~0.1 ms per method, more than the whole class otherwise). The
    defaults are copied in with one ``dict.update`` and the keywords with another, after
    one subset test (not a loop of gets per field: a spec of ~20 fields, e.g. a ``Veth``,
    is built once per container)."""
    pos = tuple(f.name for f in fs if not f.kw_only)
    names = frozenset(f.name for f in fs)
    post = getattr(cls, "__post_init__", None)
    name = cls.__qualname__
    # for each number n of positional arguments: the plain defaults of the fields left, the
    # fields left with a default_factory, and those left with no default (required)
    plain, factories, required = [], [], []
    for n in range(len(pos) + 1):
        rest = [f for f in fs if f.name not in pos[:n]]
        plain.append({f.name: f.default for f in rest if f.default is not _MISSING})
        factories.append(tuple((f.name, f.default_factory) for f in rest
                               if f.default is _MISSING and f.default_factory is not _MISSING))
        required.append(tuple(f.name for f in rest if f.default is _MISSING and f.default_factory is _MISSING))

    def __init__(self: Any, *args: Any, **kw: Any) -> None:
        d = self.__dict__
        n = len(args)
        if n:
            if n > len(pos):
                raise TypeError(f"{name}() takes {len(pos)} positional arguments but {n} were given")
            for key, value in zip(pos, args):
                if key in kw:
                    raise TypeError(f"{name}() got multiple values for argument {key!r}")
                d[key] = value
        if kw and not names.issuperset(kw):
            key = next(k for k in kw if k not in names)
            raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")
        for key in required[n]:
            if key not in kw:
                raise TypeError(f"{name}() missing required argument: {key!r}")
        d.update(plain[n])
        for key, factory in factories[n]:
            if key not in kw:
                d[key] = factory()
        d.update(kw)
        if post is not None:
            self.__post_init__()

    return __init__


def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in type(self).__record_fields__)
    return f"{type(self).__qualname__}({shown})"


def _key(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, f.name) for f in type(self).__record_fields__ if f.compare)


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _key(self) == _key(other)


def _hash(self: Any) -> int:
    return hash(_key(self))


def _setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _methods(cls: type, fs: tuple[Field, ...], frozen: bool, init: bool, eq: bool) -> None:
    d = cls.__dict__
    explicit_hash = "__hash__" in d and not (d["__hash__"] is None and "__eq__" in d)
    methods: dict[str, Any] = {"__repr__": _repr}
    if init:
        methods["__init__"] = _init(cls, fs, frozen)
    if eq:
        methods["__eq__"] = _eq
    if frozen:
        methods.update(__setattr__=_setattr, __delattr__=_delattr)
    for name, fn in methods.items():
        if name not in d:               # the class's own method wins, as with @dataclass
            setattr(cls, name, fn)
    if eq and not explicit_hash:
        cls.__hash__ = _hash if frozen else None  # type: ignore[assignment]


def _record(cls: type, frozen: bool, kw_only: bool, init: bool, eq: bool) -> type:
    fs = _collect(cls, kw_only)
    cls.__record_fields__ = fs  # type: ignore[attr-defined]
    cls.__match_args__ = tuple(f.name for f in fs if not f.kw_only)  # type: ignore[attr-defined,misc]
    _methods(cls, fs, frozen, init and "__init__" not in cls.__dict__, eq)
    return cls


if TYPE_CHECKING:
    @overload
    @dataclass_transform(field_specifiers=(field, Field))
    def record(cls: type[T], /, *, frozen: bool = False, kw_only: bool = False, init: bool = True,
               eq: bool = True) -> type[T]: ...

    @overload
    @dataclass_transform(field_specifiers=(field, Field))
    def record(cls: None = None, /, *, frozen: bool = False, kw_only: bool = False, init: bool = True,
               eq: bool = True) -> Callable[[type[T]], type[T]]: ...

    @dataclass_transform(field_specifiers=(field, Field))
    def record(cls: type[T] | None = None, /, *, frozen: bool = False, kw_only: bool = False, init: bool = True,
               eq: bool = True) -> Any: ...
else:
    def record(cls=None, /, *, frozen=False, kw_only=False, init=True, eq=True):
        """Decorate a class as ``@dataclass`` would (the options above only)."""
        if cls is None:
            return lambda c: _record(c, frozen, kw_only, init, eq)
        return _record(cls, frozen, kw_only, init, eq)
