"""Frozen record classes that cost next to nothing to define.

``@dataclass`` writes and compiles several methods for every class it decorates: about a
millisecond a class, paid at every start-up by the forty-odd record and result types this
package defines, more than all of its other import work. A ``Record`` subclass behaves like a
frozen dataclass (construction by position or keyword with defaults, immutability, equality,
hashing, a readable repr, ``replace``), but its methods are shared by every subclass, so defining
one only reads its annotations. Type checkers see a frozen dataclass (PEP 681).

pydantic validates rule files into the record types on a cache miss; ``as_dataclasses`` makes
them stdlib dataclasses for it, then and only then.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, ClassVar, TypeVar, dataclass_transform

R = TypeVar("R", bound="Record")


@dataclass_transform(frozen_default=True)
class Record:
    """Base of a frozen record: annotate its fields in the class body, defaults after the
    fields without. Instances keep their fields in ``__dict__``, in field order, and their hash
    once computed in a slot: records nest records, and scoring keys its memos by them."""

    __slots__ = ("_hash",)
    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}
    _uncompared: ClassVar[frozenset[str]] = frozenset()  # fields equality and hashing ignore

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = [
            name
            for name, annotation in vars(cls).get("__annotations__", {}).items()
            if not str(annotation).startswith("ClassVar")
        ]
        cls._fields = (*cls._fields, *(name for name in own if name not in cls._fields))
        cls._defaults = {
            **cls._defaults,
            **{name: cls.__dict__[name] for name in own if name in cls.__dict__},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._fields
        if not args and tuple(kwargs) == fields:  # every field by keyword, in order: the usual
            object.__setattr__(self, "__dict__", kwargs)
            return
        if not kwargs and len(args) == len(fields):  # every field by position
            object.__setattr__(self, "__dict__", dict(zip(fields, args)))  # noqa: B905
            return
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__}: {len(args)} values for {len(fields)} fields")
        values = dict(zip(fields, args, strict=False))
        for name, value in kwargs.items():
            if name not in fields or name in values:
                raise TypeError(f"{type(self).__name__}: unexpected or repeated field {name!r}")
            values[name] = value
        missing = [name for name in fields if name not in values]
        for name in missing:
            if name not in self._defaults:
                raise TypeError(f"{type(self).__name__}: missing field {name!r}")
            values[name] = self._defaults[name]
        object.__setattr__(self, "__dict__", {name: values[name] for name in fields})

    @classmethod
    def from_values(cls: type[R], values: Collection[Any]) -> R:
        """A record from its field values in order, unchecked but for their count: for data
        this program wrote."""
        fields = cls._fields
        # Counted here: any keyword to zip, even strict=False, slows loading records by 15%.
        if len(values) != len(fields):
            raise ValueError(f"{cls.__name__}: {len(values)} values for {len(fields)} fields")
        record = cls.__new__(cls)
        object.__setattr__(record, "__dict__", dict(zip(fields, values)))  # noqa: B905
        return record

    def __setattr__(self, name: str, value: object) -> None:
        raise _frozen(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise _frozen(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other is self:  # as a dataclass's tuple comparison would find, without building one
            return True
        if type(other) is not type(self):
            return NotImplemented
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        value: int | None = getattr(self, "_hash", None)
        if value is None:
            value = hash((type(self), *self._compared()))
            object.__setattr__(self, "_hash", value)
        return value

    def _compared(self) -> tuple[Any, ...]:
        if not self._uncompared:
            return tuple(self.__dict__.values())
        return tuple(v for k, v in self.__dict__.items() if k not in self._uncompared)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self.__dict__.items())
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (for batch worker processes) as its class and field values.
        return (_rebuild, (type(self), tuple(self.__dict__.values())))


def _frozen(message: str) -> Exception:
    """The error a frozen dataclass raises on assignment. (``dataclasses`` is imported only
    here and in ``as_dataclasses``: nothing else on a command's path needs it.)"""
    import dataclasses

    return dataclasses.FrozenInstanceError(message)


def _rebuild(cls: type[R], values: tuple[Any, ...]) -> R:
    return cls.from_values(values)


def replace(record: R, **changes: Any) -> R:
    """A copy of a record with some fields changed, like ``dataclasses.replace``."""
    unknown = set(changes) - set(record._fields)
    if unknown:
        raise TypeError(f"{type(record).__name__} has no field(s) {', '.join(sorted(unknown))}")
    return type(record).from_values({**record.__dict__, **changes}.values())


def fields_of(record: Record) -> dict[str, Any]:
    """A record's fields and values, in order."""
    return dict(record.__dict__)


def as_dataclasses(classes: Iterable[type[Record]]) -> None:
    """Make record classes stdlib dataclasses too, in place, for pydantic to validate into
    (it reads a dataclass's fields and sets an instance's ``__dict__`` itself). Only the
    markers pydantic reads are added: construction, equality and immutability stay Record's."""
    import dataclasses

    for cls in classes:
        if not dataclasses.is_dataclass(cls):
            dataclasses.dataclass(cls, init=False, repr=False, eq=False)
