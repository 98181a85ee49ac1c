"""The documented limits that make pathological programs fail fast, and the checks that enforce them."""

from __future__ import annotations

import gc

from .data import NIL, Pair, Symbol, Vector
from .errors import SxSyntaxError

# Code nested deeper than this (pairs inside pairs, counting through car) is refused by
# the compiler with "nested too deeply"; real programs stay below a hundred.
MAX_NESTING = 100_000
# A list, vector or string made by one call (make-list, iota, make-vector, make-string,
# list-tabulate …) holds at most this many elements.
MAX_ALLOCATION = 10_000_000
# Restarts Ray may make of a crashed actor peer (sxflow.ray; the default of
# `sxflow serve --ray-max-restarts`, here so the command line need not import Ray's layer).
RAY_MAX_RESTARTS = 3

_QUOTE = Symbol("quote")


def check_form(form, position, is_macro_use=None) -> None:
    """Refuse a form the compiler cannot walk: cyclic, or nested deeper than MAX_NESTING.

    One iterative pass over the form (quoted data is not code and is not entered, nor
    is a form for which ``is_macro_use(head)`` is true: a macro sees its own argument
    forms, whatever their shape): a list whose spine comes back on itself, or a pair
    that contains itself, is "not a proper list"; nesting beyond the limit is "nested
    too deeply".
    """
    if not isinstance(form, Pair) and type(form) is not Vector:
        return
    on_path: set = set()  # the pairs and vectors enclosing the one being walked
    stack: list = [(form, 1, False)]
    while stack:
        value, depth, leaving = stack.pop()
        if leaving:
            on_path.discard(id(value))
            continue
        if depth > MAX_NESTING:
            raise SxSyntaxError(f"nested too deeply: code may nest at most {MAX_NESTING:,} levels", position)
        key = id(value)
        if key in on_path:
            raise SxSyntaxError("not a proper list: this form contains itself (a cyclic list)", position)
        on_path.add(key)
        stack.append((value, depth, True))
        if type(value) is Vector:
            children = value
        else:
            head = value.car
            if type(head) is Symbol and is_macro_use is not None and is_macro_use(head):
                continue
            children = _spine(value, position)
            if head is _QUOTE:
                continue
        for child in children:
            if isinstance(child, Pair) or type(child) is Vector:
                stack.append((child, depth + 1, False))


def _spine(value, position) -> list:
    """The elements of a list's spine (and a dotted tail); a circular spine is a syntax error."""
    items = []
    tortoise = value
    steps, power = 0, 1
    while isinstance(value, Pair):
        items.append(value.car)
        value = value.cdr
        if value is tortoise:
            raise SxSyntaxError("not a proper list: a form's cdr chain comes back on itself (a circular list)",
                                position)
        steps += 1
        if steps == power:
            tortoise, steps, power = value, 0, power * 2
    if value is not NIL:
        items.append(value)
    return items


class AllocationTooLarge(Exception):
    """A size above MAX_ALLOCATION (the builtin's name and the size go in the Scheme message)."""


def check_allocation(count: int, what: str = "elements") -> int:
    """``count`` when it is within MAX_ALLOCATION; raises AllocationTooLarge otherwise."""
    if count > MAX_ALLOCATION:
        raise AllocationTooLarge(f"{count:,} {what} is more than the limit of {MAX_ALLOCATION:,}")
    return count


def build_list(count: int, item_at=None, fill=None):
    """A Scheme list of ``count`` items ``item_at(i)`` (or ``fill``), built with the cyclic collector paused.

    A long run of allocations that all survive makes the collector walk the growing
    heap again and again (10,000,000 cells took 29 s); new cons cells form no cycles.
    """
    collecting = gc.isenabled()
    try:
        if collecting:  # inside the try: an interrupt right after it still re-enables
            gc.disable()
        result = NIL
        if item_at is None:
            for _ in range(count):
                result = Pair(fill, result)
        else:
            for index in range(count - 1, -1, -1):
                result = Pair(item_at(index), result)
        return result
    finally:
        if collecting:
            gc.enable()
