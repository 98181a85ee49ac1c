"""Calling, tail calls, deep recursion and the Python boundary (sxflow/runtime.py)."""

import sys

import pytest

from sxflow import Interpreter, NIL, Pair, SchemeError, Symbol, Vector, to_python, to_scheme
from sxflow.runtime import Closure


@pytest.fixture
def interp():
    return Interpreter()


@pytest.mark.slow
def test_tail_loop_of_ten_million_iterations_runs_in_constant_stack(interp):
    limit_before = sys.getrecursionlimit()
    assert interp.eval("(let loop ((i 0)) (if (< i 10000000) (loop (+ i 1)) i))") == 10_000_000
    assert sys.getrecursionlimit() == limit_before


def test_mutual_tail_recursion(interp):
    interp.eval("""
      (define (my-even? n) (if (= n 0) #t (my-odd? (- n 1))))
      (define (my-odd? n) (if (= n 0) #f (my-even? (- n 1))))""")
    assert interp.eval("(my-even? 1000001)") is False


def test_apply_in_tail_position_is_a_tail_call(interp):
    interp.eval("(define (loop n) (if (= n 0) 'done (apply loop (list (- n 1)))))")
    assert interp.eval("(loop 1000000)") is Symbol("done")


@pytest.mark.slow
def test_deep_non_tail_recursion(interp):
    interp.eval("(define (count n) (if (= n 0) 0 (+ 1 (count (- n 1)))))")
    assert interp.eval("(count 1000000)") == 1_000_000


def test_runaway_recursion_is_a_catchable_error_naming_the_procedure():
    interp = Interpreter(max_depth=20_000)
    interp.eval("(define (f) (+ 1 (f)))")
    with pytest.raises(SchemeError) as caught:
        interp.eval("(f)", "prog.sx")
    assert "recursion too deep in f" in caught.value.message
    assert "call to f (repeated" in str(caught.value)
    assert interp.eval("(guard (e ((error-object? e) (error-object-message e))) (f))").startswith(
        "recursion too deep in f")
    # The interpreter keeps working afterwards.
    assert interp.eval("(+ 1 2)") == 3


def test_depth_limit_is_settable():
    shallow = Interpreter(max_depth=1_000)
    shallow.eval("(define (count n) (if (= n 0) 0 (+ 1 (count (- n 1)))))")
    assert shallow.eval("(count 200)") == 200
    with pytest.raises(SchemeError, match="recursion too deep"):
        shallow.eval("(count 100000)")


def test_recursion_limit_is_restored_after_errors():
    before = sys.getrecursionlimit()
    interp = Interpreter(max_depth=1_000)
    interp.eval("(define (f) (+ 1 (f)))")
    with pytest.raises(SchemeError):
        interp.eval("(f)")
    assert sys.getrecursionlimit() == before


def test_recursion_through_python_callables_is_bounded():
    interp = Interpreter()
    interp["bounce"] = lambda n: interp["down"](n)
    interp.eval("(define (down n) (if (= n 0) 'bottom (bounce (- n 1))))")
    assert interp.eval("(down 100)") is Symbol("bottom")
    with pytest.raises(SchemeError, match="recursion too deep"):
        interp.eval("(down 1000000)")
    assert interp.eval("(down 10)") is Symbol("bottom")


@pytest.mark.slow
def test_deep_map_recursion(interp):
    interp.eval("(define (nest n) (if (= n 0) '() (list (nest (- n 1)))))")
    interp.eval("(define (depth t) (if (null? t) 0 (+ 1 (apply max (map depth t)))))")
    assert interp.eval("(depth (nest 100000))") == 100_000


@pytest.mark.slow
def test_builtins_on_long_lists(interp):
    interp.eval("(define big (iota 1000000))")
    assert interp.eval("(length (append big big))") == 2_000_000
    assert interp.eval("(length (map (lambda (x) (+ x 1)) big))") == 1_000_000
    assert interp.eval("(equal? big (list-copy big))") is True


@pytest.mark.slow
def test_builtins_on_deep_nesting(interp):
    interp.eval("(define (nest n) (let loop ((i 0) (acc '())) (if (= i n) acc (loop (+ i 1) (list acc)))))")
    assert interp.eval("(equal? (nest 100000) (nest 100000))") is True
    assert interp.eval("(equal? (nest 100000) (nest 99999))") is False
    deep = interp.eval("(nest 100000)")
    from sxflow import write_string

    assert write_string(deep) == "(" * 100001 + ")" * 100001


def test_closure_repr_and_name(interp):
    interp.eval("(define (double x) (* 2 x))")
    double = interp["double"]
    assert isinstance(double, Closure)
    assert double.name == "double"
    assert "double" in repr(double)


def test_to_scheme_and_back():
    value = to_scheme([1, [2, (3,)], "s", None])
    assert value == Pair(1, Pair(Pair(2, Pair(Pair(3, NIL), NIL)), Pair("s", Pair(None, NIL))))
    assert to_python(value) == [1, [2, [3]], "s", None]


def test_to_scheme_shares_and_rejects_cycles():
    shared = [1]
    assert to_scheme([shared, shared]) == to_scheme([[1], [1]])
    cyclic = [1]
    cyclic.append(cyclic)
    with pytest.raises(ValueError):
        to_scheme(cyclic)


def test_to_scheme_keeps_vectors_and_converts_only_plain_lists_and_tuples():
    vector = Vector([1, [2]])
    assert to_scheme(vector) is vector and type(vector[1]) is list  # a Vector is taken as it is
    value = to_scheme([vector, (Vector(),), [3]])
    assert value.car is vector
    assert type(value.cdr.car.car) is Vector
    assert value.cdr.cdr.car == Pair(3, NIL)


def test_to_python_gives_plain_lists_sharing_and_cycles_kept():
    interp = Interpreter()
    value = interp.eval("(let ((v (vector 1 '(2 . 3)))) (list v v #()))")
    converted = to_python(value)
    assert converted == [[1, [2, 3]], [1, [2, 3]], []]
    assert all(type(item) is list for item in converted)
    assert converted[0] is converted[1]  # shared in Scheme, shared in Python
    cyclic = interp.eval("(let ((v (vector 1 2))) (vector-set! v 1 v) v)")
    back = to_python(cyclic)
    assert type(back) is list and back[0] == 1 and back[1] is back
    with pytest.raises(ValueError, match="circular"):
        to_python(interp.eval("(let ((l (list 1 2))) (set-cdr! (cdr l) l) l)"))
    deep = interp.eval("(let loop ((i 0) (v #())) (if (= i 100000) v (loop (+ i 1) (vector v))))")
    back = to_python(deep)
    for _ in range(100_000):
        back = back[0]
    assert back == []


def test_a_vector_is_a_list_of_its_own_type():
    import copy
    import pickle

    vector = Vector([1, Symbol("a"), Vector([2])])
    assert isinstance(vector, list) and vector == [1, Symbol("a"), [2]]
    assert repr(vector) == "Vector([1, Symbol('a'), Vector([2])])"
    for clone in (copy.deepcopy(vector), pickle.loads(pickle.dumps(vector))):
        assert type(clone) is Vector and type(clone[2]) is Vector and clone == vector
    cyclic = Vector([1])
    cyclic.append(cyclic)
    clone = pickle.loads(pickle.dumps(cyclic))
    assert type(clone) is Vector and clone[1] is clone
    assert type(vector[0:2]) is list  # slices are plain lists, as the class documents


def test_to_scheme_handles_deep_nesting():
    value = []
    for _ in range(100_000):
        value = [value]
    converted = to_scheme(value)
    depth = 0
    while converted is not NIL:
        converted = converted.car
        depth += 1
    assert depth == 100_000


def test_arity_errors(interp):
    interp.eval("(define (double x) (* 2 x)) (define (at-least-one a . rest) rest)")
    with pytest.raises(SchemeError, match=r"double: expected 1 argument, got 2"):
        interp.eval("(double 1 2)")
    with pytest.raises(SchemeError, match=r"at-least-one: expected at least 1 argument, got 0"):
        interp.eval("(at-least-one)")
    with pytest.raises(SchemeError, match=r"double: expected 1 argument, got 0"):
        interp["double"]()


def test_not_a_procedure(interp):
    with pytest.raises(SchemeError) as caught:
        interp.eval("(5 3)", "prog.sx")
    assert caught.value.message == "not a procedure: 5 in (5 3)"
    assert (caught.value.line, caught.value.column) == (1, 1)


def test_wrong_type_messages(interp):
    for source, message in [
        ("(car '())", "car: expected a pair, got ()"),
        ('(+ 1 "a")', '+: expected a number as argument 2, got "a"'),
        ("(+ 1 #t)", "+: expected a number as argument 2, got #t"),
        ("(/ 1 0)", "/: division by zero"),
    ]:
        with pytest.raises(SchemeError) as caught:
            interp.eval(source)
        assert caught.value.message == message


def test_wrong_type_inside_procedure_points_at_the_call(interp):
    with pytest.raises(SchemeError) as caught:
        interp.eval("(define (first-of x)\n  (car x))\n(first-of 5)", "prog.sx")
    error = caught.value
    assert error.message == "car: expected a pair, got 5"
    assert (error.line, error.column) == (2, 3)
    assert "prog.sx:3:1: call to first-of" in str(error)


def test_trace_is_innermost_last_and_bounded(interp):
    interp.eval("""
      (define (a n) (+ 1 (b n)))
      (define (b n) (+ 1 (c n)))
      (define (c n) (+ 1 (car n)))""", "trace.sx")
    with pytest.raises(SchemeError) as caught:
        interp.eval("(a 1)", "main.sx")
    lines = str(caught.value).splitlines()
    trace = lines[lines.index("Scheme call trace (innermost last):") + 1:]
    assert [line.split(": call to ")[1] for line in trace] == ["a", "b", "c"]


def test_a_python_tuple_returned_in_tail_position_is_a_value_not_a_pending_call(interp):
    # A value defined straight into the environment is not converted; a tail-position reference returns it.
    interp.environment.define(Symbol("pair-of-strings"), ("str", "len"))
    interp.eval("(define (get) pair-of-strings)")
    assert interp.eval("(get)") == ("str", "len")
    assert interp.eval("(let ((x (get))) (procedure? x))") is False
    interp.eval("(define (identity x) x) (define (pass) (identity pair-of-strings))")
    assert interp.eval("(pass)") == ("str", "len")


def test_the_trampoline_is_one_function():
    from sxflow.runtime import TailCall, complete

    calls = []

    def step(count):
        calls.append(count)
        return count if len(calls) > 2 else TailCall((step, (len(calls),), None))

    assert complete(TailCall((step, (0,), None))) == 2
    assert complete(("not", "a call")) == ("not", "a call")
