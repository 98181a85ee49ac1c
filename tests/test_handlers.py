"""sxflow.handlers: raise and the exception-handler chain, as library procedures and guard use them."""

from __future__ import annotations

import pytest

from sxflow import Interpreter, SchemeError, Symbol
from sxflow.dynamic import NO_HANDLERS, current


def test_an_unhandled_raise_is_a_scheme_error_and_the_chain_is_left_empty():
    interpreter = Interpreter()
    with pytest.raises(SchemeError) as raised:
        interpreter.eval("(raise 'boom)")
    assert raised.value.payload is Symbol("boom")
    assert current.state.handlers is NO_HANDLERS


def test_a_handler_is_called_at_the_raise_point_with_the_outer_handlers_current():
    interpreter = Interpreter()
    assert interpreter.eval("""
      (with-exception-handler
        (lambda (outer) (list 'outer outer))
        (lambda ()
          (with-exception-handler
            (lambda (inner) (raise-continuable (list 'again inner)))
            (lambda () (raise-continuable 41)))))""") == interpreter.eval("'(outer (again 41))")


def test_a_handler_returning_from_raise_is_an_error():
    with pytest.raises(SchemeError, match="exception handler returned from a non-continuable raise"):
        Interpreter().eval("(with-exception-handler (lambda (e) 0) (lambda () (raise 'oops)))")


def test_guard_and_handlers_share_one_chain():
    interpreter = Interpreter()
    # The handler sees the raise first (it is innermost); guard then takes the re-raise.
    assert interpreter.eval("""
      (define seen '())
      (guard (e ((symbol? e) (list 'guard e seen)))
        (with-exception-handler
          (lambda (e) (set! seen (cons e seen)) (raise 'second))
          (lambda () (raise 'first))))""") == interpreter.eval("'(guard second (first))")
