"""PURE: build frozen record instances without the per-field cost of a frozen ``__init__``.

A ``@dataclass(frozen=True, slots=True)`` ``__init__`` stores each field through
``object.__setattr__(self, name, value)`` (a lookup by name per field, about 0.15 us each); the
reports, estimates and plans a client builds per request hold about 100 fields. ``maker(cls)``
returns a function with the same parameters (defaults and default factories included) that
stores each field through its slot's descriptor directly. The instance is an ordinary ``cls``:
equality, hashing, ``repr``, pickling, ``dataclasses.fields``/``asdict`` and immutability are
the class's own. Only for classes without ``__post_init__`` (nothing to validate or derive).
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
    >>> make(1), make(1, y=2) == Point(1, 2)
    (Point(x=1, y=0), True)
    """
    if not isinstance(cls, type) or not dataclasses.is_dataclass(cls):
        raise TypeError(f"maker() needs a dataclass, not {cls!r}")
    fields = dataclasses.fields(cls)
    if not hasattr(cls, "__slots__") or hasattr(cls, "__post_init__"):
        raise TypeError(f"maker() needs a slotted dataclass without __post_init__: {cls!r}")
    if any(not f.init for f in fields):
        raise TypeError(f"maker() needs every field of {cls.__name__} in __init__")
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_FACTORY": _FACTORY}
    signature, body = [], []
    for n, f in enumerate(fields):
        scope[f"_set{n}"] = type(cls.__dict__[f.name]).__set__.__get__(cls.__dict__[f.name])
        if f.default is not dataclasses.MISSING:
            scope[f"_default{n}"] = f.default
            signature.append(f"{f.name}=_default{n}")
        elif f.default_factory is not dataclasses.MISSING:
            scope[f"_factory{n}"] = f.default_factory
            signature.append(f"{f.name}=_FACTORY")
            body.append(f"    if {f.name} is _FACTORY: {f.name} = _factory{n}()")
        else:
            signature.append(f.name)
        body.append(f"    _set{n}(self, {f.name})")
    source = (
        f"def make({', '.join(signature)}):\n    self = _new(_cls)\n"
        + "\n".join(body)
        + "\n    return self\n"
    )
    exec(source, scope)  # the technique of dataclasses' own generated __init__
    make = scope["make"]
    make.__qualname__ = make.__name__ = f"make_{cls.__name__}"
    return cast(Callable[_P, _T], make)
