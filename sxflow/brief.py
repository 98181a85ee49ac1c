"""Brief ``write`` text of a value for error messages: bounded in size and safe on shared or cyclic data."""

from __future__ import annotations

from .data import NIL, Pair, Symbol, Vector
from .printer import write_string

# An irritant written into an error message is cut after this many characters (the
# error object keeps the whole value).
MAX_IRRITANT_CHARACTERS = 200

_ELLIPSIS = Symbol("...")


def write_brief(value, limit: int = MAX_IRRITANT_CHARACTERS) -> str:
    """``write`` text of ``value`` for a message: at most about ``limit`` characters, cut with "...".

    Only a bounded preview is written (a few hundred atoms at most, to a small depth),
    so a huge or cyclic irritant costs no more than a small one.
    """
    budget = [limit]
    seen: set = set()
    preview = _preview(value, budget, 0, limit, seen)
    if budget[0] == _REVISITED:
        # Shared or cyclic, and small (every container fitted the budget): written whole,
        # with its datum labels.
        preview = value
    text = write_string(preview)
    if len(text) > limit:
        text = text[:limit] + "..."
    return text


_REVISITED = -(10 ** 9)  # budget mark: a container came back (shared or cyclic data)


def _preview(value, budget, depth, limit, seen):
    """A small copy of ``value``: lists, vectors and strings cut where the budget runs out."""
    if type(value) is str:
        budget[0] -= len(value)
        return value if len(value) <= limit else value[:limit]
    is_pair = isinstance(value, Pair)
    if not is_pair and type(value) is not Vector:
        budget[0] -= 1
        return value
    if depth >= 16:
        return _ELLIPSIS
    if id(value) in seen:
        if len(seen) <= limit:
            budget[0] = _REVISITED
        return _ELLIPSIS
    seen.add(id(value))
    items = []
    tail = NIL
    cell = value if is_pair else iter(value)
    while True:
        if is_pair:
            if not isinstance(cell, Pair):
                if cell is not NIL:
                    tail = _preview(cell, budget, depth + 1, limit, seen)
                break
            if items or cell is not value:  # the first cell is in ``seen`` already
                if id(cell) in seen:
                    if len(seen) <= limit:
                        budget[0] = _REVISITED
                    items.append(_ELLIPSIS)
                    break
                seen.add(id(cell))
            item, cell = cell.car, cell.cdr
        else:
            item = next(cell, _preview)
            if item is _preview:
                break
        if budget[0] <= 0:
            items.append(_ELLIPSIS)
            break
        budget[0] -= 1
        items.append(_preview(item, budget, depth + 1, limit, seen))
    if not is_pair:
        return Vector(items)
    result = tail
    for item in reversed(items):
        result = Pair(item, result)
    return result
