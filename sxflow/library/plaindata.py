"""Plain data: the values that survive being written as text and read back, checked and deep-copied.

Plain data is numbers, strings, symbols, booleans, characters, ``()``, and proper lists
and vectors of plain data — no procedures, environments, hash tables, error objects,
dotted pairs or cycles. The flow store keeps only plain data (lib/flow/store.sx), and
copies it on the way in and out so that a snapshot never changes afterwards.

Both procedures walk the value with an explicit stack and a set of the pairs and
vectors on the current path, so a list 1,000,000 long or nested 100,000 deep is fine,
and a cycle through a car, a cdr or a vector slot is found. Shared (acyclic) structure
is copied once and stays shared in the copy.
"""

from __future__ import annotations

from fractions import Fraction

from ..data import Char, NIL, Pair, Symbol, Vector, make_list
from ..printer import write_string
from ..runtime import fault
from .registry import builtin

_ATOMS = frozenset((int, float, Fraction, str, Symbol, Char, bool, type(NIL)))
_NOT_PLAIN = object()
_REJECTED = object()  # an element that is not plain data at all


def copy_plain_data(value, failure=_NOT_PLAIN):
    """A deep copy of ``value`` if it is plain data, else ``failure``."""
    if type(value) in _ATOMS:
        return value
    if type(value) is not Vector and not isinstance(value, Pair):
        return failure
    if type(value) is not Vector:
        flat = _copy_flat(value)
        if flat is not None:
            return flat
    atoms = _ATOMS
    # How cycles are found without paying a set operation per element: a cycle made only
    # of cdrs stays inside one list's spine, where Brent's algorithm finds it; any other
    # cycle passes through a car or a vector slot, and a step down into a container checks
    # it against ``on_path``, the ids of the pairs and vectors between the root and here.
    # A list adds its spine to ``on_path`` lazily, only up to where it steps down.
    on_path: set[int] = set()
    copied: dict[int, object] = {}  # id of a finished list head or vector -> its copy
    stack = [_Frame(value, on_path)]
    while True:
        frame = stack[-1]
        items = frame.items
        descended = False
        if frame.is_list:
            cursor = frame.cursor
            slow = frame.slow
            steps = frame.steps
            power = frame.power
            while isinstance(cursor, Pair):
                item = cursor.car
                kind = type(item)
                if kind not in atoms:
                    done = _finished_copy(item, kind, copied)
                    if done is _REJECTED:
                        return failure
                    if done is _NOT_PLAIN:
                        frame.add_path_through(cursor, on_path)
                        if id(item) in on_path:
                            return failure
                        descended = True
                    else:
                        item = done
                items.append(item)
                cursor = cursor.cdr
                if cursor is slow:
                    return failure  # the spine runs in a circle
                steps -= 1
                if not steps:
                    slow = cursor
                    power += power
                    steps = power
                if descended:
                    frame.cursor = cursor
                    frame.slow = slow
                    frame.steps = steps
                    frame.power = power
                    stack.append(_Frame(item, on_path))
                    break
            if descended:
                continue
            if cursor is not NIL:
                return failure  # a dotted tail
            result = make_list(items)
        else:
            vector = frame.cursor
            index = frame.steps
            length = len(vector)
            while index < length:
                item = vector[index]
                index += 1
                kind = type(item)
                if kind not in atoms:
                    done = _finished_copy(item, kind, copied)
                    if done is _REJECTED:
                        return failure
                    if done is _NOT_PLAIN:
                        if id(item) in on_path:
                            return failure
                        frame.steps = index
                        stack.append(_Frame(item, on_path))
                        descended = True
                        break
                    item = done
                items.append(item)
            if descended:
                continue
            result = items
        frame.leave_path(on_path)
        copied[id(frame.container)] = result
        stack.pop()
        if not stack:
            return result
        # The parent appended the original as a placeholder when it stepped down.
        parent_items = stack[-1].items
        if stack[-1].is_list:
            parent_items[-1] = result
        else:
            parent_items.append(result)


def _finished_copy(item, kind, copied):
    """For a non-atom element: _REJECTED if it cannot be plain data, its copy when one is
    already made (or it is a flat list of atoms, copied now), else _NOT_PLAIN: still to walk."""
    if kind is not Vector and not isinstance(item, Pair):
        return _REJECTED
    done = copied.get(id(item), _NOT_PLAIN) if copied else _NOT_PLAIN
    if done is _NOT_PLAIN and kind is not Vector:
        flat = _copy_flat(item)
        if flat is not None:
            done = copied[id(item)] = flat
    return done


def _copy_flat(pair):
    """A copy of a proper list of atoms only, or None when it holds a container, is dotted or cyclic.

    A list of atoms contains nothing that could close a cycle through it, so it needs
    no path bookkeeping: most values (and most parts of bigger ones) are such lists.
    """
    atoms = _ATOMS
    items = []
    append = items.append
    cursor = slow = pair
    steps = power = 1
    while isinstance(cursor, Pair):
        item = cursor.car
        if type(item) not in atoms:
            return None
        append(item)
        cursor = cursor.cdr
        if cursor is slow:
            return None
        steps -= 1
        if not steps:
            slow = cursor
            power += power
            steps = power
    if cursor is not NIL:
        return None
    result = NIL
    for item in reversed(items):
        result = Pair(item, result)
    return result


class _Frame:
    """A list or vector being copied: where the walk is, the copied items so far, its part of the path."""

    __slots__ = ("is_list", "container", "cursor", "slow", "steps", "power", "items", "path_end")

    def __init__(self, container, on_path: set) -> None:
        self.container = container
        self.cursor = container
        self.is_list = type(container) is not Vector
        self.items: list = [] if self.is_list else Vector()  # a vector's copy is built in place
        self.path_end = None  # the last spine pair added to on_path
        if self.is_list:
            self.slow = container
            self.steps = self.power = 1
        else:
            self.steps = 0  # the next index
            on_path.add(id(container))

    def add_path_through(self, pair, on_path: set) -> None:
        """Put the spine up to ``pair`` on the path: the container about to be entered hangs from it."""
        current = self.container if self.path_end is None else self.path_end.cdr
        while True:
            on_path.add(id(current))
            if current is pair:
                break
            current = current.cdr
        self.path_end = pair

    def leave_path(self, on_path: set) -> None:
        if not self.is_list:
            on_path.discard(id(self.container))
            return
        if self.path_end is None:
            return
        current = self.container
        while True:
            on_path.discard(id(current))
            if current is self.path_end:
                break
            current = current.cdr


def is_plain_data(value) -> bool:
    return copy_plain_data(value) is not _NOT_PLAIN


@builtin("plain-data?", types=("any",))
def plain_data_p(value):
    return is_plain_data(value)


@builtin("plain-data-copy", types=("any", "any"))
def plain_data_copy(value, failure=_NOT_PLAIN):
    """(plain-data-copy value [failure]): a deep copy of plain data; otherwise failure, or an error without it."""
    result = copy_plain_data(value, failure)
    if result is _NOT_PLAIN:
        raise fault(f"plain-data-copy: not plain data: {write_string(value)}", kind="wrong-type")
    return result
