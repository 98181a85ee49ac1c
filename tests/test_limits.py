"""sxflow.limits: nesting and cycle checks before compiling, allocation limits."""

from __future__ import annotations

import pytest

from sxflow import Interpreter, Pair, SchemeError, SxSyntaxError, Symbol, limits, runtime_state
from sxflow.data import NIL, make_list
from sxflow.compiler import Compiler
from sxflow.runtime import Environment

PLUS = Symbol("+")


def nested_sums(depth: int):
    form = 0
    for _ in range(depth):
        form = make_list([PLUS, 1, form])
    return form


@pytest.mark.slow
def test_nesting_at_the_limit_compiles_and_beyond_it_is_a_syntax_error():
    compiler = Compiler(Environment())
    with pytest.raises(SxSyntaxError, match="nested too deeply: code may nest at most 100,000 levels"):
        compiler.compile_toplevel(nested_sums(limits.MAX_NESTING + 1))
    interpreter = Interpreter()
    assert interpreter.eval_forms([nested_sums(20_000)]) == 20_000


def test_deep_code_under_a_small_max_depth_is_a_clean_error_not_a_traceback():
    interpreter = Interpreter(max_depth=100)
    with pytest.raises(SchemeError, match="recursion too deep"):
        interpreter.eval_forms([nested_sums(50_000)])
    assert interpreter.eval("(+ 1 2)") == 3


def test_quoted_data_is_not_counted_as_nesting():
    deep = NIL
    for _ in range(limits.MAX_NESTING + 10):
        deep = Pair(deep, NIL)
    interpreter = Interpreter()
    assert interpreter.eval_forms([make_list([Symbol("quote"), deep])]) is deep


@pytest.mark.parametrize("head", ["+", "quote", "begin", "lambda", "quasiquote", "if", "let"])
def test_a_form_whose_spine_is_circular_is_not_a_proper_list(head):
    form = make_list([Symbol(head), 1, 2])
    form.cdr.cdr.cdr = form
    with pytest.raises(SxSyntaxError, match="not a proper list"):
        Compiler(Environment()).compile_toplevel(form)


def test_a_form_containing_itself_is_not_a_proper_list():
    form = make_list([PLUS, 1, 2])
    form.cdr.car = form
    with pytest.raises(SxSyntaxError, match="contains itself"):
        Compiler(Environment()).compile_toplevel(form)


def test_shared_but_acyclic_code_compiles():
    shared = make_list([PLUS, 1, 2])
    assert Interpreter().eval_forms([make_list([PLUS, shared, shared])]) == 6


@pytest.mark.slow
def test_an_error_message_cuts_a_huge_irritant_but_the_payload_keeps_it():
    interpreter = Interpreter()
    with pytest.raises(SchemeError) as caught:
        interpreter.eval('(error "too big:" (iota 1000000) (make-string 1000000 #\\a))')
    error = caught.value
    assert len(str(error)) < 1_000
    assert error.message.startswith("too big: (0 1 2")
    assert len(error.payload.irritants[1]) == 1_000_000
    with pytest.raises(SchemeError) as caught:
        interpreter.eval("(raise (iota 1000000))")
    assert len(caught.value.message) < 300
    with pytest.raises(SchemeError) as caught:
        interpreter.eval("(car (make-string 1000000 #\\a))")
    assert len(caught.value.message) < 300


def test_the_recursion_limit_while_running_is_bounded_by_max_depth():
    """What bounds a runaway recursion's time and memory: two frames per allowed call."""
    interpreter = Interpreter(max_depth=100_000)
    seen = []
    interpreter["limit-now"] = lambda: seen.append(runtime_state()["recursion_limit"])
    interpreter.eval("(limit-now)")
    assert 200_000 <= seen[0] <= 200_000 + 1_000
    interpreter.eval("(define (count n) (if (= n 0) 0 (+ 1 (count (- n 1)))))")
    assert interpreter.eval("(count 100000)") == 100_000
