"""Equivalence and booleans: eq?, eqv?, equal?, not, boolean?, boolean=?."""

from __future__ import annotations

from ..data import Char, Symbol, is_equal, is_eqv
from .registry import builtin


# eq? compares symbols, numbers, characters, booleans and strings by value (strings are
# immutable values here), and everything else by identity. The inline form is data.is_eqv
# written out (no call): identity, or the same type among those compared by value
# (EQV_BY_VALUE) and equal values. Symbols, interned, are decided by identity at once (the
# common dispatch on a quoted symbol pays one more test when it fails).
_EQV_INLINE = ("{0} is {1} or (type({0}) is not Symbol and type({0}) is type({1})"
               " and type({0}) in EQV_BY_VALUE and {0} == {1})")
# Values equal? (like eqv?) compares by identity alone: interned symbols and characters, #t, #f.
_IDENTITY_TYPES = frozenset((Symbol, Char, bool))


@builtin("eq?", types=("any", "any"), inline={2: ((None, None), _EQV_INLINE)})
def is_eq(left, right):
    return left is right or (type(left) is not Symbol and is_eqv(left, right))


@builtin("eqv?", types=("any", "any"), inline={2: ((None, None), _EQV_INLINE)})
def is_eqv_(left, right):
    return left is right or (type(left) is not Symbol and is_eqv(left, right))


@builtin("equal?", types=("any", "any"))
def is_equal_(left, right):
    if left is right:
        return True
    if type(left) in _IDENTITY_TYPES:
        return False
    return is_equal(left, right)


@builtin("not", types=("any",), inline={1: ((None,), "{0} is False")})
def not_(value):
    return value is False


@builtin("boolean?", types=("any",), inline={1: ((None,), "type({0}) is bool")})
def is_boolean(value):
    return type(value) is bool


@builtin("boolean=?", types=("boolean", "boolean"), rest="boolean")
def boolean_equal(first, second, *rest):
    values = (first, second, *rest)
    if any(type(value) is not bool for value in values):
        raise TypeError("expected booleans")
    return all(value is first for value in values)
