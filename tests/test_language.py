"""Language conformance: runs every case of the tests/sx/*.sx files, each case as its own pytest item.

The case format (in the spirit of jlox's ``// expect:`` tests)
-------------------------------------------------------------
A case is the Scheme text since the end of the previous case, ended by a line
holding a marker comment::

    (+ 1 2)                         ; => 3
    (car '())                       ; !! car: expected a pair, got ()
    (begin (display "hi") 42)       ; => 42 ; out: hi
    (define (f x)
      (* x 2))
    (f 21)                          ; => 42

- ``; => TEXT``: the value of the last form, printed by ``sxflow.write_string``,
  must equal TEXT (surrounding blanks ignored).
- ``; !! TEXT``: evaluating the case must fail with an uncaught error (a
  ``SchemeError``, or an ``SxSyntaxError`` for a malformed form) whose ``.message``
  contains TEXT. ``; !! @LINE:COLUMN TEXT`` also requires the error's position
  to be that line and column of the .sx file.
- ``; out: TEXT`` (after either marker, or alone: then the case must not fail
  and its value is not checked) requires everything the case wrote to the
  current output port to be exactly TEXT. TEXT is taken literally to the end of
  the line, or, when it starts with a double quote, as a Python string literal
  (``; out: "a\\nb"`` for a line break). Without ``; out:`` output is not checked.
- after either marker, ``; xfail: REASON`` marks the case as a known failure
  (strict: it must fail). Evaluator bugs use the reason "evaluator bug: <short>"
  and are described in the bug report.
- a line ``;;! max-depth: N`` anywhere in a file creates that file's interpreter
  with ``Interpreter(max_depth=N)``; ``;;! allow-files: no`` with
  ``Interpreter(allow_files=False)``; ``;;! scratch-directory: NAME`` defines the
  global NAME as the path (ending in a separator) of a fresh temporary directory for
  the file's file tests, removed when the tests end.

Lines before a case's marker line (definitions, comments) belong to that case,
so a case can span several lines. All cases of one file share ONE interpreter,
run in file order, so definitions carry over from case to case. Running a case
alone (``pytest -k "lists.sx:40"``) first runs the cases before it in the file,
ignoring their outcome, so it sees the same definitions.

Each case is evaluated with the .sx file's name as filename and with its lines at
their real line numbers, so positions in messages are those of the .sx file.
"""

from __future__ import annotations

import ast
import atexit
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import sxflow
from sxflow import Interpreter, SxError, write_string

SX_DIRECTORY = Path(__file__).parent / "sx"

MARKER = re.compile(r";\s*(=>|!!|out:)(?:\s|$)")
OUT = re.compile(r"\s;\s*out:\s?")
XFAIL = re.compile(r"\s;\s*xfail:\s*")
POSITION = re.compile(r"@(\d+):(\d+)\s+")
OPTION = re.compile(r"^\s*;;!\s*([\w-]+)\s*:\s*(.*?)\s*$")


@dataclass
class Case:
    path: Path
    line: int  # the line of the marker
    first_line: int  # the first line of the case's text
    text: str
    kind: str  # "value" or "error"
    expected: str
    output: str | None
    position: tuple[int, int] | None
    xfail: str | None

    @property
    def name(self) -> str:
        return f"{self.path.name}:{self.line}"


def parse_output(text: str) -> str:
    text = text.strip()
    if text.startswith('"'):
        return ast.literal_eval(text)
    return text


def parse_file(path: Path) -> tuple[list[Case], dict]:
    """The cases of one .sx file, and its ``;;!`` options."""
    cases: list[Case] = []
    options: dict = {}
    lines = path.read_text(encoding="utf-8").split("\n")
    start = 0
    for index, line in enumerate(lines):
        option = OPTION.match(line)
        if option:
            options[option.group(1)] = option.group(2)
            continue
        marker = MARKER.search(line)
        if marker is None:
            continue
        rest = line[marker.end():]
        if marker.group(1) == "out:":  # an output-only case: the value is not checked
            rest = "; out: " + rest
        xfail = None
        found = XFAIL.search(" " + rest)
        if found:
            xfail = (" " + rest)[found.end():].strip()
            rest = (" " + rest)[: found.start()][1:]
        output = None
        found = OUT.search(" " + rest)
        if found:
            output = parse_output((" " + rest)[found.end():])
            rest = (" " + rest)[: found.start()][1:]
        expected = rest.strip()
        position = None
        kind = {"=>": "value", "!!": "error", "out:": "output"}[marker.group(1)]
        if kind == "error":
            at = POSITION.match(expected + " ")
            if at:
                position = (int(at.group(1)), int(at.group(2)))
                expected = (expected + " ")[at.end():].strip()
        if not expected and kind == "value":
            raise ValueError(f"{path.name}:{index + 1}: a '; =>' marker needs an expected value")
        text = "\n" * start + "\n".join(lines[start:index + 1])
        cases.append(Case(path, index + 1, start + 1, text, kind, expected, output, position, xfail))
        start = index + 1
    return cases, options


def collect():
    params = []
    for path in sorted(SX_DIRECTORY.glob("*.sx")):
        cases, _ = parse_file(path)
        for number, case in enumerate(cases):
            marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
            params.append(pytest.param(path, number, id=case.name, marks=marks))
    return params


class FileSession:
    """The interpreter shared by the cases of one file and the index of the next case to run."""

    def __init__(self, path: Path) -> None:
        self.cases, options = parse_file(path)
        max_depth = options.get("max-depth")
        arguments = {"max_depth": int(max_depth)} if max_depth else {}
        if options.get("allow-files") == "no":
            arguments["allow_files"] = False
        self.interpreter = Interpreter(**arguments)
        scratch = options.get("scratch-directory")
        if scratch:
            directory = tempfile.mkdtemp(prefix="sxflow-sx-")
            atexit.register(shutil.rmtree, directory, True)
            self.interpreter[scratch] = os.path.join(directory, "")
        self.next = 0


_sessions: dict[Path, FileSession] = {}


def session_at(path: Path, number: int) -> FileSession:
    """The file's session, with every case before ``number`` already run (exactly once, in order)."""
    session = _sessions.get(path)
    if session is None or session.next > number:
        session = _sessions[path] = FileSession(path)
    while session.next < number:
        try:
            evaluate(session.interpreter, session.cases[session.next])
        except Exception:  # that case reports its own failure
            pass
        session.next += 1
    return session


def evaluate(interpreter: Interpreter, case: Case):
    """Run a case: (value, output) or (exception, output) for an SxError."""
    captured = io.StringIO()
    interpreter.output = captured
    try:
        value = interpreter.eval(case.text, case.path.name)
    except SxError as error:
        return error, captured.getvalue(), True
    finally:
        interpreter.output = None
    return value, captured.getvalue(), False


@pytest.mark.parametrize(("path", "number"), collect())
def test_case(path, number):
    session = session_at(path, number)
    case = session.cases[number]
    session.next = number + 1
    result, output, failed = evaluate(session.interpreter, case)
    where = f"{case.name} (case text from line {case.first_line})"
    if case.kind == "output":
        if failed:
            pytest.fail(f"{where}: expected the output {case.output!r}, got an error:\n{result}", pytrace=False)
    elif case.kind == "value":
        if failed:
            pytest.fail(f"{where}: expected {case.expected}, got an error:\n{result}", pytrace=False)
        written = write_string(result)
        assert written == case.expected, f"{where}: expected {case.expected}, got {written}"
    else:
        if not failed:
            pytest.fail(f"{where}: expected an error containing {case.expected!r}, "
                        f"got the value {write_string(result)}", pytrace=False)
        message = result.message
        assert case.expected in message, f"{where}: expected an error containing {case.expected!r}, got:\n{result}"
        if case.position is not None:
            actual = (result.line, result.column)
            assert actual == case.position, f"{where}: expected the error at {case.position}, got {actual}:\n{result}"
    if case.output is not None:
        assert output == case.output, f"{where}: expected the output {case.output!r}, got {output!r}"


def test_case_format_parses():
    """The parser of the case format itself: markers, output, position and xfail parts."""
    import tempfile

    text = ("(define x 1)\n(+ x 1) ; => 2 ; out: \"a\\nb\"\n(car '()) ; !! @3:1 car: expected ; xfail: why\n"
            "(display 1) ; out: 1\n")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "sample.sx"
        path.write_text(text)
        cases, _ = parse_file(path)
    first, second, third = cases
    assert (third.kind, third.expected, third.output) == ("output", "", "1")
    assert (first.line, first.first_line, first.kind, first.expected, first.output) == (2, 1, "value", "2", "a\nb")
    assert (second.kind, second.expected, second.position, second.xfail) == ("error", "car: expected", (3, 1), "why")
    assert second.text.count("\n") == 2 and second.text.strip() == "(car '()) ; !! @3:1 car: expected ; xfail: why"


del sxflow
