"""Scheme values as Python objects: symbols, pairs, the empty list, vectors, characters and list helpers."""

from __future__ import annotations

import math
import sys
from fractions import Fraction
from typing import Iterable, Iterator


class Symbol:
    """An interned symbol: ``Symbol("a") is Symbol("a")``, so ``eq?`` is identity.

    ``alias`` is None, except on the uninterned symbols a macro expansion makes for the
    identifiers its template introduces (see ``sxflow.macros``).
    """

    __slots__ = ("name", "alias", "__weakref__")
    _table: dict[str, "Symbol"] = {}

    def __new__(cls, name: str) -> "Symbol":
        symbol = cls._table.get(name)
        if symbol is None:
            symbol = object.__new__(cls)
            symbol.name = name
            symbol.alias = None
            cls._table[name] = symbol
        return symbol

    def __repr__(self) -> str:
        return f"Symbol({self.name!r})"

    def __str__(self) -> str:
        return self.name

    def __reduce__(self):
        return (Symbol, (self.name,))


class Nil:
    """The one empty list, ``()``; ``NIL`` is its only instance."""

    __slots__ = ()
    _instance: "Nil | None" = None

    def __new__(cls) -> "Nil":
        if cls._instance is None:
            cls._instance = object.__new__(cls)
        return cls._instance

    def __iter__(self) -> Iterator:
        return iter(())

    def __repr__(self) -> str:
        return "NIL"

    def __reduce__(self):
        return (Nil, ())


NIL = Nil()


# How a pair shows in Python (repr): the printer's ``write_string``, which the printer
# puts here when it is imported (the printer is built on this module, not under it).
REPR_WRITER = [object.__repr__]


class Pair:
    """A mutable cons cell. Python equality is Scheme ``equal?`` (iterative, so deep data is safe)."""

    __slots__ = ("car", "cdr")

    def __init__(self, car, cdr) -> None:
        self.car = car
        self.cdr = cdr

    def __iter__(self) -> Iterator:
        """Iterate the elements of a proper list; a dotted tail raises ValueError."""
        cell = self
        while type(cell) is Pair or isinstance(cell, Pair):
            yield cell.car
            cell = cell.cdr
        if cell is not NIL:
            raise ValueError("iterating an improper list")

    def __eq__(self, other) -> bool:
        if not isinstance(other, Pair):
            return NotImplemented
        return is_equal(self, other)

    __hash__ = None  # mutable, compared by structure

    def __repr__(self) -> str:
        return REPR_WRITER[0](self)

    def __reduce__(self):
        return (Pair, (self.car, self.cdr))


class SourcePair(Pair):
    """A pair read from source text: ``position`` is ``(source, line, column)``.

    On the first cell of a list it is the position of the opening parenthesis;
    on every later cell, the position of that cell's element.
    """

    __slots__ = ("position",)

    def __init__(self, car, cdr, position) -> None:
        self.car = car
        self.cdr = cdr
        self.position = position

    def __reduce__(self):
        return (Pair, (self.car, self.cdr))


class Vector(list):
    """A Scheme vector: a Python ``list`` of a type of its own.

    Its own type is what keeps a vector a vector across the Python boundary: a plain
    Python ``list`` coming into Scheme becomes a Scheme *list*, a ``Vector`` stays the
    same vector. Every vector sxflow makes is exactly this type, so ``type(x) is Vector``
    is the test (a plain ``list`` is not a vector). It is a ``list`` in every other way
    (indexing, ``len``, ``==`` as Python compares lists), but the list operations that
    build a new list (slices, ``+``, ``*``, ``copy()``) give a plain ``list``: wrap them,
    ``Vector(v[1:3])``, to keep a vector.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Vector({list.__repr__(self)})"


class Char:
    """A character; interned, so equal characters are the same object."""

    __slots__ = ("char",)
    _table: dict[str, "Char"] = {}

    def __new__(cls, char: str) -> "Char":
        existing = cls._table.get(char)
        if existing is None:
            if len(char) != 1:
                raise ValueError(f"a character is one code point, got {char!r}")
            existing = object.__new__(cls)
            existing.char = char
            cls._table[char] = existing
        return existing

    def __repr__(self) -> str:
        return f"Char({self.char!r})"

    def __str__(self) -> str:
        return self.char

    def __lt__(self, other: "Char") -> bool:
        return self.char < other.char

    def __reduce__(self):
        return (Char, (self.char,))


class MultipleValues:
    """What ``(values a b ...)`` returns when it does not return exactly one value."""

    __slots__ = ("values",)

    def __init__(self, values: tuple) -> None:
        self.values = values

    def __repr__(self) -> str:
        return f"MultipleValues({self.values!r})"


class _Marker:
    """A named sentinel that prints as its name."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


# The unspecified value is Python's None: what set!, define and display return,
# and what a Python None becomes when it crosses into Scheme.
UNSPECIFIED = None
EOF_OBJECT = _Marker("#<eof>")
# A letrec or internal-define variable before its initialiser has run.
UNASSIGNED = _Marker("#<unassigned>")


def make_list(items: Iterable, tail=NIL):
    """Build a Scheme list from a Python iterable (``tail`` ends it, ``NIL`` by default)."""
    result = tail
    for item in reversed(items if isinstance(items, (list, tuple)) else list(items)):
        result = Pair(item, result)
    return result


def iterate_list(value) -> Iterator:
    """Iterate a proper Scheme list; a dotted tail, a circular list or a non-list raises ValueError."""
    yield from list_to_python(value)


def list_to_python(value) -> list:
    """The elements of a proper Scheme list as a Python list; dotted or circular lists raise ValueError."""
    items, tail = list_spine(value)
    if tail is not NIL:
        raise ValueError("not a proper list")
    return items


def list_spine(value) -> tuple[list, object]:
    """The elements along a chain of pairs and what ends it (NIL for a proper list); circular raises ValueError."""
    items = []
    append = items.append
    # Brent's cycle check: the tortoise jumps to the hare at each power of two.
    tortoise = value
    steps, power = 0, 1
    while isinstance(value, Pair):
        append(value.car)
        value = value.cdr
        if value is tortoise:
            raise ValueError("circular list")
        steps += 1
        if steps == power:
            tortoise, steps, power = value, 0, power * 2
    return items, value


def _exact_rational(value):
    """An int or a Fraction, as exact results are kept: a whole Fraction becomes an int."""
    if type(value) is Fraction and value.denominator == 1:
        return value.numerator
    return value


def _finite_float(value) -> float:
    """float(value), with an infinity instead of Python's OverflowError for a huge exact value."""
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


class ExactComplex:
    """An exact complex number (R7RS 6.2): real and imaginary parts exact rationals, the imaginary one non-zero.

    Made by ``ExactComplex.make``, which gives the real part itself when the imaginary
    part is zero (``1+0i`` is the exact integer 1). Python's arithmetic operators work
    on it with ints, Fractions (exact results) and floats or complex (an inexact Python
    ``complex`` result), so numbers.py's generic arithmetic needs no case of its own;
    it crosses to Python as itself (``complex(z)`` gives the inexact value).
    """

    __slots__ = ("real", "imag")

    def __init__(self, real, imag) -> None:
        self.real = real
        self.imag = imag

    @staticmethod
    def make(real, imag):
        """The exact number real + imag*i: the real part alone when imag is zero."""
        if imag == 0:
            return _exact_rational(real)
        return ExactComplex(_exact_rational(real), _exact_rational(imag))

    def __complex__(self) -> complex:
        return complex(_finite_float(self.real), _finite_float(self.imag))

    def __repr__(self) -> str:
        return f"ExactComplex({self.real!r}, {self.imag!r})"

    def _parts(self, other):
        """``other`` as exact (real, imag) parts, or None when it is inexact (or not a number)."""
        kind = type(other)
        if kind is ExactComplex:
            return other.real, other.imag
        if kind is int or kind is Fraction:
            return other, 0
        return None

    def __eq__(self, other) -> bool:
        parts = self._parts(other)
        if parts is not None:
            return self.real == parts[0] and self.imag == parts[1]
        if isinstance(other, (float, complex)):
            # Exactly, as Fraction compares with float: 1/3+i is not the float nearest it.
            other = complex(other)
            if not (math.isfinite(other.real) and math.isfinite(other.imag)):
                return False
            return self.real == Fraction(other.real) and self.imag == Fraction(other.imag)
        return NotImplemented

    def __hash__(self) -> int:
        # Python's own formula for complex, from the parts' hashes (a Fraction hashes as the
        # float equal to it), so a value equal to a Python complex hashes the same.
        modulus = 1 << sys.hash_info.width
        value = (hash(self.real) + sys.hash_info.imag * hash(self.imag)) % modulus
        if value >= modulus >> 1:
            value -= modulus
        return -2 if value == -1 else value

    def __add__(self, other):
        parts = self._parts(other)
        if parts is None:
            return complex(self) + other if isinstance(other, (float, complex)) else NotImplemented
        return ExactComplex.make(self.real + parts[0], self.imag + parts[1])

    __radd__ = __add__

    def __neg__(self):
        return ExactComplex(-self.real, -self.imag)

    def __pos__(self):
        return self

    def __sub__(self, other):
        parts = self._parts(other)
        if parts is None:
            return complex(self) - other if isinstance(other, (float, complex)) else NotImplemented
        return ExactComplex.make(self.real - parts[0], self.imag - parts[1])

    def __rsub__(self, other):
        parts = self._parts(other)
        if parts is None:
            return other - complex(self) if isinstance(other, (float, complex)) else NotImplemented
        return ExactComplex.make(parts[0] - self.real, parts[1] - self.imag)

    def __mul__(self, other):
        parts = self._parts(other)
        if parts is None:
            if isinstance(other, float):  # part by part: an infinite part times 1.0 stays infinite, not NaN
                return complex(_finite_float(self.real) * other, _finite_float(self.imag) * other)
            return complex(self) * other if isinstance(other, complex) else NotImplemented
        real, imag = parts
        return ExactComplex.make(self.real * real - self.imag * imag, self.real * imag + self.imag * real)

    __rmul__ = __mul__

    @staticmethod
    def _divide(left, right):
        """Exact (a+bi) / (c+di); an exact zero divisor raises ZeroDivisionError, as Fraction does."""
        (a, b), (c, d) = left, right
        scale = c * c + d * d
        if scale == 0:
            raise ZeroDivisionError("division by zero")
        return ExactComplex.make(Fraction(a * c + b * d) / scale, Fraction(b * c - a * d) / scale)

    def __truediv__(self, other):
        parts = self._parts(other)
        if parts is None:
            if isinstance(other, float) and other != 0:
                return complex(_finite_float(self.real) / other, _finite_float(self.imag) / other)
            return complex(self) / other if isinstance(other, (float, complex)) else NotImplemented
        return ExactComplex._divide((self.real, self.imag), parts)

    def __rtruediv__(self, other):
        parts = self._parts(other)
        if parts is None:
            return other / complex(self) if isinstance(other, (float, complex)) else NotImplemented
        return ExactComplex._divide(parts, (self.real, self.imag))

    def __pow__(self, power):
        if type(power) is int:
            # Exact, by repeated squaring; a negative power is the reciprocal's.
            base = self if power >= 0 else ExactComplex._divide((1, 0), (self.real, self.imag))
            result, power = 1, abs(power)
            while power:
                if power & 1:
                    result = result * base
                power >>= 1
                if power:
                    base = base * base
            return result
        if isinstance(power, (Fraction, float, complex, ExactComplex)):
            return complex(self) ** complex(power)
        return NotImplemented

    def __rpow__(self, base):
        if isinstance(base, (int, Fraction, float, complex)):
            return complex(base) ** complex(self) if base != 0 else 0
        return NotImplemented

    def __abs__(self):
        """The magnitude: exact when it is a rational (3+4i gives 5), else a float."""
        square = Fraction(self.real) ** 2 + Fraction(self.imag) ** 2
        numerator, denominator = math.isqrt(square.numerator), math.isqrt(square.denominator)
        if numerator * numerator == square.numerator and denominator * denominator == square.denominator:
            return _exact_rational(Fraction(numerator, denominator))
        return abs(complex(self))

    def __bool__(self) -> bool:
        return True


NUMBER_TYPES = (int, float, Fraction, complex, ExactComplex)
# Atoms compared by value in eq?/eqv? (booleans and numbers must also match in type:
# #t is never 1, and 2 is not 2.0).
_VALUE_TYPES = frozenset((int, float, Fraction, complex, ExactComplex, str, Char, bool))
# equal? also compares bytevectors (bytearray) by content; eqv? keeps them by identity.
_EQUAL_VALUE_TYPES = _VALUE_TYPES | {bytearray}


def is_eqv(a, b) -> bool:
    """Scheme ``eqv?``: identity, or same type and value for numbers, strings, characters, booleans."""
    if a is b:
        return True
    kind = type(a)
    return kind is type(b) and kind in _VALUE_TYPES and a == b


def is_equal(a, b) -> bool:
    """Scheme ``equal?``: structural on pairs and vectors; iterative, so any depth is safe."""
    stack = [(a, b)]
    pop = stack.pop
    push = stack.append
    # Past a budget of steps, pairs already compared are remembered and taken as equal when
    # met again, so circular structures terminate (R7RS equal?) at no cost for small data.
    budget = 100_000
    seen: set | None = None
    while stack:
        a, b = pop()
        while True:
            if a is b:
                break
            budget -= 1
            if budget < 0 and (isinstance(a, Pair) or type(a) is Vector):
                if seen is None:
                    seen = set()
                key = (id(a), id(b))
                if key in seen:
                    break
                seen.add(key)
            if isinstance(a, Pair):
                if not isinstance(b, Pair):
                    return False
                push((a.cdr, b.cdr))
                a, b = a.car, b.car
                continue
            kind = type(a)
            if kind is Vector:
                if type(b) is not Vector or len(a) != len(b):
                    return False
                stack.extend(zip(a, b))
                break
            if kind is not type(b) or kind not in _EQUAL_VALUE_TYPES or a != b:
                return False
            break
    return True
