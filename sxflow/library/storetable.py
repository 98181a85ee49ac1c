"""The flow store's bulk builtins: a whole store table exported, or built from an export, in one Python pass.

lib/flow/store.sx keeps its entries in an ``equal?`` hash table keyed by strings and
symbols. ``flow-store-export`` and ``flow-store-import!`` touch every entry, and doing
that in Scheme (a closure call, a predicate and a table update per entry) made a
100,000-entry import take seconds; these builtins do the same walk in Python, with
store.sx keeping the documented semantics (it decides what a failure means):

- ``(flow-store-table-export table)``: a fresh list of ``(key value)`` entries in key
  order, each value a deep copy (``copy_plain_data``), so the export shares nothing
  with the store.
- ``(flow-store-table-import data failure)``: a fresh table holding a deep copy of
  ``data`` when it is a proper list of ``(key value)`` entries with string or symbol
  keys, no key twice and plain-data values; otherwise ``failure``, having built nothing
  anyone can see — everything is checked before the store changes.
"""

from __future__ import annotations

from fractions import Fraction

from ..codec import collector_paused
from ..data import NIL, Char, Pair, Symbol
from ..runtime import fault
from .hashtables import HashTable, equal_key
from .plaindata import copy_plain_data
from .registry import builtin

_NOT_PLAIN = object()
_ATOMS = frozenset((int, float, Fraction, str, Symbol, Char, bool, type(NIL)))  # as plaindata's
_SHORT = 32  # lists up to this length are copied inline by flow-store-table-import


@builtin("flow-store-table-export", types=("hash-table",))
def store_table_export(table):
    """(flow-store-table-export table): the (key value) entries of a store table, deep copies, in key order."""
    with collector_paused():  # every object made here is live: collections would only walk them again
        return _export(table)


def _export(table):
    return entries_of(table, copy_plain_data)


def entries_of(table, copy=None):
    """The (key value) entry list of a store table; values deep-copied by ``copy``, or shared when it is None.

    Shared values are for a caller that encodes the list at once and keeps nothing of
    it (the federation's replica push): the copy would be thrown away.
    """
    originals = table.originals
    not_plain = _NOT_PLAIN
    entries = []
    append = entries.append
    for lookup, value in table.values.items():
        copied = value if copy is None else copy(value, not_plain)
        if copied is not_plain:
            key = originals.get(lookup, lookup)
            raise fault("flow-store-export: the value under this key is no longer plain data", key,
                        kind="wrong-type")
        append(Pair(originals.get(lookup, lookup), Pair(copied, NIL)))
    result = NIL
    for entry in reversed(entries):
        result = Pair(entry, result)
    return result


@builtin("flow-store-table-import", types=("any", "any"))
def store_table_import(data, failure):
    """(flow-store-table-import data failure): a new store table from an export, or failure when data is not one."""
    with collector_paused():
        return _import(data, failure)


def _import(data, failure):
    table = HashTable(equal_key)
    values = table.values
    not_plain = _NOT_PLAIN
    copy = copy_plain_data
    atoms = _ATOMS
    cursor = slow = data
    steps = power = 1
    while type(cursor) is Pair or isinstance(cursor, Pair):
        entry = cursor.car
        if not isinstance(entry, Pair):
            return failure
        rest = entry.cdr
        if not isinstance(rest, Pair) or rest.cdr is not NIL:
            return failure
        key = entry.car
        kind = type(key)
        if (kind is not str and kind is not Symbol) or key in values:
            return failure
        value = rest.car
        kind = type(value)
        if kind is Pair:
            # A short list of atoms, the commonest value, copied here; anything longer
            # or nested goes to copy_plain_data (which also finds a spine in a circle).
            items = []
            item_cursor = value
            for _ in range(_SHORT):
                if type(item_cursor) is not Pair:
                    break
                item = item_cursor.car
                if type(item) not in atoms:
                    break
                items.append(item)
                item_cursor = item_cursor.cdr
            if item_cursor is NIL:
                value = NIL
                for item in reversed(items):
                    value = Pair(item, value)
            else:
                value = copy(value, not_plain)
        elif kind not in atoms:
            value = copy(value, not_plain)
        if value is not_plain:
            return failure
        values[key] = value
        cursor = cursor.cdr
        if cursor is slow:
            return failure  # the list of entries runs in a circle
        steps -= 1
        if not steps:
            slow = cursor
            power += power
            steps = power
    if cursor is not NIL:
        return failure
    return table
