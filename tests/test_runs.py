"""Durable runs (lib/flow/run.sx) with real processes and real crashes, handoff to a standby, and a crash property.

A child process (tests/runs_child.py) runs a 4-step flow on an SQLite store file; the
test kills it with SIGKILL at every step boundary and in the middle of every step, then
a new process resumes the run from the file. Every step appends its flow-step-key to a
ledger file (its external effect), so the ledger shows exactly which steps ran how
often. The language-level behaviour of run.sx is in tests/sx/flow-run.sx.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sxflow
from sxflow import Interpreter, SchemeError, Symbol, read, write_string

from runs_child import RUN_ID, install_flow

pytestmark = pytest.mark.slow  # child processes killed at every step

CHILD = Path(__file__).resolve().parent / "runs_child.py"
TIMEOUT = 60  # seconds for a child to reach its pause or to finish, on a loaded machine
KEYS = [f'"{RUN_ID}"/{index}' for index in range(4)]  # a step key starts with the run id as written
PAUSES = [f"enter-{step}" for step in range(1, 5)] + [f"middle-{step}" for step in range(1, 5)] + ["done"]


def child(store, ledger: Path, markers: Path, mode: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(store), str(ledger), str(markers), mode, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finish(process: subprocess.Popen) -> list[str]:
    """The output lines of a child that must succeed."""
    try:
        out, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    assert process.returncode == 0, err
    return out.splitlines()


def kill_at(process: subprocess.Popen, marker: Path) -> None:
    """Wait until the child writes ``marker`` (it then sleeps), and SIGKILL it there."""
    deadline = time.monotonic() + TIMEOUT
    try:
        while not marker.exists():
            if process.poll() is not None:
                pytest.fail(f"the child exited ({process.returncode}) before {marker.name}: "
                            f"{process.stderr.read()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the child did not reach {marker.name} in {TIMEOUT} s")
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=TIMEOUT)
        assert process.returncode == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


def ledger_lines(ledger: Path) -> list[str]:
    return ledger.read_text(encoding="utf-8").splitlines() if ledger.exists() else []


def directories(base: Path) -> tuple[Path, Path, Path]:
    markers = base / "markers"
    markers.mkdir()
    return base / "store.db", base / "ledger", markers


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Output, store export and ledger of an uninterrupted run."""
    store, ledger, markers = directories(tmp_path_factory.mktemp("reference"))
    output, export = finish(child(store, ledger, markers, "start"))
    assert ledger_lines(ledger) == KEYS
    return output, export


def test_an_uninterrupted_run_runs_every_step_once(reference):
    output, export = reference
    assert output == '(4 (3 (2 (1 "input"))))'
    assert read(export) == read('(("flow-run:run-1" ("run-1" done #f (four 4 (4 (3 (2 (1 "input")))) 4 ())))'
                                ' ("side-effect" (seen (1 "input"))))')


def status_in(store: Path) -> dict:
    """The run's status read from the store file by this process (then the file is released)."""
    interpreter = Interpreter(store_path=store)
    try:
        entries = sxflow.to_python(interpreter.call("flow-run-status", RUN_ID))
        return {name.name: value for name, value in entries}
    finally:
        interpreter.call("flow-store-close!")


@pytest.mark.parametrize("pause", PAUSES)
def test_sigkill_at_every_boundary_and_mid_step_then_a_new_process_resumes(tmp_path, pause, reference):
    store, ledger, markers = directories(tmp_path)
    kill_at(child(store, ledger, markers, "start", "--pause", pause), markers / pause)
    before = ledger_lines(ledger)
    status = status_in(store)
    if pause == "done":
        completed = 4
        assert status["status"] == Symbol("done")
    else:
        step = int(pause.split("-")[1])
        completed = step - 1  # every step before the paused one was checkpointed before it started
        assert status["status"] == Symbol("running") and status["next"] == completed
        # the paused step made its effect only when it was killed in its middle
        assert before == KEYS[:step] if pause.startswith("middle") else before == KEYS[:completed]

    output, export = finish(child(store, ledger, markers, "resume"))
    after = ledger_lines(ledger)
    # every step completed before the crash ran exactly once; the rest ran after it
    for key in KEYS[:completed]:
        assert after.count(key) == 1, after
    if pause.startswith("middle"):
        # at-least-once: the step killed after its effect runs again (its key lets a receiver deduplicate)
        assert after == KEYS[:completed + 1] + KEYS[completed:]
    else:
        assert after == KEYS
    assert (output, export) == reference


@pytest.mark.parametrize("pause", ["enter-3", "middle-3"])
def test_handoff_a_standby_restores_the_replica_and_resumes_without_rerunning_steps(tmp_path, pause, reference):
    """Instance A (in-memory store, standby B) dies at step 3; B restores A's last replica text and resumes."""
    _, ledger, markers = directories(tmp_path)
    replica = tmp_path / "replica.sx"
    kill_at(child("-", ledger, markers, "start", "--pause", pause, "--replica", str(replica)), markers / pause)

    standby = Interpreter().load_flow()  # instance B: a separate interpreter
    install_flow(standby, ledger)
    standby.call("flow-store-import!", read(replica.read_text(encoding="utf-8")))
    assert standby.call("flow-run-status", RUN_ID).cdr.car.cdr.car is Symbol("running")
    output = standby.call("flow-resume!", RUN_ID)

    assert write_string(output) == reference[0]
    assert write_string(standby.call("flow-store-export")) == reference[1]
    after = ledger_lines(ledger)
    assert after.count(KEYS[0]) == 1 and after.count(KEYS[1]) == 1  # steps 1-2 did not run again
    assert after == (KEYS[:3] + KEYS[2:] if pause == "middle-3" else KEYS)


# -- the crash property, in one process ------------------------------------------------


class Crash(BaseException):
    """A simulated process death: not an Exception, so guard lets it through and nothing records a failure."""


def property_flow(interpreter, steps: int, ledger: list, crash: tuple | None) -> None:
    def effect(index, key, value):
        if crash == (index, "before"):
            raise Crash
        ledger.append(key)
        if crash == (index, "after"):
            raise Crash
        return (value * 31 + index) % 1_000_003

    interpreter["effect"] = effect
    interpreter.eval(f"""
      (define (property-step i) (lambda (x) (effect i (flow-step-key) x)))
      (flow-define 'property (map property-step (iota {steps})))""")


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1),
                                                       st.sampled_from(["before", "after"]),
                                                       st.integers(0, 1000))))
def test_crash_at_any_step_then_resume_gives_the_uninterrupted_result(case):
    steps, crashed, moment, start = case
    expected = start
    for index in range(steps):
        expected = (expected * 31 + index) % 1_000_003
    keys = [f'"p"/{index}' for index in range(steps)]

    ledger: list = []
    first = Interpreter().load_flow()
    property_flow(first, steps, ledger, (crashed, moment))
    with pytest.raises(Crash):
        first.call("flow-start!", "p", Symbol("property"), start)
    durable = write_string(first.call("flow-store-export"))  # what survived the crash

    second = Interpreter().load_flow()  # a new process: the same definitions, the surviving store
    property_flow(second, steps, ledger, None)
    second.call("flow-store-import!", read(durable))
    assert second.call("flow-resume!", "p") == expected
    assert ledger[:crashed] == keys[:crashed]  # steps before the crash ran exactly once
    for key in keys[:crashed]:
        assert ledger.count(key) == 1
    assert ledger[-(steps - crashed):] == keys[crashed:]
    ledger.clear()
    assert second.call("flow-resume!", "p") == expected and ledger == []  # done: runs nothing


# -- a durable run in one process ---------------------------------------------------------


def test_resume_in_a_new_interpreter_from_the_store_file(tmp_path):
    ledger = tmp_path / "ledger"
    first = Interpreter(store_path=tmp_path / "s.db")
    install_flow(first, ledger)
    first.eval("(flow-define 'two (list (lambda (x) (ledger! (flow-step-key)) (+ x 1)) "
               "(lambda (x) (if (< x 10) (raise 'too-small) x))))")
    with pytest.raises(SchemeError) as raised:
        first.call("flow-start!", "t", Symbol("two"), 1)
    assert raised.value.payload is Symbol("too-small")
    first.call("flow-store-close!")

    second = Interpreter(store_path=tmp_path / "s.db")
    install_flow(second, ledger)
    second.eval("(flow-define 'two (list (lambda (x) (ledger! (flow-step-key)) (+ x 1)) (lambda (x) (* x 10))))")
    status = sxflow.to_python(second.call("flow-run-status", "t"))
    assert status[1] == [Symbol("status"), Symbol("failed")] and status[4] == [Symbol("error"), "too-small"]
    assert second.call("flow-runs") == sxflow.to_scheme(["t"])
    with pytest.raises(SchemeError) as raised:  # the symbol t names another run: ids keep their kind
        second.call("flow-resume!", Symbol("t"))
    assert raised.value.payload is Symbol("flow-run-unknown")
    assert second.call("flow-resume!", "t") == 20
    assert ledger_lines(ledger) == ['"t"/0']


def test_string_and_symbol_run_ids_persist_as_two_runs(tmp_path):
    first = Interpreter(store_path=tmp_path / "ids.db")
    first.eval("(flow-define 'inc (list (lambda (x) (+ x 1))))")
    assert (first.call("flow-start!", "a", Symbol("inc"), 1), first.call("flow-start!", Symbol("a"), Symbol("inc"), 10)) == (2, 11)
    first.call("flow-store-close!")
    second = Interpreter(store_path=tmp_path / "ids.db")
    second.eval("(flow-define 'inc (list (lambda (x) (+ x 1))))")
    assert list(second.call("flow-runs")) == ["a", Symbol("a")]
    assert list(second.call("flow-store-keys")) == ["flow-run:a", Symbol("flow-run:a")]
    assert (second.call("flow-resume!", "a"), second.call("flow-resume!", Symbol("a"))) == (2, 11)
