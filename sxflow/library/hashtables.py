"""Hash tables (SRFI-69 names): O(1) lookup keyed by equal? by default, keys kept in insertion order.

Python dicts would conflate keys Scheme keeps apart (``1``, ``1.0`` and ``#t`` are three
different keys; so are ``"a"`` and ``a``), so every key is first turned into a
*lookup key*: strings, symbols, exact integers and characters stand for themselves (the
fast paths), booleans, floats and exact rationals are tagged, and a pair or vector becomes
its ``write`` text (computed iteratively, so a list nested 100,000 deep is a safe key;
a Python tuple key of that depth would make ``hash`` recurse in C) plus the identities of
any non-data objects inside it, which ``equal?`` compares by identity.

Iteration order is insertion order: overwriting a key keeps its place, deleting it and
setting it again moves it to the end. Procedures that call back into Scheme work on a
snapshot of the entries, so the callback may modify the table.
"""

from __future__ import annotations

from fractions import Fraction

from ..data import Char, ExactComplex, NIL, Pair, Symbol, Vector, make_list
from ..printer import write_string
from ..runtime import TYPE_CHECKS, apply_procedure, fault
from .registry import BUILTINS, builtin

_MISSING = object()


class HashTable:
    """A Scheme hash table: ``values`` maps lookup keys to values; ``originals`` the Scheme key when it differs."""

    __slots__ = ("values", "originals", "lookup_key", "__weakref__")

    def __init__(self, lookup_key) -> None:
        self.values: dict = {}
        self.originals: dict = {}
        self.lookup_key = lookup_key

    def keys(self) -> list:
        originals = self.originals
        if not originals:
            return list(self.values)
        return [originals.get(key, key) for key in self.values]

    def set(self, key, value) -> None:
        lookup = self.lookup_key(key)
        if lookup is not key:
            self.originals[lookup] = key
        self.values[lookup] = value

    def delete(self, key) -> None:
        lookup = self.lookup_key(key)
        if self.values.pop(lookup, _MISSING) is not _MISSING:
            self.originals.pop(lookup, None)

    def copy(self) -> "HashTable":
        table = HashTable(self.lookup_key)
        table.values = dict(self.values)
        table.originals = dict(self.originals)
        return table

    def sx_write(self) -> str:
        return f"#<hash-table {len(self.values)}>"

    def __repr__(self) -> str:
        return f"<sxflow hash-table with {len(self.values)} entries>"


TYPE_CHECKS["hash-table"] = (lambda value: type(value) is HashTable, "a hash table")


# -- lookup keys -------------------------------------------------------------------


class _Tagged:
    """A lookup key for a value Python would confuse with another: a tag and a hashable stand-in."""

    __slots__ = ("tag", "stand_in", "hash")

    def __init__(self, tag: str, stand_in) -> None:
        self.tag = tag
        self.stand_in = stand_in
        self.hash = hash((tag, stand_in))

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other) -> bool:
        return type(other) is _Tagged and self.tag == other.tag and self.stand_in == other.stand_in


class _Identity:
    """A lookup key that compares an object by identity (procedures, environments, Python objects)."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other) -> bool:
        return type(other) is _Identity and other.value is self.value


_TRUE = _Tagged("boolean", 1)
_FALSE = _Tagged("boolean", 0)
# Types that are their own lookup key: hashing and == agree with eqv? on them.
_SELF_KEYED = frozenset((str, Symbol, int, Char, type(NIL)))
# Atoms written faithfully by ``write``: a structure holding only these is identified by its text.
_DATA_ATOMS = frozenset((str, Symbol, int, float, Fraction, complex, ExactComplex, bytearray, Char, bool, type(NIL)))


def _atom_key(value):
    """The lookup key of anything that is not a pair or a vector, under eqv?."""
    kind = type(value)
    if kind in _SELF_KEYED:
        return value
    if kind is bool:
        return _TRUE if value else _FALSE
    if kind is float:
        # hex() tells -0.0 from 0.0 and makes every NaN the same key.
        return _Tagged("float", value.hex())
    if kind is Fraction:
        return value.numerator if value.denominator == 1 else _Tagged("fraction", value)
    if kind is complex:
        return _Tagged("complex", (value.real.hex(), value.imag.hex()))
    if kind is ExactComplex:
        return _Tagged("exact-complex", (value.real, value.imag))
    try:
        hash(value)
    except TypeError:
        return _Identity(value)
    if type(value).__eq__ is not object.__eq__:
        return _Identity(value)  # a Python object with its own == would not compare by identity
    return value


def _structure_key(value):
    """The lookup key of a pair or vector under equal?: its written text plus the identities of non-data inside."""
    text = write_string(value)
    if "#<" not in text:
        return _Tagged("structure", text)  # only data atoms inside (non-data always prints as #<...>)
    opaque = _non_data_inside(value, 2 * len(text) + 16)
    if not opaque:
        return _Tagged("structure", text)  # "#<" was inside a string or a symbol
    # Non-data objects are compared by identity: their ids join the key, and the objects
    # themselves ride along so the ids stay valid while the key lives.
    return _StructureKey(text, tuple(id(item) for item in opaque), tuple(opaque))


def _non_data_inside(value, budget: int) -> list:
    """The atoms inside a pair or vector that are not data, left to right, each time they occur.

    Shared substructure is walked every time it occurs, as ``write`` prints it, so equal
    structures give the same list. Every element costs at least one character of the
    written text, so a walk longer than ``budget`` steps is going round a cycle: then
    each pair and vector is visited once (cyclic keys are rare, and equal? on them is not
    well defined anyway).
    """
    opaque = []
    stack = [value]
    steps = 0
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is Vector or isinstance(item, Pair):
            if kind is Vector:
                steps += 1
                if steps > budget:
                    return _non_data_inside_once(value)
                stack.extend(reversed(item))
                continue
            tail = []
            while isinstance(item, Pair):
                steps += 1
                if steps > budget:
                    return _non_data_inside_once(value)
                if type(item.car) not in _DATA_ATOMS:
                    tail.append(item.car)
                item = item.cdr
            if type(item) not in _DATA_ATOMS:
                tail.append(item)
            stack.extend(reversed(tail))
        elif kind not in _DATA_ATOMS:
            opaque.append(item)
    return opaque


def _non_data_inside_once(value) -> list:
    """Like ``_non_data_inside`` but visiting each pair and vector once, so cycles end."""
    opaque = []
    seen: set = set()
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is Vector:
            if id(item) in seen:
                continue
            seen.add(id(item))
            stack.extend(reversed(item))
        elif isinstance(item, Pair):
            tail = []
            while isinstance(item, Pair):
                if id(item) in seen:
                    break
                seen.add(id(item))
                if type(item.car) not in _DATA_ATOMS:
                    tail.append(item.car)
                item = item.cdr
            else:
                if type(item) not in _DATA_ATOMS:
                    tail.append(item)
            stack.extend(reversed(tail))
        elif kind not in _DATA_ATOMS:
            opaque.append(item)
    return opaque


class _StructureKey:
    """A structure holding non-data objects: equal when the text and the objects' identities match."""

    __slots__ = ("text", "identities", "objects", "hash")

    def __init__(self, text: str, identities: tuple, objects: tuple) -> None:
        self.text = text
        self.identities = identities
        self.objects = objects
        self.hash = hash((text, identities))

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other) -> bool:
        return type(other) is _StructureKey and self.text == other.text and self.identities == other.identities


def equal_key(value):
    """Lookup key under equal?."""
    kind = type(value)
    if kind is str or kind is Symbol:
        return value
    if kind is Vector or isinstance(value, Pair):
        return _structure_key(value)
    if kind is bytearray:  # equal? compares bytevectors by content
        return _Tagged("bytevector", bytes(value))
    return _atom_key(value)


def eqv_key(value):
    """Lookup key under eq?/eqv?: pairs and vectors by identity."""
    kind = type(value)
    if kind is str or kind is Symbol:
        return value
    if kind is Vector or isinstance(value, Pair):
        return _Identity(value)
    return _atom_key(value)


def numeric_key(value):
    """Lookup key under =: Python already hashes 1, 1.0 and 1/1 alike."""
    if type(value) is bool or not isinstance(value, (int, float, Fraction)):
        raise fault("hash-table: a table made with = takes only numbers as keys, got", value, kind="wrong-type")
    return value


_COMPARATORS = {"equal?": equal_key, "eqv?": eqv_key, "eq?": eqv_key, "=": numeric_key, "string=?": equal_key}


def _comparator(equality):
    for name, lookup_key in _COMPARATORS.items():
        if BUILTINS.get(name) is equality:
            return lookup_key
    raise fault(f"make-hash-table: unsupported equality predicate {write_string(equality)} "
                "(supported: equal?, eqv?, eq?, =, string=?)", kind="wrong-type")


def _table(value) -> HashTable:
    if type(value) is not HashTable:
        raise TypeError("expected a hash table")
    return value


# -- the procedures ------------------------------------------------------------------


@builtin("make-hash-table", rest="any")
def make_hash_table(*arguments):
    """(make-hash-table [equality [hash]]): equality is equal? (default), eqv?, eq?, = or string=?.

    The hash argument is accepted and ignored: the lookup keys already hash consistently
    with the equality.
    """
    lookup_key = equal_key
    if arguments and not isinstance(arguments[0], int):
        lookup_key = _comparator(arguments[0])
    return HashTable(lookup_key)


@builtin("hash-table?", types=("any",))
def is_hash_table(value):
    return type(value) is HashTable


@builtin("hash-table-set!", types=("hash-table", "any", "any"))
def hash_table_set(table, key, value):
    _table(table).set(key, value)


@builtin("hash-table-ref", types=("hash-table", "any", "procedure", "procedure"))
def hash_table_ref(table, key, failure=_MISSING, success=_MISSING):
    value = table.values.get(table.lookup_key(key), _MISSING)
    if value is _MISSING:
        if failure is _MISSING:
            raise fault(f"hash-table-ref: no such key: {write_string(key)}", kind="key-not-found")
        return apply_procedure(failure, ())
    if success is not _MISSING:
        return apply_procedure(success, (value,))
    return value


@builtin("hash-table-ref/default", types=("hash-table", "any", "any"))
def hash_table_ref_default(table, key, default):
    return table.values.get(table.lookup_key(key), default)


@builtin("hash-table-delete!", types=("hash-table", "any"))
def hash_table_delete(table, key):
    _table(table).delete(key)


@builtin("hash-table-contains?", "hash-table-exists?", types=("hash-table", "any"))
def hash_table_contains(table, key):
    return table.lookup_key(key) in table.values


@builtin("hash-table-count", "hash-table-size", types=("hash-table",))
def hash_table_count(table):
    return len(_table(table).values)


@builtin("hash-table-keys", types=("hash-table",))
def hash_table_keys(table):
    return make_list(_table(table).keys())


@builtin("hash-table-values", types=("hash-table",))
def hash_table_values(table):
    return make_list(list(_table(table).values.values()))


@builtin("hash-table->alist", types=("hash-table",))
def hash_table_to_alist(table):
    return make_list([Pair(key, value) for key, value in zip(_table(table).keys(), table.values.values())])


@builtin("alist->hash-table", types=("list", "procedure"), rest="any")
def alist_to_hash_table(alist, *arguments):
    """(alist->hash-table alist [equality [hash]]): the first entry for a key wins, as in SRFI-69."""
    table = make_hash_table(*arguments)
    values = table.values
    while isinstance(alist, Pair):
        entry = alist.car
        if not isinstance(entry, Pair):
            raise TypeError("expected a list of pairs")
        if table.lookup_key(entry.car) not in values:
            table.set(entry.car, entry.cdr)
        alist = alist.cdr
    if alist is not NIL:
        raise TypeError("expected a proper list")
    return table


@builtin("hash-table-update!", types=("hash-table", "any", "procedure", "procedure"))
def hash_table_update(table, key, procedure, failure=_MISSING):
    current = hash_table_ref(_table(table), key, failure)
    table.set(key, apply_procedure(procedure, (current,)))


@builtin("hash-table-update!/default", types=("hash-table", "any", "procedure", "any"))
def hash_table_update_default(table, key, procedure, default):
    current = _table(table).values.get(table.lookup_key(key), default)
    table.set(key, apply_procedure(procedure, (current,)))


@builtin("hash-table-walk", types=("hash-table", "procedure"))
def hash_table_walk(table, procedure):
    for key, value in list(zip(_table(table).keys(), table.values.values())):
        apply_procedure(procedure, (key, value))


@builtin("hash-table-fold", types=("hash-table", "procedure", "any"))
def hash_table_fold(table, kons, knil):
    accumulator = knil
    for key, value in list(zip(_table(table).keys(), table.values.values())):
        accumulator = apply_procedure(kons, (key, value, accumulator))
    return accumulator


@builtin("hash-table-copy", types=("hash-table", "any"))
def hash_table_copy(table, mutable=False):
    return _table(table).copy()


@builtin("hash-table-clear!", types=("hash-table",))
def hash_table_clear(table):
    _table(table).values.clear()
    table.originals.clear()
