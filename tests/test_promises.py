"""sxflow.promises: what delay, delay-force and make-promise make, and force."""

from __future__ import annotations

import pytest

from sxflow import Interpreter, SchemeError
from sxflow.promises import Promise, force, make_promise


def test_force_of_a_non_promise_is_the_value():
    assert force(5) == 5


def test_make_promise_is_forced_already_and_keeps_a_promise():
    promise = make_promise(7)
    assert type(promise) is Promise and force(promise) == 7
    assert make_promise(promise) is promise


def test_delay_runs_once_and_delay_force_chains_run_in_constant_stack():
    interpreter = Interpreter()
    assert interpreter.eval("(define n 0) (define p (delay (begin (set! n (+ n 1)) n))) (list (force p) (force p) n)") \
        == interpreter.eval("'(1 1 1)")
    # A chain of 100,000 delay-force steps: iterative forcing, no deep Python stack.
    assert interpreter.eval("(define (loop k) (delay-force (if (= k 0) (delay 'done) (loop (- k 1)))))"
                            "(force (loop 100000))") == interpreter.eval("'done")


def test_delay_force_of_a_non_promise_is_an_error():
    with pytest.raises(SchemeError, match="delay-force must produce a promise"):
        Interpreter().eval("(force (delay-force 5))")
