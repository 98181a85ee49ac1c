"""Equivalence and booleans: eq?, eqv?, equal?, not, boolean?, boolean=?."""

from __future__ import annotations

from ..data import is_equal, is_eqv
from .registry import builtin


# eq? compares symbols, numbers, characters, booleans and strings by value (strings are
# immutable values here), and everything else by identity.
@builtin("eq?", types=("any", "any"), inline={2: ((None, None), "{0} is {1} or is_eqv({0}, {1})")})
def is_eq(left, right):
    return left is right or is_eqv(left, right)


@builtin("eqv?", types=("any", "any"), inline={2: ((None, None), "{0} is {1} or is_eqv({0}, {1})")})
def is_eqv_(left, right):
    return left is right or is_eqv(left, right)


@builtin("equal?", types=("any", "any"))
def is_equal_(left, right):
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
