"""PURE: build frozen record instances without the per-field cost of a frozen ``__init__``.

A ``@dataclass(frozen=True, slots=True)`` ``__init__`` stores each field through
``object.__setattr__(self, name, value)`` (a lookup by name per field); the reports, estimates
and plans a client builds per request hold about 100 fields. ``maker(cls)`` returns a
constructor with the same parameters (defaults and default factories included) that fills a
mutable twin of ``cls`` (same slots, in the same order) by plain attribute stores and then makes
it a ``cls`` (``__class__`` assignment: the layouts are identical). The result is an ordinary
``cls``: equality, hashing, ``repr``, pickling, ``dataclasses.fields``/``asdict`` and
immutability are the class's own. Only for classes without ``__post_init__`` (nothing to
validate or derive) whose only base is ``object``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

__all__ = ["maker"]

_T = TypeVar("_T")
_P = ParamSpec("_P")

_FACTORY = object()
"""Default of a parameter whose field has a ``default_factory``: call the factory."""


def maker(cls: Callable[_P, _T]) -> Callable[_P, _T]:
    """A constructor for the frozen, slotted dataclass ``cls`` with ``cls``'s parameters (type
    checkers see them too).

    >>> @dataclasses.dataclass(frozen=True, slots=True)
    ... class Point:
    ...     x: int
    ...     y: int = 0
    >>> make = maker(Point)
    >>> make(1), make(1, y=2) == Point(1, 2), type(make(1)) is Point
    (Point(x=1, y=0), True, True)
    """
    if not isinstance(cls, type) or not dataclasses.is_dataclass(cls):
        raise TypeError(f"maker() needs a dataclass, not {cls!r}")
    fields = dataclasses.fields(cls)
    slots = cls.__dict__.get("__slots__")
    if slots is None or cls.__bases__ != (object,) or hasattr(cls, "__post_init__"):
        raise TypeError(
            f"maker() needs a slotted dataclass based on object without __post_init__: {cls!r}"
        )
    if any(not f.init for f in fields):
        raise TypeError(f"maker() needs every field of {cls.__name__} in __init__")
    scope: dict[str, Any] = {"_cls": cls, "_FACTORY": _FACTORY}
    signature, body = ["self"], []
    for n, f in enumerate(fields):
        if f.default is not dataclasses.MISSING:
            scope[f"_default{n}"] = f.default
            signature.append(f"{f.name}=_default{n}")
        elif f.default_factory is not dataclasses.MISSING:
            scope[f"_factory{n}"] = f.default_factory
            signature.append(f"{f.name}=_FACTORY")
            body.append(f"    if {f.name} is _FACTORY: {f.name} = _factory{n}()")
        else:
            signature.append(f.name)
        body.append(f"    self.{f.name} = {f.name}")
    body.append("    self.__class__ = _cls")
    exec(f"def __init__({', '.join(signature)}):\n" + "\n".join(body), scope)  # as dataclasses do
    twin = type(cls.__name__, (), {"__slots__": slots, "__init__": scope["__init__"]})
    twin.__qualname__ = f"maker({cls.__qualname__})"
    twin.__module__ = cls.__module__
    return cast(Callable[_P, _T], twin)
