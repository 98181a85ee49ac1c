"""First-class environments: interaction-environment, new-environment / scheme-report-environment, flow-load!."""

from __future__ import annotations

import pytest

from sxflow import Environment, Interpreter, SchemeError


def test_interaction_environment_is_the_interpreters_globals():
    sx = Interpreter()
    assert sx.eval("(interaction-environment)") is sx.environment
    sx.eval("(eval '(define from-eval 42) (interaction-environment))")
    assert sx["from-eval"] == 42


def test_new_environment_is_fresh_and_separate():
    sx = Interpreter()
    sx.eval("(define mine 1) (define fresh (new-environment))")
    fresh = sx["fresh"]
    assert isinstance(fresh, Environment) and fresh is not sx.environment
    assert sx.eval("(eval '(+ 1 2) fresh)") == 3  # the standard procedures are there
    with pytest.raises(SchemeError, match="unbound variable: mine"):
        sx.eval("(eval 'mine fresh)")
    sx.eval("(scheme-eval-program (scheme-parse-all \"(define only-there 5)\") fresh)")
    assert "only-there" not in sx
    assert sx.eval("(eval 'only-there fresh)") == 5
    assert sx.eval("(environment? (scheme-report-environment 5))") is True
    assert sx.eval("(eq? (new-environment) (new-environment))") is False


def test_flow_load_loads_once():
    sx = Interpreter()
    assert "flow-transport" not in sx
    sx.eval("(flow-load!)")
    assert "flow-transport" in sx and "flow-store-put!" in sx
    sx.eval('(flow-store-put! "k" 1) (flow-load!)')
    assert sx.eval('(flow-store-get "k")') == 1
