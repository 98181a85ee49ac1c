"""Pairs and lists: R7RS list procedures and the SRFI-1 subset; all iterative, so long lists are safe."""

from __future__ import annotations

from types import FunctionType

from ..data import NIL, Char, MultipleValues, Pair, SourcePair, Symbol, Vector, is_equal, is_eqv, list_spine, list_to_python, make_list
from ..limits import build_list, check_allocation
from ..procedure_table import PROCEDURES
from ..runtime import TailCall, apply_procedure, complete, fault, is_procedure, takes_one_argument
from .registry import builtin


class ListTypeError(TypeError):
    """An argument that is not the list a procedure needs; the caller's diagnosis names it."""


def _count(value) -> int:
    """A count or index argument: Python's range() would take -1 (nothing) and #t (once) silently."""
    if type(value) is not int or value < 0:
        raise ListTypeError("expected a non-negative exact integer")
    return value


def _circular():
    return ListTypeError("expected a proper list, got a circular list")


def elements(value) -> list:
    """The elements of a proper list, as a Python list; anything else (circular too) raises ListTypeError."""
    try:
        return list_to_python(value)
    except ValueError as error:
        if "circular" in str(error):
            raise _circular() from None
        raise ListTypeError("expected a proper list") from None


@builtin("cons", types=("any", "any"), inline={2: ((None, None), "Pair({0}, {1})")})
def cons(car, cdr):
    return Pair(car, cdr)


@builtin("car", types=("pair",), inline={1: (("Pair",), "{0}.car")})
def car(pair):
    return pair.car


@builtin("cdr", types=("pair",), inline={1: (("Pair",), "{0}.cdr")})
def cdr(pair):
    return pair.cdr


def _accessor(path: str):
    """c[ad]+r: the letters apply right to left, as in R7RS."""
    first, *rest = [letter == "a" for letter in reversed(path)]  # True: car, False: cdr

    def access(pair):
        if not isinstance(pair, Pair):
            raise ListTypeError("expected a pair")
        value = pair.car if first else pair.cdr
        for take_car in rest:
            if not isinstance(value, Pair):
                raise ListTypeError("expected a pair")
            value = value.car if take_car else value.cdr
        return value

    access.__name__ = f"c{path}r"
    # Inlined for two or three steps: attribute reads, each intermediate value tested a Pair first.
    steps = [".car" if letter == "a" else ".cdr" for letter in reversed(path)]
    prefixes = ["{0}" + "".join(steps[:count]) for count in range(1, len(steps))]
    inline = {1: (("Pair",), "{0}" + "".join(steps), None,
                  " and ".join(f"type({prefix}) is Pair" for prefix in prefixes))} if len(path) <= 3 else None
    return builtin(f"c{path}r", types=("pair",), inline=inline)(access)


for _path in [a + b for a in "ad" for b in "ad"] + [a + b + c for a in "ad" for b in "ad" for c in "ad"] + [
    a + b + c + d for a in "ad" for b in "ad" for c in "ad" for d in "ad"
]:
    _accessor(_path)

cadr = _accessor("ad")


# setattr answers None, the unspecified value, as these do.
@builtin("set-car!", types=("pair", "any"), inline={2: (("Pair", None), "setattr({0}, 'car', {1})")})
def set_car(pair, value):
    pair.car = value


@builtin("set-cdr!", types=("pair", "any"), inline={2: (("Pair", None), "setattr({0}, 'cdr', {1})")})
def set_cdr(pair, value):
    pair.cdr = value


@builtin("list", rest="any", inline={1: ((None,), "Pair({0}, NIL)"), 2: ((None, None), "Pair({0}, Pair({1}, NIL))"),
                                     3: ((None, None, None), "Pair({0}, Pair({1}, Pair({2}, NIL)))"),
                                     4: ((None, None, None, None), "Pair({0}, Pair({1}, Pair({2}, Pair({3}, NIL))))")})
def list_(*items):
    result = NIL
    for item in reversed(items):
        result = Pair(item, result)
    return result


@builtin("cons*", "list*", types=("any",), rest="any")
def cons_star(first, *rest):
    items = (first, *rest)
    return make_list(items[:-1], items[-1])


@builtin("pair?", types=("any",), inline={1: ((None,), "isinstance({0}, Pair)")})
def is_pair(value):
    return isinstance(value, Pair)


@builtin("null?", types=("any",), inline={1: ((None,), "{0} is NIL")})
def is_null(value):
    return value is NIL


@builtin("list?", types=("any",))
def is_list(value):
    # Floyd's cycle check: a circular list is not a list.
    slow = value
    while True:
        if value is NIL:
            return True
        if not isinstance(value, Pair):
            return False
        value = value.cdr
        if value is NIL:
            return True
        if not isinstance(value, Pair):
            return False
        value = value.cdr
        slow = slow.cdr
        if value is slow:
            return False


# The common case of the walkers below, a proper list (of pairs made at run time, or read
# from source as quoted data is), is walked first without a cycle check, at most this many
# pairs (a bound, so a cycle cannot loop for ever): that costs a third less per pair. A
# walk that meets anything else (a dotted end, a pair of a subclass, a list this long, a
# cycle) starts again on the careful path, which has Brent's cycle check and says what is wrong.
_UNCHECKED_STEPS = range(1 << 20)


@builtin("length", types=("list",))
def length(value):
    cell = value
    for count in _UNCHECKED_STEPS:
        if type(cell) is not Pair and type(cell) is not SourcePair:
            if cell is NIL:
                return count
            break
        cell = cell.cdr
    return _length_checked(value)


def _length_checked(value):
    # Counts without collecting the elements; Brent's cycle check as in data.list_spine
    # (the tortoise jumps to the hare whenever the count reaches a power of two).
    count, tortoise, power = 0, value, 1
    while isinstance(value, Pair):
        value = value.cdr
        count += 1
        if value is tortoise:
            raise _circular()
        if count == power:
            tortoise, power = value, power * 2
    if value is not NIL:
        raise ListTypeError("expected a proper list")
    return count


def _copy_onto(value, tail):
    """A fresh copy of the proper list ``value`` whose last pair's cdr is ``tail`` (one pass, no Python list)."""
    if value is NIL:
        return tail
    if type(value) is Pair or type(value) is SourcePair:  # the unchecked walk first (see _UNCHECKED_STEPS)
        head = last = Pair(value.car, NIL)
        cell = value.cdr
        for _ in _UNCHECKED_STEPS:
            if type(cell) is not Pair and type(cell) is not SourcePair:
                if cell is NIL:
                    last.cdr = tail
                    return head
                break
            last.cdr = last = Pair(cell.car, NIL)
            cell = cell.cdr
    return _copy_onto_checked(value, tail)


def _copy_onto_checked(value, tail):
    if value is NIL:
        return tail
    if not isinstance(value, Pair):
        raise ListTypeError("expected a proper list")
    head = last = Pair(value.car, NIL)
    value = value.cdr
    count, tortoise, power = 1, value, 1
    while isinstance(value, Pair):
        last.cdr = last = Pair(value.car, NIL)
        value = value.cdr
        count += 1
        if value is tortoise:
            raise _circular()
        if count == power:
            tortoise, power = value, power * 2
    if value is not NIL:
        raise ListTypeError("expected a proper list")
    last.cdr = tail
    return head


@builtin("append", rest="list")
def append(*lists):
    if not lists:
        return NIL
    result = lists[-1]
    for index in range(len(lists) - 2, -1, -1):
        result = _copy_onto(lists[index], result)
    return result


@builtin("append!", rest="list")
def append_destructive(*lists):
    return append(*lists)


@builtin("reverse", types=("list",))
def reverse(value):
    result = NIL
    count, tortoise, power = 0, value, 1  # Brent's cycle check, as in length
    while isinstance(value, Pair):
        result = Pair(value.car, result)
        value = value.cdr
        count += 1
        if value is tortoise:
            raise _circular()
        if count == power:
            tortoise, power = value, power * 2
    if value is not NIL:
        raise ListTypeError("expected a proper list")
    return result


@builtin("list-tail", types=("list", "index"))
def list_tail(value, k):
    for _ in range(_count(k)):
        if not isinstance(value, Pair):
            raise IndexError(f"index {k} is past the end of the list")
        value = value.cdr
    return value


@builtin("list-ref", types=("pair", "index"))
def list_ref(value, k):
    tail = list_tail(value, k)
    if not isinstance(tail, Pair):
        raise IndexError(f"index {k} is past the end of the list")
    return tail.car


@builtin("list-set!", types=("pair", "index", "any"))
def list_set(value, k, item):
    tail = list_tail(value, k)
    if not isinstance(tail, Pair):
        raise IndexError(f"index {k} is past the end of the list")
    tail.car = item
    return None


@builtin("list-copy", types=("any",))
def list_copy(value):
    try:
        items, tail = list_spine(value)
    except ValueError:
        raise ListTypeError("expected a list, not a circular one") from None
    return make_list(items, tail)


@builtin("last-pair", types=("pair",))
def last_pair(value):
    if not isinstance(value, Pair):
        raise ListTypeError("expected a pair")
    # Brent's cycle check (as in data.list_spine): every walker stops on a circular list.
    tortoise, steps, power = value, 0, 1
    while isinstance(value.cdr, Pair):
        value = value.cdr
        if value is tortoise:
            raise _circular()
        steps += 1
        if steps == power:
            tortoise, steps, power = value, 0, power * 2
    return value


@builtin("make-list", types=("index", "any"))
def make_list_(count, fill=None):
    return build_list(check_allocation(_count(count)), fill=fill)


# Keys eqv? and equal? answer by type and value alone, so a search for one compares
# inline, with no call: symbols and characters (interned: identity), #t and #f, exact
# integers and strings (the type test keeps 1 from matching 1.0 or #t).
_SIMPLE_KEY_TYPES = frozenset((Symbol, Char, bool, int, str))


def _member_search(item, value, same):
    if same is is_eqv or same is is_equal:
        kind = type(item)
        if kind in _SIMPLE_KEY_TYPES:
            return _member_value(item, value, kind)
    tortoise, steps, power = value, 0, 1
    while isinstance(value, Pair):
        if same(item, value.car):
            return value
        value = value.cdr
        if value is tortoise:
            raise _circular()
        steps += 1
        if steps == power:
            tortoise, steps, power = value, 0, power * 2
    return False


@builtin("memq", types=("any", "list"))
def memq(item, value):
    return _member_search(item, value, is_eqv)


@builtin("memv", types=("any", "list"))
def memv(item, value):
    return _member_search(item, value, is_eqv)


def _scheme_test(compare):
    """A two-argument Scheme predicate as a Python test."""
    return lambda left, right: apply_procedure(compare, (left, right)) is not False


@builtin("member", types=("any", "list", "procedure"))
def member(item, value, compare=None):
    return _member_search(item, value, is_equal if compare is None else _scheme_test(compare))


def _member_value(item, value, kind):
    tortoise, steps, power = value, 0, 1
    while isinstance(value, Pair):
        element = value.car
        if element is item or (type(element) is kind and element == item):
            return value
        value = value.cdr
        if value is tortoise:
            raise _circular()
        steps += 1
        if steps == power:
            tortoise, steps, power = value, 0, power * 2
    return False


def _association_search(key, alist, same):
    if same is is_eqv or same is is_equal:
        kind = type(key)
        if kind in _SIMPLE_KEY_TYPES:
            return _association_value(key, alist, kind)
    tortoise, steps, power = alist, 0, 1
    while isinstance(alist, Pair):
        entry = alist.car
        if not isinstance(entry, Pair):
            raise ListTypeError("expected an association list (a list of pairs)")
        if same(key, entry.car):
            return entry
        alist = alist.cdr
        if alist is tortoise:
            raise _circular()
        steps += 1
        if steps == power:
            tortoise, steps, power = alist, 0, power * 2
    return False


def _association_value(key, alist, kind):
    tortoise, steps, power = alist, 0, 1
    while isinstance(alist, Pair):
        entry = alist.car
        if not isinstance(entry, Pair):
            raise ListTypeError("expected an association list (a list of pairs)")
        candidate = entry.car
        if candidate is key or (type(candidate) is kind and candidate == key):
            return entry
        alist = alist.cdr
        if alist is tortoise:
            raise _circular()
        steps += 1
        if steps == power:
            tortoise, steps, power = alist, 0, power * 2
    return False


def _eqv_association(name: str):
    """assq or assv (the same here): for a key compared by value, a list of pairs walked
    unchecked first (see _UNCHECKED_STEPS), anything else on the checked path."""

    def search(key, alist):
        kind = type(key)
        if kind in _SIMPLE_KEY_TYPES:
            cell = alist
            for _ in _UNCHECKED_STEPS:
                if type(cell) is not Pair and type(cell) is not SourcePair:
                    if cell is NIL:
                        return False
                    break
                entry = cell.car
                if type(entry) is not Pair and type(entry) is not SourcePair:
                    break
                candidate = entry.car
                if candidate is key or (type(candidate) is kind and candidate == key):
                    return entry
                cell = cell.cdr
        return _association_search(key, alist, is_eqv)

    search.__name__ = search.__qualname__ = name
    return builtin(name, types=("any", "list"))(search)


assq = _eqv_association("assq")
assv = _eqv_association("assv")


@builtin("assoc", types=("any", "list", "procedure"))
def assoc(key, alist, compare=None):
    return _association_search(key, alist, is_equal if compare is None else _scheme_test(compare))


def _columns(lists):
    """The elements of several lists side by side, stopping at the shortest (R7RS map).

    A circular list among them is fine as long as another one is finite: it is
    walked only as far as the shortest finite list goes.
    """
    columns = []
    for value in lists:
        try:
            items, tail = list_spine(value)
        except ValueError:  # circular: its elements are taken below
            columns.append(None)
            continue
        if tail is not NIL:
            raise ListTypeError("expected a proper list")
        columns.append(items)
    finite = [len(column) for column in columns if column is not None]
    if not finite:
        raise ListTypeError("expected a proper list: every list is circular")
    count = min(finite)
    for position, column in enumerate(columns):
        if column is None:
            column, cell = [], lists[position]
            for _ in range(count):
                column.append(cell.car)
                cell = cell.cdr
            columns[position] = column
    return [tuple(column[index] for column in columns) for index in range(count)]


@builtin("map", types=("procedure", "list"), rest="list")
def map_(procedure, first, *rest):
    if not rest and type(procedure) is FunctionType:
        info = PROCEDURES.get(id(procedure.__code__))
        if info is not None and (info.required == 1 or (info.rest and info.required == 0)):
            # A compiled procedure one argument suits (as runtime.takes_one_argument says),
            # called directly: the common (map f list). The list is checked whole first, as
            # elements() does (Brent's cycle check, as in data.list_spine), before any call.
            items = []
            append = items.append
            cell = tortoise = first
            steps, power = 0, 1
            while isinstance(cell, Pair):
                append(cell.car)
                cell = cell.cdr
                if cell is tortoise:
                    raise _circular()
                steps += 1
                if steps == power:
                    tortoise, steps, power = cell, 0, power * 2
            if cell is not NIL:
                raise ListTypeError("expected a proper list")
            head = last = Pair(None, NIL)
            for item in items:
                result = procedure(item)
                if type(result) is TailCall:
                    result = complete(result)
                last.cdr = last = Pair(result, NIL)
            return head.cdr
    if not is_procedure(procedure):
        raise ListTypeError("expected a procedure")  # explained from the declared types
    if not rest:
        results = [apply_procedure(procedure, (item,)) for item in elements(first)]
    else:
        results = [apply_procedure(procedure, row) for row in _columns((first, *rest))]
    return make_list(results)


@builtin("for-each", types=("procedure", "list"), rest="list")
def for_each(procedure, first, *rest):
    if not is_procedure(procedure):
        raise ListTypeError("expected a procedure")  # explained from the declared types
    if not rest:
        direct = takes_one_argument(procedure)  # then called directly, as map does
        value = first
        tortoise, steps, power = value, 0, 1
        while isinstance(value, Pair):
            if direct:
                result = procedure(value.car)
                if type(result) is TailCall:
                    complete(result)
            else:
                apply_procedure(procedure, (value.car,))
            value = value.cdr
            if value is tortoise:
                raise _circular()
            steps += 1
            if steps == power:
                tortoise, steps, power = value, 0, power * 2
    else:
        for row in _columns((first, *rest)):
            apply_procedure(procedure, row)
    return None


@builtin("filter", types=("procedure", "list"))
def filter_(predicate, value):
    return make_list([item for item in elements(value) if apply_procedure(predicate, (item,)) is not False])


@builtin("remove", types=("procedure", "list"))
def remove(predicate, value):
    return make_list([item for item in elements(value) if apply_procedure(predicate, (item,)) is False])


@builtin("partition", types=("procedure", "list"))
def partition(predicate, value):
    inside, outside = [], []
    for item in elements(value):
        (inside if apply_procedure(predicate, (item,)) is not False else outside).append(item)
    return MultipleValues((make_list(inside), make_list(outside)))


@builtin("delete", types=("any", "list", "procedure"))
def delete(item, value, compare=None):
    if compare is None:
        return make_list([element for element in elements(value) if not is_equal(item, element)])
    return make_list([element for element in elements(value)
                      if apply_procedure(compare, (item, element)) is False])


@builtin("delete-duplicates", types=("list", "procedure"))
def delete_duplicates(value, compare=None):
    kept: list = []
    for item in elements(value):
        if compare is None:
            duplicate = any(is_equal(seen, item) for seen in kept)
        else:
            duplicate = any(apply_procedure(compare, (seen, item)) is not False for seen in kept)
        if not duplicate:
            kept.append(item)
    return make_list(kept)


@builtin("fold", types=("procedure", "any", "list"), rest="list")
def fold(procedure, initial, first, *rest):
    """SRFI-1 fold: (kons element accumulator)."""
    accumulator = initial
    if not rest:
        for item in elements(first):
            accumulator = apply_procedure(procedure, (item, accumulator))
    else:
        for row in _columns((first, *rest)):
            accumulator = apply_procedure(procedure, (*row, accumulator))
    return accumulator


@builtin("fold-right", types=("procedure", "any", "list"), rest="list")
def fold_right(procedure, initial, first, *rest):
    accumulator = initial
    if not rest:
        for item in reversed(elements(first)):
            accumulator = apply_procedure(procedure, (item, accumulator))
    else:
        for row in reversed(_columns((first, *rest))):
            accumulator = apply_procedure(procedure, (*row, accumulator))
    return accumulator


@builtin("reduce", types=("procedure", "any", "list"))
def reduce(procedure, initial, value):
    items = elements(value)
    if not items:
        return initial
    accumulator = items[0]
    for item in items[1:]:
        accumulator = apply_procedure(procedure, (item, accumulator))
    return accumulator


@builtin("iota", types=("index", "number", "number"))
def iota(count, start=0, step=1):
    return build_list(check_allocation(_count(count)), lambda index: start + index * step)


@builtin("any", types=("procedure", "list"), rest="list")
def any_(predicate, first, *rest):
    rows = [(item,) for item in elements(first)] if not rest else _columns((first, *rest))
    for row in rows:
        result = apply_procedure(predicate, row)
        if result is not False:
            return result
    return False


@builtin("every", types=("procedure", "list"), rest="list")
def every(predicate, first, *rest):
    rows = [(item,) for item in elements(first)] if not rest else _columns((first, *rest))
    result = True
    for row in rows:
        result = apply_procedure(predicate, row)
        if result is False:
            return False
    return result


@builtin("find", types=("procedure", "list"))
def find(predicate, value):
    for item in elements(value):
        if apply_procedure(predicate, (item,)) is not False:
            return item
    return False


@builtin("find-tail", types=("procedure", "list"))
def find_tail(predicate, value):
    tortoise, steps, power = value, 0, 1
    while isinstance(value, Pair):
        if apply_procedure(predicate, (value.car,)) is not False:
            return value
        value = value.cdr
        if value is tortoise:
            raise _circular()
        steps += 1
        if steps == power:
            tortoise, steps, power = value, 0, power * 2
    return False


@builtin("filter-map", types=("procedure", "list"))
def filter_map(procedure, value):
    results = []
    for item in elements(value):
        result = apply_procedure(procedure, (item,))
        if result is not False:
            results.append(result)
    return make_list(results)


@builtin("append-map", types=("procedure", "list"))
def append_map(procedure, value):
    return append(*[apply_procedure(procedure, (item,)) for item in elements(value)], NIL)


@builtin("count", types=("procedure", "list"))
def count(predicate, value):
    return sum(1 for item in elements(value) if apply_procedure(predicate, (item,)) is not False)


@builtin("list-index", types=("procedure", "list"))
def list_index(predicate, value):
    for index, item in enumerate(elements(value)):
        if apply_procedure(predicate, (item,)) is not False:
            return index
    return False


def _nth(index: int, name: str):
    def nth(value):
        for _ in range(index):
            value = value.cdr
            if not isinstance(value, Pair):
                raise fault(f"{name}: the list has fewer than {index + 1} elements", kind="wrong-type")
        return value.car

    nth.__name__ = name
    return builtin(name, types=("pair",))(nth)


for _index, _name in enumerate(("first", "second", "third", "fourth", "fifth")):
    _nth(_index, _name)


@builtin("last", types=("pair",))
def last(value):
    return last_pair(value).car


@builtin("take", "list-head", types=("list", "index"))
def take(value, count):
    items = []
    for _ in range(_count(count)):
        if not isinstance(value, Pair):
            raise IndexError(f"the list has fewer than {count} elements")
        items.append(value.car)
        value = value.cdr
    return make_list(items)


@builtin("drop", types=("list", "index"))
def drop(value, count):
    return list_tail(value, count)


def merge_sort(items: list, less) -> list:
    """A stable merge sort calling ``less`` through Scheme (no C ``sorted`` calling back into Scheme)."""
    width = 1
    count = len(items)
    items = list(items)
    while width < count:
        merged = []
        for start in range(0, count, 2 * width):
            left = items[start:start + width]
            right = items[start + width:start + 2 * width]
            i = j = 0
            while i < len(left) and j < len(right):
                if apply_procedure(less, (right[j], left[i])) is not False:
                    merged.append(right[j])
                    j += 1
                else:
                    merged.append(left[i])
                    i += 1
            merged.extend(left[i:])
            merged.extend(right[j:])
        items = merged
        width *= 2
    return items


@builtin("sort", "list-sort", types=("any", "any"))
def sort(first, second):
    # Both argument orders are in use: (sort list less?) in SRFI-95, (list-sort less? list) in R6RS/SRFI-132.
    if is_procedure(first) and not is_procedure(second):
        first, second = second, first
    if type(first) is Vector:
        return Vector(merge_sort(first, second))
    return make_list(merge_sort(elements(first), second))
