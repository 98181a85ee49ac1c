"""The interactive prompt, driven through a pseudo-terminal: multi-line input, errors, Tab, history, Ctrl-C."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sxflow import Interpreter
from sxflow.repl import Repl, history_path

pexpect = pytest.importorskip("pexpect")

REPOSITORY = Path(__file__).resolve().parent.parent
TIMEOUT = 20
PROMPT = "sx> "


def environment(**extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
    env["TERM"] = "dumb"
    env.update(extra)
    return env


@pytest.fixture
def history(tmp_path) -> Path:
    return tmp_path / "history"


@pytest.fixture
def spawn(history):
    children = []

    def start(*args):
        child = pexpect.spawn(sys.executable, ["-m", "sxflow", "repl", *args],
                              env=environment(SXFLOW_HISTORY=str(history)), encoding="utf-8",
                              timeout=TIMEOUT, dimensions=(24, 200))
        children.append(child)
        child.expect_exact(PROMPT)
        return child

    yield start
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def result(child, text: str) -> None:
    """Expect ``text`` on a line of its own, then the prompt."""
    child.expect_exact(f"\r\n{text}\r\n{PROMPT}")


# -- reading forms ------------------------------------------------------------------------


def test_banner_names_the_version_and_the_flow_library(spawn):
    child = spawn()
    assert "sxflow" in child.before and "with the flow library loaded" in child.before
    child.sendline("(procedure? flow-transport)")
    result(child, "#t")


def test_a_form_continues_across_lines(spawn):
    child = spawn("--no-flow")
    child.sendline("(define (fact n)")
    child.expect_exact("..> ")
    child.sendline("  (if (= n 0)")
    child.expect_exact("..> ")
    child.sendline("      1 (* n (fact (- n 1)))))")
    child.expect_exact(PROMPT)
    child.sendline("(fact 20)")
    result(child, "2432902008176640000")


def test_strings_and_block_comments_continue_too(spawn):
    child = spawn("--no-flow")
    child.sendline('"first')
    child.expect_exact("..> ")
    child.sendline('second"')
    result(child, '"first\\nsecond"')
    child.sendline("#| a comment")
    child.expect_exact("..> ")
    child.sendline("still |# (* 6 7)")
    result(child, "42")


def test_results_are_written_and_unspecified_is_silent(spawn):
    child = spawn("--no-flow")
    child.sendline("(define x 5)")
    child.expect_exact(f"(define x 5)\r\n{PROMPT}")
    child.sendline('(list x "s" #\\a)')
    result(child, '(5 "s" #\\a)')
    child.sendline("(values 10 20)")
    result(child, "10\r\n20")
    child.sendline("11 12")
    result(child, "11\r\n12")


def test_output_without_newline_ends_its_line_before_the_prompt(spawn):
    child = spawn("--no-flow")
    child.sendline('(display "abc")')
    child.expect_exact(f"\r\nabc\r\n{PROMPT}")


# -- errors ---------------------------------------------------------------------------------


def test_an_error_shows_its_position_and_the_session_continues(spawn):
    child = spawn("--no-flow")
    child.sendline("(+ 1 (car '()))")
    child.expect_exact("<repl-1>:1:6: car: expected a pair, got ()\r\n  (+ 1 (car '()))\r\n       ^")
    child.expect_exact(PROMPT)
    child.sendline("(define (bad) (vector-ref (vector) 1))")
    child.expect_exact(PROMPT)
    child.sendline("(bad)")
    child.expect_exact("Scheme call trace (innermost last):")
    child.expect_exact(PROMPT)
    child.sendline("(lenght '(1 2))")
    child.expect_exact("unbound variable: lenght (did you mean length?)")
    child.expect_exact(PROMPT)
    child.sendline("(* 6 7)")
    result(child, "42")
    assert "Traceback" not in child.before


def test_a_syntax_error_discards_the_input_and_the_session_continues(spawn):
    child = spawn("--no-flow")
    child.sendline("(list 1))")
    child.expect_exact("unexpected ')' at 1:9")
    child.expect_exact(PROMPT)
    child.sendline("(if)")
    child.expect_exact("bad syntax")
    child.expect_exact(PROMPT)
    child.sendline("(+ 40 2)")
    result(child, "42")


# -- Tab, history --------------------------------------------------------------------------


def test_tab_completes_global_names_and_special_forms(spawn):
    child = spawn("--no-flow")
    child.sendline("(define my-distinctive-global 41)")
    child.expect_exact(PROMPT)
    child.send("(+ 1 my-distinc\t")
    child.expect_exact("my-distinctive-global")
    child.sendline(")")
    result(child, "42")
    child.send("((lamb\t")
    child.expect_exact("lambda")
    child.sendline(" (x) (* x 2)) 21)")
    result(child, "42")


def test_tab_completes_commands(spawn):
    child = spawn("--no-flow")
    child.send(",hel\t")
    child.expect_exact(",help")
    child.sendline("")
    child.expect_exact(",load FILE")


def test_history_is_written_and_read_back(spawn, history):
    child = spawn("--no-flow")
    child.sendline("(define counter 0)")
    child.expect_exact(PROMPT)
    child.sendline("(begin (set! counter (+ counter 1))")
    child.expect_exact("..> ")
    child.sendline("       (* counter 100))")
    result(child, "100")
    child.sendline("(+ 40 2)")
    result(child, "42")
    child.sendeof()
    child.expect(pexpect.EOF)
    lines = history.read_text(encoding="utf-8").splitlines()
    assert lines[-4:] == ["(define counter 0)", "(begin (set! counter (+ counter 1))", "       (* counter 100))",
                          "(+ 40 2)"]

    child = spawn("--no-flow")
    child.send("\x10")  # Ctrl-P: the last line of the previous session
    child.expect_exact("(+ 40 2)")
    child.sendline("")
    result(child, "42")


# -- Ctrl-C and Ctrl-D ------------------------------------------------------------------------


def interrupt(child) -> None:
    time.sleep(0.3)  # let the evaluation start
    child.sendintr()
    child.expect_exact("interrupted")
    child.expect_exact(PROMPT)


def test_ctrl_c_stops_a_running_loop_and_the_session_continues(spawn):
    child = spawn("--no-flow")
    child.sendline("(define n 0)")
    child.expect_exact(PROMPT)
    child.sendline("(let loop () (set! n (+ n 1)) (loop))")
    interrupt(child)
    child.sendline("(> n 0)")
    result(child, "#t")
    child.sendline("(+ 20 22)")
    result(child, "42")


def test_ctrl_c_leaves_no_exception_handler_behind(spawn):
    child = spawn("--no-flow")
    child.sendline("(with-exception-handler (lambda (e) 1000) (lambda () (+ 1 (let loop () (loop)))))")
    interrupt(child)
    child.sendline("(guard (e (#t (list 'caught e))) (let loop () (loop)))")
    interrupt(child)
    # A handler left installed would answer 1000 here instead of the raise being uncaught.
    child.sendline("(+ 1 (raise-continuable 'oops))")
    child.expect_exact("uncaught raise: oops")
    child.expect_exact(PROMPT)
    child.sendline("(guard (e (#t (list 'caught e))) (raise 'inner))")
    result(child, "(caught inner)")


def test_ctrl_c_cancels_the_input_being_typed(spawn):
    child = spawn("--no-flow")
    child.sendline("(+ 1")
    child.expect_exact("..> ")
    child.sendintr()
    child.expect_exact(PROMPT)
    child.sendline("(+ 2 5)")
    result(child, "7")


def test_ctrl_d_leaves_with_status_0(spawn):
    child = spawn("--no-flow")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_exit_leaves_with_its_status(spawn):
    child = spawn("--no-flow")
    child.sendline("(exit 3)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3


# -- commands ---------------------------------------------------------------------------------


def test_help_load_and_quit(spawn, tmp_path):
    program = tmp_path / "lib.sx"
    program.write_text("(define (triple x) (* 3 x))\n(display \"loaded\")\n", encoding="utf-8")
    child = spawn("--no-flow")
    child.sendline(",help")
    child.expect_exact(",load FILE")
    child.expect_exact(PROMPT)
    child.sendline(f",load {program}")
    child.expect_exact(f"\r\nloaded\r\n{PROMPT}")
    child.sendline("(triple 14)")
    result(child, "42")
    child.sendline(f",load {tmp_path / 'missing.sx'}")
    child.expect_exact("missing.sx: no such file")
    child.expect_exact(PROMPT)
    child.sendline(",lod x")
    child.expect_exact("unknown command ,lod (did you mean ,load?)")
    child.expect_exact(PROMPT)
    child.sendline(",quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_flow_command_loads_the_flow_library(spawn):
    child = spawn("--no-flow")
    assert "without the flow library" in child.before
    child.sendline(",flow")
    child.expect_exact(f"flow library loaded\r\n{PROMPT}")
    child.sendline("(procedure? remote-failover)")
    result(child, "#t")
    child.sendline(",flow")
    child.expect_exact("already loaded")


# -- without a terminal, and in-process ---------------------------------------------------------


def test_repl_reads_piped_input_without_prompts():
    completed = subprocess.run(
        [sys.executable, "-m", "sxflow", "repl", "--no-flow"],
        input="(define (f x)\n  (* x 2))\n(f 21)\n(car 1)\n(f 1)\n(f\n",
        capture_output=True, text=True, timeout=TIMEOUT, env=environment(SXFLOW_HISTORY=""),
    )
    assert completed.returncode == 0
    assert completed.stdout == "42\n2\n"
    assert "<repl-3>:1:1: car: expected a pair, got 1" in completed.stderr
    assert "unclosed '('" in completed.stderr  # the unfinished form at the end of input


def test_history_location(monkeypatch, tmp_path):
    monkeypatch.setenv("SXFLOW_HISTORY", str(tmp_path / "h"))
    assert history_path() == str(tmp_path / "h")
    monkeypatch.setenv("SXFLOW_HISTORY", "")
    assert history_path() is None
    monkeypatch.delenv("SXFLOW_HISTORY")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert history_path() == str(tmp_path / ".sxflow_history")


def test_completions_in_process():
    repl = Repl(Interpreter(), interactive=False)
    assert "string-append" in repl.completions("string-app")
    assert "define-values" in repl.completions("define-v")
    assert repl.completions(",lo") == [",load"]
    assert repl.completions("no-such-prefix-") == []


@pytest.mark.parametrize("program", [
    "(let loop () (loop))",
    "(guard (e (#t 1)) (let loop () (loop)))",
    "(with-exception-handler (lambda (e) 42) (lambda () (+ 1 (let loop () (loop)))))",
    "(with-exception-handler (lambda (e) (let loop () (loop))) (lambda () (raise-continuable 1)))",
    "(guard (e ((let loop () (loop)) 1)) (raise 'x))",
    "(call/cc (lambda (k) (dynamic-wind (lambda () #f) (lambda () (let loop () (loop))) (lambda () #f))))",
])
def test_an_interrupted_evaluation_leaves_the_interpreter_clean(program):
    """What Ctrl-C relies on: a KeyboardInterrupt inside eval leaves no handler and no raised limits behind."""
    import _thread
    import threading

    from sxflow import Symbol, runtime_state

    interpreter = Interpreter()
    limit = sys.getrecursionlimit()
    timer = threading.Timer(0.2, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            interpreter.eval(program)
    finally:
        timer.cancel()
    state = runtime_state()
    assert (state["handler_depth"], state["thread_entries"], state["active_calls"]) == (0, 0, 0)
    assert sys.getrecursionlimit() == limit
    assert interpreter.eval("(guard (e (#t (list 'caught e))) (raise 'x))").car is Symbol("caught")
