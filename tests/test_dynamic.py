"""sxflow.dynamic: dynamic state per thread and interpreter, the recursion limit, and interrupts."""

from __future__ import annotations

import gc
import random
import signal
import sys
import threading
import time

import pytest

import sxflow
from sxflow import Interpreter, SchemeError, Symbol, runtime_state

COUNT = "(define (count n) (if (= n 0) 0 (+ 1 (count (- n 1)))))"
RESTING_GC = gc.get_threshold()  # the host's collector thresholds (the test process's)


def assert_resting(limit: int) -> None:
    state = runtime_state()
    assert state["handler_depth"] == 0
    assert state["thread_entries"] == 0
    assert state["active_calls"] == 0
    assert state["recursion_limit"] == limit == sys.getrecursionlimit()
    assert state["gc_enabled"]
    assert state["gc_threshold"] == state["resting_gc_threshold"] == gc.get_threshold() == RESTING_GC


def run_threads(targets, timeout=120):
    errors = []

    def wrap(target):
        def run():
            try:
                target()
            except BaseException as error:  # reported by the main thread
                errors.append(error)
        return run

    threads = [threading.Thread(target=wrap(target)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive()
    if errors:
        raise errors[0]


# -- threads ------------------------------------------------------------------------


GUARD_LOOP = """
(define (python-yield) (py-yield))
(let loop ((i 0) (caught 0))
  (if (= i {count})
      caught
      (loop (+ i 1)
            (+ caught (guard (e ((eq? e '{tag}) 1))
                        (python-yield)
                        (raise '{tag}))))))
"""

HANDLER_LOOP = """
(let loop ((i 0) (total 0))
  (if (= i {count})
      total
      (loop (+ i 1)
            (+ total (with-exception-handler
                       (lambda (e) (if (eq? e '{tag}) 1 1000))
                       (lambda () (py-yield) (raise-continuable '{tag})))))))
"""


def yielding():
    time.sleep(0)  # lets another thread run in the middle of a guard


@pytest.mark.parametrize("program", [GUARD_LOOP, HANDLER_LOOP], ids=["guard", "handler"])
def test_threads_with_their_own_interpreters_do_not_see_each_others_handlers(program):
    results = {}

    def worker(tag):
        def run():
            interpreter = Interpreter()
            interpreter["py-yield"] = yielding
            results[tag] = interpreter.eval(program.format(count=300, tag=tag))
        return run

    for _ in range(3):
        results.clear()
        run_threads([worker(f"tag-{n}") for n in range(4)])
        assert results == {f"tag-{n}": 300 for n in range(4)}


def test_one_interpreter_shared_by_threads_serialises_them():
    interpreter = Interpreter()
    interpreter["py-yield"] = yielding
    results = {}

    def worker(tag):
        def run():
            results[tag] = interpreter.eval(GUARD_LOOP.format(count=200, tag=tag))
            results[tag + "-handler"] = interpreter.eval(HANDLER_LOOP.format(count=200, tag=tag))
        return run

    run_threads([worker(f"tag-{n}") for n in range(4)])
    assert set(results.values()) == {200}
    assert len(results) == 8


def test_deep_recursion_in_one_thread_survives_others_starting_and_stopping():
    limit = sys.getrecursionlimit()
    deep = Interpreter()
    deep.eval(COUNT)
    finished = threading.Event()
    outcome = {}

    def recurse():
        try:
            for _ in range(3):
                outcome.setdefault("values", []).append(deep.eval("(count 50000)"))
        finally:
            finished.set()

    def churn():
        runs = 0
        while not finished.is_set() and runs < 2000:
            small = Interpreter(max_depth=100)
            small.eval(COUNT + " (count 10)")
            runs += 1

    run_threads([recurse, churn, churn])
    assert outcome["values"] == [50000] * 3
    assert_resting(limit)


@pytest.mark.slow
def test_a_deep_recursion_in_a_worker_thread_does_not_crash():
    interpreter = Interpreter()
    interpreter.eval(COUNT)
    interpreter.eval("(define (mapped n) (if (= n 0) 0 (+ 1 (car (map (lambda (k) (mapped (- k 1))) (list n))))))")
    results = []
    run_threads([lambda: results.append(interpreter.eval("(list (count 50000) (mapped 50000))"))])
    assert sxflow.to_python(results[0]) == [50000, 50000]


def test_an_interpreter_inside_another_keeps_its_own_max_depth():
    inner = Interpreter(max_depth=200_000)
    inner.eval(COUNT)
    outer = Interpreter(max_depth=50)
    outer["inner-count"] = lambda n: inner.call("count", n)
    assert outer.eval("(inner-count 60000)") == 60000


def test_a_closure_called_from_python_runs_under_its_interpreters_max_depth():
    shallow = Interpreter(max_depth=100)
    shallow.eval(COUNT)
    with pytest.raises(SchemeError, match="recursion too deep"):
        shallow["count"](100_000)
    deep = Interpreter(max_depth=200_000)
    deep.eval(COUNT)
    assert deep["count"](100_000) == 100_000


def test_a_raise_escaping_another_interpreter_is_caught_by_the_callers_guard():
    inner = Interpreter()
    inner.eval("(define (fail) (raise 'inner-failure))")
    outer = Interpreter()
    outer["call-inner"] = lambda: inner.call("fail")
    assert outer.eval("(guard (e ((eq? e 'inner-failure) 'caught)) (guard (e (#f 0)) (call-inner)))") \
        is Symbol("caught")


# -- the collector's threshold and the frame room ---------------------------------------


def test_the_collector_threshold_is_raised_while_scheme_runs_and_put_back_on_every_exit():
    from sxflow import dynamic

    limit = sys.getrecursionlimit()
    interpreter = Interpreter()
    seen = []
    interpreter["threshold"] = lambda: seen.append(gc.get_threshold())
    interpreter["interrupt"] = interrupting
    assert interpreter.eval("(threshold) 1") == 1
    assert seen == [(dynamic.SCHEME_GC_THRESHOLD, *RESTING_GC[1:])]
    assert_resting(limit)
    with pytest.raises(SchemeError, match="car: expected a pair"):
        interpreter.eval("(threshold) (car 1)")
    assert_resting(limit)
    with pytest.raises(KeyboardInterrupt):
        interpreter.eval("(threshold) (interrupt)")
    assert_resting(limit)
    # Nested entries (Scheme -> Python -> Scheme) keep it raised until the outermost leaves.
    interpreter.eval("(define (inner) (threshold))")
    interpreter["call-inner"] = lambda: interpreter.call("inner")
    seen.clear()
    interpreter.eval("(call-inner) (threshold)")
    assert seen == [(dynamic.SCHEME_GC_THRESHOLD, *RESTING_GC[1:])] * 2
    assert_resting(limit)


def test_collector_thresholds_the_host_sets_are_kept():
    interpreter = Interpreter()
    seen = []
    interpreter["threshold"] = lambda: seen.append(gc.get_threshold())
    interpreter["host-sets"] = lambda: gc.set_threshold(5000, 20, 20)
    try:
        interpreter.eval("(host-sets)")  # set while Scheme runs: the host's choice stays
        assert gc.get_threshold() == (5000, 20, 20)
        gc.set_threshold(50_000, 10, 10)  # already above Scheme's: left alone
        interpreter.eval("(threshold)")
        assert seen == [(50_000, 10, 10)] and gc.get_threshold() == (50_000, 10, 10)
    finally:
        gc.set_threshold(*RESTING_GC)
    assert_resting(sys.getrecursionlimit())


def test_an_interrupt_while_the_collector_threshold_is_raised_or_restored_leaves_it_at_rest(monkeypatch):
    from sxflow import dynamic

    limit = sys.getrecursionlimit()
    real = dynamic.set_gc_threshold
    for moment in ("raise", "restore"):
        interrupted = []

        def set_then_interrupt(thresholds):
            real(thresholds)
            if not interrupted and (thresholds == RESTING_GC) == (moment == "restore"):
                interrupted.append(thresholds)
                raise KeyboardInterrupt

        monkeypatch.setattr(dynamic, "set_gc_threshold", set_then_interrupt)
        with pytest.raises(KeyboardInterrupt):
            Interpreter().eval("(+ 1 2)")
        monkeypatch.undo()
        assert interrupted
        assert_resting(limit)
        assert Interpreter().eval("(+ 1 2)") == 3
        assert_resting(limit)


def rooms():
    """How many frames of the stack run under the frame room."""
    from sxflow import dynamic

    frame, count = sys._getframe(), 0
    while frame is not None:
        count += frame.f_code is dynamic._with_frame_room.__code__
        frame = frame.f_back
    return count


def test_only_the_outermost_entry_of_a_thread_runs_under_the_frame_room():
    from sxflow import dynamic

    assert dynamic._with_frame_room.__code__.co_stacksize * 8 > dynamic.FRAME_ROOM
    interpreter = Interpreter()
    interpreter.eval(COUNT + " (define (rooms-inside) (rooms))")
    interpreter["rooms"] = rooms
    interpreter["rooms-nested"] = lambda: interpreter.call("rooms-inside")
    assert sxflow.to_python(interpreter.eval("(list (rooms) (rooms-nested) (count 100000))")) == [1, 1, 100000]
    results = []
    run_threads([lambda: results.append(interpreter.eval("(rooms-nested)"))])
    assert results == [1]


def test_a_procedure_called_from_python_runs_without_the_frame_room():
    # Reserving the room costs about 10 microseconds: a program run pays it, a call from
    # Python (a few microseconds) does not.
    interpreter = Interpreter()
    interpreter["rooms"] = rooms
    interpreter.eval("(define (rooms-here) (rooms))")
    assert interpreter["rooms-here"]() == 0
    assert interpreter.call("rooms-here") == 0
    assert interpreter.eval("(rooms-here)") == 1


def test_a_frame_room_the_system_refuses_leaves_the_code_running_as_usual(monkeypatch):
    from sxflow import dynamic

    def refused(function, args):
        return function(*args)

    # A frame of 16 GB: a chunk of 32 GB, which this machine's kernel refuses (the entry then
    # runs without the room); where it is granted, it is only reserved, never touched.
    refused.__code__ = refused.__code__.replace(co_stacksize=2**31 - 1)
    monkeypatch.setattr(dynamic, "_with_frame_room", refused)
    interpreter = Interpreter()
    interpreter.eval(COUNT)
    assert interpreter.eval("(count 20000)") == 20000
    assert_resting(sys.getrecursionlimit())


def test_a_memory_error_of_the_code_itself_is_not_taken_for_a_refused_room(monkeypatch):
    from sxflow import dynamic

    calls = []

    def out_of_memory(function, args):
        calls.append(function)
        raise MemoryError("the code ran out")

    monkeypatch.setattr(dynamic, "_with_frame_room", out_of_memory)
    limit = sys.getrecursionlimit()
    with pytest.raises(MemoryError, match="the code ran out"):
        Interpreter().eval("(+ 1 2)")
    assert len(calls) == 1  # not run a second time
    assert_resting(limit)


# -- interrupts, injected at the exact point --------------------------------------------


def interrupting():
    raise KeyboardInterrupt


@pytest.mark.parametrize("program", [
    "(guard (e (#t 'caught)) (interrupt))",
    "(with-exception-handler (lambda (e) 1) (lambda () (interrupt)))",
    "(guard (e (#f 0)) (with-exception-handler (lambda (e) 1) (lambda () (raise-continuable (interrupt)))))",
    "(with-exception-handler (lambda (e) (interrupt)) (lambda () (raise-continuable 'x)))",
    "(guard (e ((interrupt) 1)) (raise 'x))",
])
def test_an_interrupt_right_after_a_handler_is_installed_leaves_none(program):
    limit = sys.getrecursionlimit()
    interpreter = Interpreter()
    interpreter["interrupt"] = interrupting
    with pytest.raises(KeyboardInterrupt):
        interpreter.eval(program)
    assert_resting(limit)
    # A new interpreter's raise-continuable finds no stale handler.
    with pytest.raises(SchemeError):
        Interpreter().eval("(raise-continuable 'nobody-handles-this)")


def test_an_interrupt_right_after_the_recursion_limit_is_raised_restores_it(monkeypatch):
    from sxflow import dynamic

    limit = sys.getrecursionlimit()
    real = dynamic.set_recursion_limit

    def set_then_interrupt(value):
        real(value)
        if value > limit:
            raise KeyboardInterrupt

    monkeypatch.setattr(dynamic, "set_recursion_limit", set_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        Interpreter().eval("(+ 1 2)")
    monkeypatch.undo()
    assert_resting(limit)
    assert Interpreter().eval("(+ 1 2)") == 3
    assert_resting(limit)


def test_an_interrupt_while_the_limit_is_restored_is_finished_by_the_retry(monkeypatch):
    from sxflow import dynamic

    limit = sys.getrecursionlimit()
    real = dynamic.set_recursion_limit
    interrupted = []

    def interrupt_once_on_restore(value):
        real(value)
        if value == limit and not interrupted:
            interrupted.append(value)
            raise KeyboardInterrupt

    monkeypatch.setattr(dynamic, "set_recursion_limit", interrupt_once_on_restore)
    with pytest.raises(KeyboardInterrupt):
        Interpreter().eval("(+ 1 2)")
    monkeypatch.undo()
    assert interrupted
    assert_resting(limit)


def test_an_interrupt_right_after_the_reader_pauses_the_collector_resumes_it(monkeypatch):
    from sxflow import reader

    class InterruptingGc:
        def isenabled(self):
            return gc.isenabled()

        def disable(self):
            gc.disable()
            raise KeyboardInterrupt

        def enable(self):
            gc.enable()

    monkeypatch.setattr(reader, "gc", InterruptingGc())
    assert gc.isenabled()
    with pytest.raises(KeyboardInterrupt):
        sxflow.read_all("(a b c)")
    monkeypatch.undo()
    assert gc.isenabled()
    assert sxflow.read("(a b c)") == sxflow.read("(a b c)")


# -- interrupts, at random points -------------------------------------------------------


RANDOM_PROGRAM = """
(define (count n) (if (= n 0) 0 (+ 1 (count (- n 1)))))
(define (guarded n)
  (let loop ((i 0) (caught 0))
    (if (= i n) caught
        (loop (+ i 1) (+ caught (guard (e ((symbol? e) 1)) (raise 'x)))))))
(define (handled n)
  (let loop ((i 0) (total 0))
    (if (= i n) total
        (loop (+ i 1) (+ total (with-exception-handler (lambda (e) 1)
                                 (lambda () (raise-continuable 'y))))))))
(list (count 300) (guarded 30) (handled 30) (py-call-back 5)
      (call/cc (lambda (k) (dynamic-wind (lambda () 0) (lambda () (k 1)) (lambda () 0)))))
"""


# An interrupt that lands in a weakref callback or a __del__ is reported and dropped by Python.
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_hundreds_of_random_interrupts_leave_everything_at_rest():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread only")  # pytest runs tests there
    limit = sys.getrecursionlimit()
    interpreter = Interpreter()
    interpreter.eval(COUNT)
    interpreter["py-call-back"] = lambda n: interpreter["count"](n)
    armed = [False]
    delivered = [0]

    def on_signal(number, frame):
        if armed[0]:
            armed[0] = False
            raise KeyboardInterrupt

    stop = threading.Event()
    main = threading.main_thread().ident
    chooser = random.Random(8)

    def sender():
        while not stop.is_set() and delivered[0] < 5000:
            time.sleep(chooser.uniform(0.0002, 0.004))
            signal.pthread_kill(main, signal.SIGINT)
            delivered[0] += 1

    previous = signal.signal(signal.SIGINT, on_signal)
    thread = threading.Thread(target=sender, daemon=True)
    interrupts = completed = 0
    deadline = time.monotonic() + 60
    try:
        thread.start()
        while interrupts < 300 and time.monotonic() < deadline:
            try:
                armed[0] = True
                interpreter.eval(RANDOM_PROGRAM)
                armed[0] = False
                completed += 1
            except KeyboardInterrupt:
                armed[0] = False
                interrupts += 1
    finally:
        armed[0] = False
        stop.set()
        thread.join(10)
        signal.signal(signal.SIGINT, previous)
    assert interrupts >= 100, (interrupts, completed)
    assert_resting(limit)
    with pytest.raises(SchemeError):
        Interpreter().eval("(raise-continuable 'nobody-handles-this)")
    assert sxflow.to_python(interpreter.eval(RANDOM_PROGRAM)) == [300, 30, 30, 5, 1]
    assert_resting(limit)


SMALL_STACK_PROGRAM = r"""
import sys, threading
sys.path.insert(0, sys.argv[1])
import sxflow

interpreter = sxflow.Interpreter()
interpreter["py-call"] = lambda procedure, n: procedure(n)
interpreter.eval('''
(define (count n) (if (= n 0) 0 (+ 1 (count (- n 1)))))
(define (mapped n) (if (= n 0) 0 (+ 1 (car (map (lambda (k) (mapped (- k 1))) (list n))))))
(define (bounce n) (if (= n 0) 0 (+ 1 (py-call bounce (- n 1)))))
''')
results = []

def run():
    results.append(sxflow.to_python(interpreter.eval("(list (count 50000) (mapped 50000) (bounce 50))")))
    try:
        interpreter.eval("(bounce 5000)")
    except sxflow.SchemeError as error:
        results.append(error.message)
    results.append(sxflow.runtime_state()["thread_entry_limit"])

threading.stack_size(512 * 1024)
thread = threading.Thread(target=run)
thread.start()
thread.join()
print(results)
"""


def test_a_thread_with_a_small_stack_gets_a_clean_error_not_a_crash():
    """Python -> Scheme entries use C stack: a thread's limit follows its stack size."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    finished = subprocess.run([sys.executable, "-c", SMALL_STACK_PROGRAM, str(root)],
                              capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert finished.stdout.strip() == (
        "[[50000, 50000, 50], 'recursion too deep: more than 128 nested calls between Python and Scheme "
        "in this thread', 128]")
