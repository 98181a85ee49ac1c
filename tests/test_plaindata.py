"""Plain data: plain-data? and plain-data-copy, cycles through cars, cdrs and vectors, deep and long data."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from sxflow import Char, Interpreter, SchemeError, Symbol, write_string
from sxflow.data import NIL, Pair, Vector, is_equal, make_list
from sxflow.library.plaindata import copy_plain_data, is_plain_data


@pytest.fixture(scope="module")
def sx():
    return Interpreter()


@pytest.mark.parametrize("text", [
    "1", "-5", "123456789012345678901234567890", "1/3", "2.5", "\"s\"", "'sym", "#t", "#f", "#\\a", "'()",
    "'(1 (2 \"three\") #(4 (5)))", "(vector)", "(list (vector 'a) (list))",
])
def test_plain(sx, text):
    assert sx.eval(f"(plain-data? {text})") is True


@pytest.mark.parametrize("text", [
    "car", "(lambda (x) x)", "(interaction-environment)", "(make-hash-table)", "(open-input-string \"\")",
    "(guard (e (#t e)) (error \"x\"))", "'(1 . 2)", "'(1 2 . 3)", "(list 1 (cons 2 3))", "(vector car)",
    "(list (list (list car)))", "(if #f #f)", "(eof-object)",
])
def test_not_plain(sx, text):
    assert sx.eval(f"(plain-data? {text})") is False


def test_cycles_are_not_plain(sx):
    sx.eval("""
      (define through-cdr (list 1 2 3)) (set-cdr! (cddr through-cdr) through-cdr)
      (define to-itself (list 1)) (set-cdr! to-itself to-itself)
      (define through-car (list 1 2)) (set-car! (cdr through-car) through-car)
      (define to-own-middle (list 1 2 3)) (set-car! (cddr to-own-middle) (cdr to-own-middle))
      (define through-vector (vector 1 2)) (vector-set! through-vector 1 (list 'x through-vector))
      (define outer (list 'a 'b)) (define inner (list 'c outer)) (set-car! outer inner)""")
    for name in ["through-cdr", "to-itself", "through-car", "to-own-middle", "through-vector", "outer", "inner"]:
        assert sx.eval(f"(plain-data? {name})") is False, name


def test_shared_structure_is_plain_and_stays_shared_in_the_copy(sx):
    # a car pointing forward into its own list's spine is sharing, not a cycle
    sx.eval("(define forward (list 1 2 3)) (set-car! forward (cddr forward))")
    assert write_string(sx.eval("(plain-data-copy forward)")) == "((3) 2 3)"
    # doubling 200 times: the tree is 2**200 leaves, the copy is 200 pairs of pairs
    value = NIL
    for _ in range(200):
        value = make_list([value, value])
    copy = copy_plain_data(value)
    for _ in range(200):
        assert copy is not value and copy.car is copy.cdr.car and copy.cdr.cdr is NIL
        copy, value = copy.car, value.car
    assert copy is NIL


def test_copy_is_deep_and_independent(sx):
    sx.eval("(define original (list 1 (list 2 (vector 3 (list 4)))))"
            "(define copy (plain-data-copy original))")
    assert sx.eval("(equal? original copy)") is True
    sx.eval("(set-car! (cadr original) 'changed) (vector-set! (cadr (cadr original)) 0 'changed)")
    assert write_string(sx["copy"]) == "(1 (2 #(3 (4))))"
    assert sx.eval("(eq? (plain-data-copy 'a) 'a)") is True


def test_copy_with_failure_value_and_error(sx):
    assert sx.eval("(plain-data-copy (list car) 'nope)") is Symbol("nope")
    with pytest.raises(SchemeError, match="plain-data-copy: not plain data"):
        sx.eval("(plain-data-copy (list car))")


@pytest.mark.slow
def test_deep_and_long_data():
    deep = NIL
    for _ in range(100_000):
        deep = Pair(deep, NIL)
    assert is_plain_data(deep)
    copy = copy_plain_data(deep)
    assert copy is not deep and is_equal(copy, deep)
    deep_vector = Vector()
    for _ in range(100_000):
        deep_vector = Vector([deep_vector])
    assert is_plain_data(deep_vector)
    copy = copy_plain_data(deep_vector)
    for _ in range(100_000):
        assert type(copy) is Vector
        copy = copy[0]
    long = make_list(range(1_000_000))
    assert is_equal(copy_plain_data(long), long)
    # a cycle at the very end of a long list is still found
    last = long
    while last.cdr is not NIL:
        last = last.cdr
    last.cdr = long
    assert not is_plain_data(long)


def test_python_values():
    assert is_plain_data(make_list([1, 2.5, Fraction(1, 3), "s", Symbol("x"), Char("a"), True, NIL,
                                    Vector([1, Vector([2])])]))
    copy = copy_plain_data(Vector([1, Vector([2])]))
    assert type(copy) is Vector and type(copy[1]) is Vector
    assert not is_plain_data([1, 2])  # a plain Python list is not a vector (to_scheme makes it a list)
    assert not is_plain_data(make_list([1, [2]]))
    assert not is_plain_data(None)
    assert not is_plain_data(object())
    assert not is_plain_data(make_list([{"a": 1}]))
    assert not is_plain_data((1, 2))  # Python tuples never reach Scheme as such


def _plain_by_definition(value) -> bool:
    """Plain-data-ness straight from the definition: recursive, with the path of containers seen."""

    def walk(value, path):
        if isinstance(value, Pair):
            if id(value) in path:
                return False
            path = path | {id(value)}
            if value.cdr is not NIL and not isinstance(value.cdr, Pair):
                return False
            return walk(value.car, path) and (value.cdr is NIL or walk(value.cdr, path))
        if type(value) is Vector:
            if id(value) in path:
                return False
            path = path | {id(value)}
            return all(walk(item, path) for item in value)
        return value is NIL or type(value) is int

    return walk(value, frozenset())


def test_random_graphs_agree_with_the_definition():
    """Random small graphs of pairs and vectors (cycles, sharing, dotted tails, non-data atoms)."""
    rng = random.Random(4)
    plain = 0
    for _ in range(5_000):
        nodes = [Pair(None, None) if rng.random() < 0.8 else Vector([None] * rng.randint(0, 2))
                 for _ in range(rng.randint(1, 7))]

        def pick():
            roll = rng.random()
            if roll < 0.3:
                return rng.choice(nodes)
            if roll < 0.5:
                return NIL
            if roll < 0.55:
                return object()
            return rng.randint(0, 3)

        for node in nodes:
            if isinstance(node, Pair):
                node.car = pick()
                node.cdr = rng.choice([NIL, NIL, rng.choice(nodes), 7])
            else:
                for index in range(len(node)):
                    node[index] = pick()
        expected = _plain_by_definition(nodes[0])
        assert is_plain_data(nodes[0]) is expected
        if expected:
            plain += 1
            assert is_equal(copy_plain_data(nodes[0]), nodes[0])
    assert plain > 500  # the generator makes both kinds
