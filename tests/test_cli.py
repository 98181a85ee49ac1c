"""The sxflow command, driven as a subprocess: run, eval, exit statuses, error reports, program arguments."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sxflow
from sxflow import cli

REPOSITORY = Path(__file__).resolve().parent.parent
TIMEOUT = 30


def environment(**extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
    env.setdefault("SXFLOW_HISTORY", "")
    env.update(extra)
    return env


def sxflow_command(*args, input=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sxflow", *args], input=input, capture_output=True, text=True,
        timeout=TIMEOUT, cwd=cwd, env=environment(),
    )


def write(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def assert_no_traceback(result) -> None:
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout


# -- --version, --help, usage ------------------------------------------------------


def test_version_prints_the_package_version():
    result = sxflow_command("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"sxflow {sxflow.__version__}"


def test_help_lists_the_commands():
    result = sxflow_command("--help")
    assert result.returncode == 0
    for command in ("run", "eval", "check", "repl", "--no-flow", "--debug"):
        assert command in result.stdout


@pytest.mark.parametrize("args", [["run"], ["--bogus"], ["check"], ["eval"], ["-e"], ["-e", "1", "run", "x.sx"]])
def test_usage_errors_exit_2(args):
    result = sxflow_command(*args)
    assert result.returncode == 2, result.stderr
    assert result.stderr
    assert_no_traceback(result)


def test_main_in_process_returns_the_status(capsys):
    assert cli.main(["--no-flow", "-e", "(+ 40 2)"]) == 0
    assert capsys.readouterr().out == "42\n"
    assert cli.main(["--no-flow", "-e", "(car 1)"]) == 1
    assert "car: expected a pair" in capsys.readouterr().err


def test_entry_point_is_registered():
    text = (REPOSITORY / "pyproject.toml").read_text(encoding="utf-8")
    assert 'sxflow = "sxflow.cli:main"' in text


# -- eval -------------------------------------------------------------------------


def test_eval_writes_the_value():
    assert sxflow_command("-e", "(+ 1 2)").stdout == "3\n"
    result = sxflow_command("eval", '(list 1 "a" #\\b (quote sym) 1.5)')
    assert result.returncode == 0
    assert result.stdout == '(1 "a" #\\b sym 1.5)\n'


def test_eval_of_several_forms_writes_the_last_value():
    assert sxflow_command("--no-flow", "-e", "(define x 6) (* x 7)").stdout == "42\n"


def test_eval_writes_nothing_for_the_unspecified_value():
    result = sxflow_command("--no-flow", "-e", "(define x 1)")
    assert result.returncode == 0
    assert result.stdout == ""


def test_eval_writes_each_of_several_values():
    assert sxflow_command("--no-flow", "-e", "(values 1 \"two\")").stdout == '1\n"two"\n'


def test_eval_output_comes_before_the_value():
    assert sxflow_command("--no-flow", "-e", '(display "hi") (newline) 5').stdout == "hi\n5\n"


def test_eval_error_reports_position_and_caret_and_exits_1():
    result = sxflow_command("--no-flow", "-e", "(+ 1 (car 5))")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "<eval>:1:6: car: expected a pair, got 5"
    assert lines[1] == "  (+ 1 (car 5))"
    assert lines[2] == "       ^"
    assert result.stdout == ""
    assert_no_traceback(result)


def test_eval_syntax_error_exits_1():
    result = sxflow_command("--no-flow", "-e", "(car (5)")
    assert result.returncode == 1
    assert result.stderr.startswith("<eval>:1:1: unclosed '(' opened at 1:1")
    assert_no_traceback(result)


def test_eval_loads_the_flow_library_unless_no_flow():
    assert sxflow_command("-e", "(procedure? flow-transport)").stdout == "#t\n"
    result = sxflow_command("--no-flow", "-e", "(procedure? flow-transport)")
    assert result.returncode == 1
    assert "unbound variable: flow-transport" in result.stderr


def test_options_may_follow_the_command():
    assert sxflow_command("eval", "--no-flow", "(+ 1 1)").stdout == "2\n"


# -- run --------------------------------------------------------------------------


def test_run_evaluates_files_in_order_in_one_interpreter(tmp_path):
    first = write(tmp_path, "first.sx", "(define (square x) (* x x))\n(display \"first \")\n")
    second = write(tmp_path, "second.sx", "(display (square 7))\n(newline)\n")
    result = sxflow_command("run", first, second)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "first 49\n"
    assert result.stderr == ""


def test_run_does_not_write_values(tmp_path):
    program = write(tmp_path, "p.sx", "(+ 1 2)\n")
    assert sxflow_command("run", program).stdout == ""


def test_run_with_the_flow_library(tmp_path):
    program = write(tmp_path, "flow.sx", """\
(flow-peer-register! "peer-a" (list (list 'double (lambda (x) (* 2 x)))))
(define node (remote-failover (list "down" "peer-a") 'double (lambda (x) 'local)))
(write (node 21))
(newline)
""")
    result = sxflow_command("run", program)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "42\n"


def test_command_line_gives_the_program_and_its_arguments(tmp_path):
    program = write(tmp_path, "args.sx", "(write (command-line))\n")
    result = sxflow_command("--no-flow", "run", program, "--", "a", "--b", "c d")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f'("{program}" "a" "--b" "c d")'


def test_command_line_without_arguments(tmp_path):
    program = write(tmp_path, "args.sx", "(write (command-line))\n")
    assert sxflow_command("--no-flow", "run", program).stdout == f'("{program}")'


def test_command_line_for_eval():
    result = sxflow_command("--no-flow", "-e", "(command-line)", "--", "x", "y")
    assert result.stdout == '("sxflow" "x" "y")\n'


def test_script_mode_runs_one_file_with_its_arguments(tmp_path):
    program = write(tmp_path, "script.sx", "#!/usr/bin/env sxflow\n(write (cdr (command-line)))\n(car '())\n")
    result = sxflow_command("--no-flow", program, "one", "two")
    assert result.stdout == '("one" "two")'
    # The blanked '#!' line keeps the line numbers right.
    assert result.stderr.startswith(f"{program}:3:1: car: expected a pair")


def test_run_error_shows_position_caret_and_scheme_call_trace(tmp_path):
    program = write(tmp_path, "bad.sx", """\
(define (inner x)
  (vector-ref x 5))
(define (outer x)
  (+ 1 (inner x)))
(display "before ")
(outer (vector 1 2))
(display "never")
""")
    result = sxflow_command("--no-flow", "run", program)
    assert result.returncode == 1
    assert result.stdout == "before "
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{program}:2:3: vector-ref: ")
    assert lines[1] == "    (vector-ref x 5))"
    assert lines[2] == "    ^"
    assert lines[3] == "Scheme call trace (innermost last):"
    assert lines[4] == f"  {program}:6:1: call to outer"
    assert lines[5] == f"  {program}:4:8: call to inner"
    assert_no_traceback(result)


def test_long_call_traces_are_cut(tmp_path):
    program = write(tmp_path, "deep.sx", """\
(define (a n) (if (= n 0) (car '()) (+ 1 (b (- n 1)))))
(define (b n) (+ 1 (a n)))
(a 40)
""")
    result = sxflow_command("--no-flow", "run", program)
    assert result.returncode == 1
    trace = result.stderr.split("Scheme call trace (innermost last):\n", 1)[1].splitlines()
    assert trace[0].startswith("  ... ") and trace[0].endswith(" more")
    assert len(trace) <= 21
    assert_no_traceback(result)


def test_uncaught_raise_of_a_non_error_object(tmp_path):
    result = sxflow_command("--no-flow", "-e", "(raise 'boom)")
    assert result.returncode == 1
    assert "uncaught raise: boom" in result.stderr


def test_syntax_error_in_a_file_exits_1_with_caret(tmp_path):
    program = write(tmp_path, "syntax.sx", "(display 1)\n(define (f x)\n  (+ x 1)\n")
    result = sxflow_command("--no-flow", "run", program)
    assert result.returncode == 1
    assert result.stderr.splitlines()[:3] == [
        f"{program}:2:1: unclosed '(' opened at 2:1", "  (define (f x)", "  ^"]
    # The file is read as a whole before it runs: nothing was displayed.
    assert result.stdout == ""


def test_missing_file_exits_2_naming_the_path_and_runs_nothing(tmp_path):
    first = write(tmp_path, "first.sx", '(display "ran")\n')
    missing = str(tmp_path / "missing.sx")
    result = sxflow_command("--no-flow", "run", first, missing)
    assert result.returncode == 2
    assert missing in result.stderr
    assert "no such file" in result.stderr
    assert result.stdout == ""
    assert_no_traceback(result)


def test_directory_and_non_utf8_files_exit_2(tmp_path):
    result = sxflow_command("--no-flow", "run", str(tmp_path))
    assert result.returncode == 2
    assert str(tmp_path) in result.stderr
    binary = tmp_path / "binary.sx"
    binary.write_bytes(b"(display \xff)")
    result = sxflow_command("--no-flow", "run", str(binary))
    assert result.returncode == 2
    assert "not UTF-8" in result.stderr


def test_mistyped_command_gets_a_hint():
    result = sxflow_command("chek", "x.sx")
    assert result.returncode == 2
    assert "did you mean the command 'check'?" in result.stderr


# -- exit ---------------------------------------------------------------------------


@pytest.mark.parametrize("expression, status", [
    ("(exit)", 0), ("(exit 7)", 7), ("(exit #t)", 0), ("(exit #f)", 1), ("(exit 'other)", 0),
])
def test_exit_sets_the_status(expression, status):
    result = sxflow_command("--no-flow", "-e", expression)
    assert result.returncode == status
    assert result.stderr == ""


def test_exit_is_not_caught_by_guard_and_runs_dynamic_wind_after(tmp_path):
    program = write(tmp_path, "exit.sx", """\
(display "start ")
(dynamic-wind
  (lambda () #f)
  (lambda () (guard (e (#t (display "caught"))) (exit 3)))
  (lambda () (display "after")))
(display "never")
""")
    result = sxflow_command("--no-flow", "run", program)
    assert result.returncode == 3
    assert result.stdout == "start after"


def test_emergency_exit_skips_dynamic_wind_after(tmp_path):
    program = write(tmp_path, "exit.sx", """\
(display "start")
(dynamic-wind (lambda () #f) (lambda () (emergency-exit 5)) (lambda () (display "after")))
""")
    result = sxflow_command("--no-flow", "run", program)
    assert result.returncode == 5
    assert result.stdout == "start"


def test_exit_from_python_embedding_is_a_system_exit():
    from sxflow.library.system import SchemeExit

    interpreter = sxflow.Interpreter()
    with pytest.raises(SystemExit) as raised:
        interpreter.eval("(exit 4)")
    assert isinstance(raised.value, SchemeExit)
    assert raised.value.code == 4 and raised.value.status == 4
    # Embedded, emergency-exit does not end the process either.
    with pytest.raises(SchemeExit):
        interpreter.eval("(emergency-exit 2)")


# -- standard input, interrupts, internal errors ---------------------------------------


def test_bare_command_runs_the_program_on_standard_input():
    result = sxflow_command("--no-flow", input="(display (+ 1 2))\n(newline)\n")
    assert result.returncode == 0
    assert result.stdout == "3\n"


def test_run_dash_reads_standard_input():
    result = sxflow_command("--no-flow", "run", "-", input="(car 1)\n")
    assert result.returncode == 1
    assert result.stderr.startswith("<stdin>:1:1: car: expected a pair")


def test_ctrl_c_during_run_exits_130(tmp_path):
    program = write(tmp_path, "loop.sx", '(display "ready")\n(flush-output-port)\n(let loop () (loop))\n')
    process = subprocess.Popen(
        [sys.executable, "-m", "sxflow", "--no-flow", "run", program], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=environment(),
    )
    try:
        assert process.stdout.read(5) == "ready"
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        _, error = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert "interrupted" in error
    assert "Traceback" not in error


def test_internal_error_is_reported_without_traceback_unless_debug(monkeypatch, capsys):
    def broken(options):
        raise RuntimeError("something broke")

    monkeypatch.setattr(cli, "dispatch", broken)
    assert cli.main(["-e", "1"]) == cli.EXIT_INTERNAL
    error = capsys.readouterr().err
    assert "internal error: RuntimeError: something broke" in error
    assert "--debug" in error
    assert "Traceback" not in error
    assert cli.main(["--debug", "-e", "1"]) == cli.EXIT_INTERNAL
    assert "Traceback" in capsys.readouterr().err


def test_debug_adds_the_python_traceback_to_a_scheme_error():
    result = sxflow_command("--no-flow", "--debug", "-e", "(car 5)")
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "<eval>:1:1: car: expected a pair, got 5" in result.stderr


def test_a_syntax_error_in_a_later_file_stops_the_program_before_it_starts(tmp_path):
    first = write(tmp_path, "first.sx", '(display "ran")\n')
    second = write(tmp_path, "second.sx", "(display 1))\n")
    result = sxflow_command("--no-flow", "run", first, second)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{second}:1:12: unexpected ')'")


# -- durable runs: --store, runs, resume ----------------------------------------------------

CHECKOUT_FLOW = """\
(define (price n) (* 10 n))
(define (pay amount)
  (if (get-environment-variable "DECLINE") (raise 'payment-declined) (list 'charged amount)))
(flow-define 'checkout (list price pay (lambda (x) (list 'shipped x))))
"""


def sxflow_with_environment(*args, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sxflow", *args], capture_output=True, text=True,
                          timeout=TIMEOUT, env=environment(**extra))


@pytest.mark.slow
def test_run_with_a_store_then_runs_and_resume(tmp_path):
    flows = write(tmp_path, "flows.sx", CHECKOUT_FLOW)
    start = write(tmp_path, "start.sx", '(write (flow-start! "order-1" (quote checkout) 2))\n'
                                        "(flow-start! 'order-2 'checkout 5)\n")
    store = str(tmp_path / "orders.db")
    declined = sxflow_with_environment("run", "--store", store, flows, start, DECLINE="1")
    assert declined.returncode == 1
    assert "uncaught raise: payment-declined" in declined.stderr
    listed = sxflow_command("runs", "--store", store)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == '"order-1"  failed  1/3  checkout  error: payment-declined\n'
    resumed = sxflow_command("resume", '"order-1"', "--store", store, flows)
    assert (resumed.returncode, resumed.stdout) == (0, "(shipped (charged 20))\n"), resumed.stderr
    again = sxflow_command("--store", store, "resume", '"order-1"', flows)  # --store before the command too
    assert (again.returncode, again.stdout) == (0, "(shipped (charged 20))\n"), again.stderr
    assert sxflow_command("runs", "--store", store).stdout == '"order-1"  done  3/3  checkout  error: payment-declined\n'
    unknown = sxflow_command("resume", "order-9", "--store", store, flows)
    assert unknown.returncode == 1
    assert f"sxflow: no run order-9 in the store {store} (flow-run-unknown)\n" in unknown.stderr
    # order-1 without quotes is the symbol id: another run, and the message says how to write this one
    symbol = sxflow_command("resume", "order-1", "--store", store, flows)
    assert symbol.returncode == 1
    assert (f"sxflow: no run order-1 in the store {store} (flow-run-unknown); the store has the string "
            'run id "order-1": give it as written there') in symbol.stderr


@pytest.mark.slow
def test_string_and_symbol_run_ids_are_two_runs_on_the_command_line(tmp_path):
    flows = write(tmp_path, "flows.sx", "(flow-define 'inc (list (lambda (x) (+ x 1))))\n")
    start = write(tmp_path, "start.sx", "(flow-start! \"a\" 'inc 1) (flow-start! 'a 'inc 10) (flow-start! '|b c| 'inc 5)\n")
    store = str(tmp_path / "ids.db")
    assert sxflow_command("run", "--store", store, flows, start).returncode == 0
    listed = sxflow_command("runs", "--store", store)
    assert listed.stdout == '"a"    done  1/1  inc\na      done  1/1  inc\n|b c|  done  1/1  inc\n', listed.stderr
    assert sxflow_command("resume", '"a"', "--store", store, flows).stdout == "2\n"
    assert sxflow_command("resume", "a", "--store", store, flows).stdout == "11\n"
    assert sxflow_command("resume", "|b c|", "--store", store, flows).stdout == "6\n"
    for bad in ("(a)", "12", "a b", '"open'):
        refused = sxflow_command("resume", bad, "--store", store, flows)
        assert refused.returncode == 2 and "RUN-ID" in refused.stderr, (bad, refused.stderr)


def test_script_mode_and_eval_accept_a_store(tmp_path):
    store = str(tmp_path / "s.db")
    program = write(tmp_path, "put.sx", '(flow-store-put! "seen" (quote yes))\n')
    assert sxflow_command("--store", store, program).returncode == 0
    result = sxflow_command("--store", store, "-e", '(flow-store-get "seen")')
    assert (result.returncode, result.stdout) == (0, "yes\n"), result.stderr


def test_runs_and_resume_need_a_store_and_bad_files_are_reported(tmp_path):
    missing = sxflow_command("runs")
    assert missing.returncode == 2 and "runs needs --store PATH" in missing.stderr
    flows = write(tmp_path, "flows.sx", CHECKOUT_FLOW)
    assert sxflow_command("resume", '"order-1"', flows).returncode == 2
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database at all" * 50)
    refused = sxflow_command("runs", "--store", str(bad))
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"sxflow: cannot open store file {bad}: it is not a readable sxflow store")
    assert bad.read_bytes() == b"not a database at all" * 50
    no_flow = sxflow_command("--no-flow", "--store", str(tmp_path / "x.db"), "-e", "1")
    assert no_flow.returncode == 2 and "--store needs the flow library" in no_flow.stderr
