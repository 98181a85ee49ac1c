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
  is TEXT, the whole message; a message too long for one line is stated up to
  `` ...`` (TEXT ending in a space and three dots: the message starts with what is
  before them). ``; !! @LINE:COLUMN TEXT`` also requires the error's position
  to be that line and column of the .sx file.
- ``; out: TEXT`` (after either marker, or alone: then the case must not fail
  and its value is not checked) requires everything the case wrote to the
  current output port to be exactly TEXT. TEXT is taken literally to the end of
  the line, or, when it starts with a double quote, as a Python string literal
  (``; out: "a\\nb"`` for a line break). Without ``; out:`` output is not checked.
- after either marker, ``; xfail: REASON`` marks the case as a known failure
  (strict: it must fail). Evaluator bugs use the reason "evaluator bug: <short>"
  and are described in the bug report.
- ``; continues`` just before the marker (``(f 2) ; continues ; => 4``) says the
  case continues the previous one: it runs in the interpreter the previous case
  ran in, so it sees that case's definitions and effects.
- a line ``;;! max-depth: N`` anywhere in a file creates that file's interpreters
  with ``Interpreter(max_depth=N)``; ``;;! allow-files: no`` with
  ``Interpreter(allow_files=False)``; ``;;! slow: yes`` marks every case of the file
  ``slow`` (left out of the quick subset, ``-m "not slow"``); ``;;! flow-library: yes`` loads the flow
  library into each of them; ``;;! scratch-directory: NAME`` defines the global
  NAME as the path (ending in a separator) of a fresh temporary directory for the
  file's file tests, removed when the tests end.

Lines before a case's marker line (definitions, comments) belong to that case,
so a case can span several lines. Every case is a spec of its own: it runs in a
fresh interpreter, unless it says ``; continues``. A chain of continuing cases
runs in one interpreter in file order; running a continuing case alone
(``pytest -k "lists.sx:106"``) first runs the cases it continues (back to the
first case of its chain, whose own items check their outcomes), so it sees the
same definitions.

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
ELLIPSIS = " ..."
CONTINUES = re.compile(r";\s*continues\s*(?=;)")


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
    continues: bool = False

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
        continues = CONTINUES.search(line[: marker.start() + 1])
        if continues:
            line = line[: continues.start()] + line[continues.end():]
            marker = MARKER.search(line)
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
        text = "\n" * start + "\n".join(lines[start:index] + [line])
        if continues and not cases:
            raise ValueError(f"{path.name}:{index + 1}: the first case has no previous case to continue")
        cases.append(Case(path, index + 1, start + 1, text, kind, expected, output, position, xfail, bool(continues)))
        start = index + 1
    return cases, options


def collect():
    params = []
    for path in sorted(SX_DIRECTORY.glob("*.sx")):
        cases, options = parse_file(path)
        for number, case in enumerate(cases):
            # One file's cases on one worker: a chain of continuing cases then runs once, in order.
            marks = [pytest.mark.xdist_group(path.name)]
            if options.get("slow") == "yes":
                marks.append(pytest.mark.slow)
            if case.xfail:
                marks.append(pytest.mark.xfail(strict=True, reason=case.xfail))
            params.append(pytest.param(path, number, id=case.name, marks=marks))
    return params


class FileSession:
    """The interpreter a chain of cases of one file runs in, and the index of the last case it ran."""

    def __init__(self, path: Path, cases: list[Case], options: dict) -> None:
        self.path = path
        self.cases = cases
        self.interpreter = new_interpreter(options)
        self.last = -1


_files: dict[Path, tuple[list[Case], dict]] = {}
_sessions: dict[Path, FileSession] = {}
_scratch: dict[Path, str] = {}


def file_cases(path: Path) -> tuple[list[Case], dict]:
    if path not in _files:
        cases, options = parse_file(path)
        options["path"] = path
        _files[path] = cases, options
    return _files[path]


def new_interpreter(options: dict) -> Interpreter:
    """A fresh interpreter made as the file's ``;;!`` options say."""
    max_depth = options.get("max-depth")
    arguments = {"max_depth": int(max_depth)} if max_depth else {}
    if options.get("allow-files") == "no":
        arguments["allow_files"] = False
    interpreter = Interpreter(**arguments)
    if options.get("flow-library") == "yes":
        interpreter.load_flow()
    scratch = options.get("scratch-directory")
    if scratch:
        directory = _scratch.get(options["path"])
        if directory is None:
            directory = _scratch[options["path"]] = tempfile.mkdtemp(prefix="sxflow-sx-")
            atexit.register(shutil.rmtree, directory, True)
        interpreter[scratch] = os.path.join(directory, "")
    return interpreter


def session_for(path: Path, number: int) -> FileSession:
    """An interpreter ready for case ``number``: fresh, or with the cases it continues already run."""
    cases, options = file_cases(path)
    start = number
    while cases[start].continues:
        start -= 1
    session = _sessions.get(path)
    # The file's session can go on when it ran part of this chain and nothing past this case.
    if start == number or session is None or not start <= session.last < number:
        session = _sessions[path] = FileSession(path, cases, options)
    for earlier in range(max(start, session.last + 1), number):
        try:
            evaluate(session.interpreter, cases[earlier])
        except Exception:  # that case's own item reports its failure
            pass
        session.last = earlier
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


def mismatch(case: Case, result, output: str, failed: bool) -> str | None:
    """What differs between the case's expectation and the outcome of evaluating it, or None."""
    where = f"{case.name} (case text from line {case.first_line})"
    if case.kind == "output":
        if failed:
            return f"{where}: expected the output {case.output!r}, got an error:\n{result}"
    elif case.kind == "value":
        if failed:
            return f"{where}: expected {case.expected}, got an error:\n{result}"
        written = write_string(result)
        if written != case.expected:
            return f"{where}: expected {case.expected}, got {written}"
    else:
        if not failed:
            return f"{where}: expected the error {case.expected!r}, got the value {write_string(result)}"
        message = result.message
        if case.expected.endswith(ELLIPSIS):  # a long message, stated up to the ellipsis
            stated = case.expected[:-len(ELLIPSIS)]
            if not message.startswith(stated):
                return f"{where}: expected an error starting {stated!r}, got:\n{result}"
        elif message != case.expected:
            return f"{where}: expected the error {case.expected!r}, got:\n{result}"
        if case.position is not None:
            actual = (result.line, result.column)
            if actual != case.position:
                return f"{where}: expected the error at {case.position}, got {actual}:\n{result}"
    if case.output is not None and output != case.output:
        return f"{where}: expected the output {case.output!r}, got {output!r}"
    return None


@pytest.mark.parametrize(("path", "number"), collect())
def test_case(path, number):
    session = session_for(path, number)
    case = session.cases[number]
    session.last = number
    problem = mismatch(case, *evaluate(session.interpreter, case))
    if problem is not None:
        pytest.fail(problem, pytrace=False)


def written_file(directory: Path, name: str, text: str) -> Path:
    """A case file holding ``text`` in ``directory`` (the tests of the case format itself)."""
    path = directory / name
    path.write_text(text)
    return path


def test_case_format_parses(tmp_path):
    """The parser of the case format itself: markers, output, position and xfail parts."""
    text = ("(define x 1)\n(+ x 1) ; => 2 ; out: \"a\\nb\"\n(car '()) ; !! @3:1 car: expected ; xfail: why\n"
            "(display 1) ; out: 1\n")
    cases, _ = parse_file(written_file(tmp_path, "sample.sx", text))
    first, second, third = cases
    assert (third.kind, third.expected, third.output) == ("output", "", "1")
    assert (first.line, first.first_line, first.kind, first.expected, first.output) == (2, 1, "value", "2", "a\nb")
    assert (second.kind, second.expected, second.position, second.xfail) == ("error", "car: expected", (3, 1), "why")
    assert second.text.count("\n") == 2 and second.text.strip() == "(car '()) ; !! @3:1 car: expected ; xfail: why"


def test_an_error_case_states_the_whole_message(tmp_path):
    """Part of a message does not pass; the whole does, and a long one may be stated up to ' ...'."""
    text = ("(car '()) ; !! car: expected\n(car '()) ; !! car: expected a pair, got ()\n"
            "(car '()) ; !! car: expected a ...\n(car '()) ; !! car: expected a list ...\n")
    cases, _ = parse_file(written_file(tmp_path, "messages.sx", text))
    verdicts = [mismatch(case, *evaluate(Interpreter(), case)) is None for case in cases]
    assert verdicts == [False, True, True, False]


def test_a_case_continues_only_when_it_says_so(tmp_path):
    """A fresh interpreter per case; '; continues' runs the case after the ones it continues."""
    text = ("(define x 1)\nx ; => 1\nx ; continues ; => 1\n(define x 2) ; => #<unspecified>\n"
            "(+ x 1) ; continues ; => 3\n(define-values (y) (values x)) ; !! unbound variable: x\n")
    path = written_file(tmp_path, "chain.sx", text)
    cases, _ = parse_file(path)
    assert [case.continues for case in cases] == [False, True, False, True, False]
    assert "continues" not in cases[1].text
    # Run alone (in any order), each continuing case still sees what it continues,
    # and a case that does not continue sees nothing of the cases before it.
    for number in (3, 1, 0, 2, 4):
        outcome = evaluate(session_for(path, number).interpreter, cases[number])
        assert mismatch(cases[number], *outcome) is None, number
    _sessions.pop(path, None)
    _files.pop(path, None)


del sxflow
