"""Vectors (``sxflow.data.Vector``, a list type of their own): construction, access with precise index errors, copying, conversion, mapping."""

from __future__ import annotations

from ..data import NIL, Pair, Vector
from ..limits import check_allocation
from ..runtime import apply_procedure, fault, is_procedure
from .indexes import check_index, check_range
from .lists import elements
from .registry import builtin


class VectorTypeError(TypeError):
    """An argument that is not a vector; the caller's declared types explain it."""


def _vector(value) -> Vector:
    if type(value) is not Vector:
        raise VectorTypeError("expected a vector")
    return value


@builtin("vector?", types=("any",), inline={1: ((None,), "type({0}) is Vector")})
def is_vector(value):
    return type(value) is Vector


@builtin("make-vector", types=("index", "any"))
def make_vector(count, fill=None):
    if type(count) is not int or count < 0:
        raise VectorTypeError("expected a non-negative count")
    return Vector([fill] * check_allocation(count))


@builtin("vector", rest="any")
def vector(*items):
    return Vector(items)


@builtin("vector-length", types=("vector",), inline={1: (("Vector",), "len({0})")})
def vector_length(value):
    if type(value) is Vector:  # the common case first, without a helper call
        return len(value)
    return len(_vector(value))


# Inlined by generated code behind the same test as the common case below.
@builtin("vector-ref", types=("vector", "index"),
         inline={2: (("Vector", "int"), "{0}[{1}]", None, "0 <= {1} < len({0})")})
def vector_ref(value, index):
    if type(value) is Vector and type(index) is int and 0 <= index < len(value):  # the common case, inline
        return value[index]
    return _vector(value)[check_index("vector-ref", index, len(value), "vector")]


@builtin("vector-set!", types=("vector", "index", "any"),
         inline={3: (("Vector", "int", None), "{0}.__setitem__({1}, {2})", None, "0 <= {1} < len({0})")})
def vector_set(value, index, item):
    if type(value) is Vector and type(index) is int and 0 <= index < len(value):  # the common case, inline
        value[index] = item
        return
    _vector(value)[check_index("vector-set!", index, len(value), "vector")] = item


@builtin("vector->list", types=("vector", "index", "index"))
def vector_to_list(value, start=0, end=None):
    start, end = check_range("vector->list", start, end, len(_vector(value)), "vector")
    result = NIL
    for index in range(end - 1, start - 1, -1):
        result = Pair(value[index], result)
    return result


@builtin("list->vector", types=("list",))
def list_to_vector(value):
    return Vector(elements(value))


@builtin("vector-fill!", types=("vector", "any", "index", "index"))
def vector_fill(value, fill, start=0, end=None):
    start, end = check_range("vector-fill!", start, end, len(_vector(value)), "vector")
    value[start:end] = [fill] * (end - start)


@builtin("vector-copy", types=("vector", "index", "index"))
def vector_copy(value, start=0, end=None):
    start, end = check_range("vector-copy", start, end, len(_vector(value)), "vector")
    return Vector(value[start:end])


@builtin("vector-copy!", types=("vector", "index", "vector", "index", "index"))
def vector_copy_into(target, at, source, start=0, end=None):
    """R7RS (vector-copy! to at from [start end]); overlapping ranges copy correctly."""
    start, end = check_range("vector-copy!", start, end, len(_vector(source)), "vector")
    _vector(target)
    if type(at) is not int:
        raise VectorTypeError("expected an index")
    if at < 0 or at > len(target) or at + (end - start) > len(target):
        raise fault(f"vector-copy!: copying {end - start} elements to index {at} overruns "
                    f"the target vector of length {len(target)}", kind="wrong-type")
    target[at:at + end - start] = source[start:end]


@builtin("vector-append", rest="vector")
def vector_append(*vectors):
    result = Vector()
    for value in vectors:
        result.extend(_vector(value))
    return result


def _rows(procedure, vectors):
    """The elements of several vectors side by side, up to the shortest."""
    if not is_procedure(procedure):
        raise VectorTypeError("expected a procedure")
    for value in vectors:
        _vector(value)
    if len(vectors) == 1:
        return [(item,) for item in vectors[0]]
    count = min(len(value) for value in vectors)
    return [tuple(value[index] for value in vectors) for index in range(count)]


@builtin("vector-map", types=("procedure", "vector"), rest="vector")
def vector_map(procedure, first, *rest):
    return Vector([apply_procedure(procedure, row) for row in _rows(procedure, (first, *rest))])


@builtin("vector-for-each", types=("procedure", "vector"), rest="vector")
def vector_for_each(procedure, first, *rest):
    for row in _rows(procedure, (first, *rest)):
        apply_procedure(procedure, row)
    return None
