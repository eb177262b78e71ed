"""Run-time stand-ins for the ``typing`` names pynetlink's modules use outside annotations.

``typing`` costs ~2 ms to import (it pulls in ``contextlib``, ``collections.abc`` and more),
paid by every short-lived process, such as a CNI plugin run four times per container. With
``from __future__ import annotations`` annotations are never evaluated, so a module imports
the real names only for type checkers::

    TYPE_CHECKING = False
    if TYPE_CHECKING:
        from typing import Generic, TypeVar, Union
    else:
        from .._lighttyping import Generic, TypeVar, Union

What remains at run time: type variables and aliases (defined, never inspected), generic
and protocol base classes (subscriptable, nothing more), ``cast`` and ``overload``.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any as _Any


class _Form:
    """A type form at run time: subscripting gives the same object (an alias's value is only
    ever read by type checkers)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __getitem__(self, item: _Any) -> _Form:
        return self

    def __or__(self, other: _Any) -> _Form:
        return self

    __ror__ = __or__

    def __call__(self, *args: _Any, **kw: _Any) -> _Form:   # TypeVar("T"), ParamSpec("P")
        return _Form(args[0] if args and isinstance(args[0], str) else self.name)

    def __repr__(self) -> str:
        return f"<type form {self.name}>"


_NAMES = ("Any", "Union", "Optional", "Literal", "Callable", "Sequence", "Iterable", "Iterator", "Generator",
          "Awaitable", "Concatenate", "TypeVar", "ParamSpec")
(Any, Union, Optional, Literal, Callable, Sequence, Iterable, Iterator, Generator, Awaitable, Concatenate, TypeVar,
 ParamSpec) = (_Form(n) for n in _NAMES)


class Generic:
    """A generic base class at run time: ``Generic[T]`` is this class; subclasses stay
    subscriptable (``Outcome[int]`` is ``Outcome``)."""

    __slots__ = ()

    def __class_getitem__(cls, item: _Any) -> _Any:
        return cls


Protocol = Generic


def cast(typ: _Any, value: _Any) -> _Any:
    return value


def overload(fn: _Any) -> _Any:
    return fn
