"""Parameter objects from Python: per-thread parameterization, restoring on every exit."""

from __future__ import annotations

import threading

import pytest

import sxflow


@pytest.mark.slow
def test_a_parameterization_is_seen_only_by_its_own_thread():
    interpreter = sxflow.Interpreter()
    inside, release = threading.Event(), threading.Event()
    interpreter["signal-inside"] = lambda: inside.set()
    interpreter["wait-release"] = lambda: release.wait(30)
    interpreter.eval("(define p (make-parameter 'initial))"
                     "(define (hold) (parameterize ((p 'thread-a)) (signal-inside) (wait-release) (p)))")
    results = {}
    worker = threading.Thread(target=lambda: results.setdefault("a", interpreter.call("hold")))
    worker.start()
    try:
        assert inside.wait(30)
        assert interpreter.eval("(p)") is sxflow.Symbol("initial")  # this thread: not parameterized
        assert interpreter.eval("(parameterize ((p 'main)) (p))") is sxflow.Symbol("main")
    finally:
        release.set()
        worker.join(30)
    assert results["a"] is sxflow.Symbol("thread-a")
    assert interpreter.eval("(p)") is sxflow.Symbol("initial")


def test_the_same_parameter_twice_in_one_parameterize_is_restored():
    interpreter = sxflow.Interpreter()
    interpreter.eval("(define p (make-parameter 0))")
    assert interpreter.eval("(parameterize ((p 1) (p 2)) (p))") in (1, 2)
    assert interpreter.eval("(p)") == 0
    assert interpreter.eval("(parameterize ((p 1)) (parameterize ((p 2)) (p)) (p))") == 1
