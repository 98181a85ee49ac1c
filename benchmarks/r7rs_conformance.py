"""R7RS conformance: runs an independent R7RS test-suite file and prints pass counts by section.

The suite is not part of this repository (fetch it yourself), for example chibi-scheme's
``tests/r7rs-tests.scm``. The file is written for a SRFI-64-like harness (``test-begin``,
``test-end``, ``test``, ``test-assert``, ``test-error``, ``test-values``); this script
provides that harness itself, by rewriting those forms into calls of Python procedures
before evaluation, so the measure does not depend on the interpreter's own macros:

    (test expected expr)   -> (%test 'expr (lambda () expected) (lambda () expr))
    (test name expected expr) is accepted too.

Each top-level form runs on its own (a failing form does not stop the rest); a top-level
form that fails outside any test counts one failure for each test written inside it (at
least one when it is itself a test). Values are compared with ``equal?``, inexact reals
with a relative tolerance of 1e-5 (as chibi's harness does).

    python benchmarks/r7rs_conformance.py PATH/r7rs-tests.scm [--failures] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import io
import math
import re
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sxflow  # noqa: E402
from sxflow.data import NIL, Pair, SourcePair, Symbol, is_equal  # noqa: E402
from sxflow.errors import SxError  # noqa: E402
from sxflow.check import toplevel_starts  # noqa: E402
from sxflow.reader import read_forms  # noqa: E402

S = Symbol
QUOTE, LAMBDA = S("quote"), S("lambda")
TEST_FORMS = {"test", "test-assert", "test-error", "test-values"}
# What the rewritten forms call: names a suite would not use.
HARNESS = {"test": S("%test"), "test-assert": S("%test-assert"), "test-error": S("%test-error"),
           "test-values": S("%test-values")}


class FormTimeout(BaseException):
    """A top-level form ran longer than its budget."""


def make_list(items, position=None):
    result = NIL
    for item in reversed(items):
        result = SourcePair(item, result, position) if position is not None else Pair(item, result)
    return result


def thunk(body):
    return make_list([LAMBDA, NIL, body])


def quoted(value):
    return make_list([QUOTE, value])


def rewrite(form):
    """The form with each harness use replaced by a call of a harness procedure (quoted data kept)."""
    if not isinstance(form, Pair):
        if type(form) is list:
            return form
        return form
    head = form.car
    if head is QUOTE:
        return form
    items, tail = [], form
    while isinstance(tail, Pair):
        items.append(tail.car)
        tail = tail.cdr
    position = form.position if type(form) is SourcePair else None
    if type(head) is Symbol and head.name in TEST_FORMS and tail is NIL:
        arguments = [rewrite(item) for item in items[1:]]
        harness = HARNESS[head.name]
        if head.name in ("test", "test-values") and len(arguments) in (2, 3):
            expected, expression = arguments[-2], arguments[-1]
            return make_list([harness, quoted(items[-1]), thunk(expected), thunk(expression)], position)
        if head.name in ("test-assert", "test-error") and len(arguments) in (1, 2):
            return make_list([harness, quoted(items[-1]), thunk(arguments[-1])], position)
    rebuilt = [rewrite(item) for item in items]
    result = tail
    for item in reversed(rebuilt):
        result = SourcePair(item, result, position) if position is not None else Pair(item, result)
    return result


def count_tests(form) -> int:
    """How many harness uses a form holds (outside quoted data)."""
    count = 0
    stack = [form]
    while stack:
        value = stack.pop()
        if not isinstance(value, Pair) or value.car is QUOTE:
            continue
        if type(value.car) is Symbol and value.car.name in TEST_FORMS:
            count += 1
        while isinstance(value, Pair):
            stack.append(value.car)
            value = value.cdr
    return count


def approximately_equal(expected, actual) -> bool:
    if is_equal(expected, actual):
        return True
    if type(expected) is float and type(actual) is float:
        if math.isnan(expected) and math.isnan(actual):
            return True
        return math.isclose(expected, actual, rel_tol=1e-5, abs_tol=1e-12)
    if type(expected) is complex and type(actual) is complex:
        return abs(expected - actual) <= 1e-5 * max(abs(expected), 1e-12)
    return False


class Results:
    """Pass and fail counts per section, and a description of each failure."""

    def __init__(self) -> None:
        self.sections: list[str] = []
        self.counts: dict[str, list[int]] = {}
        self.failures: list[tuple[str, str]] = []

    @property
    def section(self) -> str:
        return self.sections[-1] if self.sections else "(no section)"

    def record(self, passed: bool, description: str = "", count: int = 1) -> None:
        self.record_in(self.section, passed, description, count)

    def record_in(self, section: str, passed: bool, description: str = "", count: int = 1) -> None:
        entry = self.counts.setdefault(section, [0, 0])
        entry[0 if passed else 1] += count
        if not passed:
            self.failures.append((section, description))


def install_harness(interpreter, results: Results) -> None:
    from sxflow import write_string
    from sxflow.runtime import apply_procedure

    def show(value) -> str:
        text = write_string(value)
        return text if len(text) <= 100 else text[:97] + "..."

    def run_test(expression, expected_thunk, expression_thunk, many=False):
        try:
            expected = apply_procedure(expected_thunk, ())
            if many:
                result = apply_procedure(expression_thunk, ())
                values = result.values if type(result) is sxflow.data.MultipleValues else (result,)
                expected_values = expected.values if type(expected) is sxflow.data.MultipleValues else (expected,)
                passed = len(values) == len(expected_values) and all(
                    approximately_equal(a, b) for a, b in zip(expected_values, values))
                actual_text = " ".join(show(value) for value in values)
            else:
                actual = apply_procedure(expression_thunk, ())
                passed = approximately_equal(expected, actual)
                actual_text = show(actual)
            results.record(passed, f"{show(expression)}: expected {show(expected)}, got {actual_text}")
        except SxError as error:
            results.record(False, f"{show(expression)}: error: {error.message if hasattr(error, 'message') else error}")
        return None

    def test(expression, expected_thunk, expression_thunk):
        return run_test(expression, expected_thunk, expression_thunk)

    def test_values(expression, expected_thunk, expression_thunk):
        return run_test(expression, expected_thunk, expression_thunk, many=True)

    def test_assert(expression, expression_thunk):
        try:
            value = apply_procedure(expression_thunk, ())
            results.record(value is not False, f"{show(expression)}: expected true, got #f")
        except SxError as error:
            results.record(False, f"{show(expression)}: error: {getattr(error, 'message', error)}")

    def test_error(expression, expression_thunk):
        try:
            value = apply_procedure(expression_thunk, ())
        except SxError:
            results.record(True)
            return None
        results.record(False, f"{show(expression)}: expected an error, got {show(value)}")
        return None

    def test_begin(*names):
        results.sections.append(str(names[0]) if names else "(unnamed)")

    def test_end(*names):
        if results.sections:
            results.sections.pop()

    interpreter["%test"] = test
    interpreter["%test-values"] = test_values
    interpreter["%test-assert"] = test_assert
    interpreter["%test-error"] = test_error
    interpreter["test-begin"] = test_begin
    interpreter["test-end"] = test_end


def run_suite(path: Path, timeout: float) -> tuple[Results, list[str]]:
    results = Results()
    setup_errors: list[str] = []
    interpreter = sxflow.Interpreter()
    interpreter.output = io.StringIO()  # what the suite displays is not of interest here
    install_harness(interpreter, results)
    text = path.read_text(encoding="utf-8")
    forms = []
    # Read piece by piece (each top-level form starts with '(' in the first column), so a
    # piece the reader rejects costs only the tests written in it.
    starts = toplevel_starts(text) + [len(text)]
    index = 0
    while index < len(starts) - 1:
        start = starts[index]
        padding = "\n" * text.count("\n", 0, start)  # keep the file's line numbers
        first_error = None
        # A '(' in the first column may sit inside a form: join the next pieces until it reads.
        for join in range(1, min(8, len(starts) - index)):
            piece = text[start:starts[index + join]]
            try:
                forms.extend(read_forms(padding + piece, str(path)))
            except SxError as error:
                first_error = first_error or error
                continue
            index += join
            break
        else:
            piece = text[start:starts[index + 1]]
            index += 1
            lost = len(re.findall(r"\(test(?:-assert|-error|-values)?\s", piece))
            message = f"read error: {getattr(first_error, 'message', first_error)} at line {first_error.line}"
            if lost:
                results.record_in(_open_section(text[:start]), False, message, lost)
            else:
                setup_errors.append(message)

    def alarm(signum, frame):
        raise FormTimeout()

    previous = signal.signal(signal.SIGALRM, alarm)
    try:
        for form, position in forms:
            expected_tests = count_tests(form)
            before = sum(sum(entry) for entry in results.counts.values())
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                interpreter.eval_forms([rewrite(form)], None, [position])
                failure = None
            except SxError as error:
                failure = getattr(error, "message", str(error))
            except FormTimeout:
                failure = f"timed out after {timeout} s"
            except RecursionError:
                failure = "Python recursion error"
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if failure is None:
                continue
            where = sxflow.source.format_position(position) if position else "?"
            first_line = sxflow.write_string(form)
            first_line = first_line if len(first_line) <= 80 else first_line[:77] + "..."
            ran = sum(sum(entry) for entry in results.counts.values()) - before
            lost = max(expected_tests - ran, 1 if expected_tests or _is_test_like(form) else 0)
            if lost:
                results.record(False, f"{where}: {first_line}: {failure}", lost)
            else:
                setup_errors.append(f"{where}: {first_line}: {failure}")
    finally:
        signal.signal(signal.SIGALRM, previous)
    return results, setup_errors


def _open_section(text: str) -> str:
    """The innermost section open at the end of ``text`` (test-begin/test-end nesting)."""
    sections: list[str] = []
    for match in re.finditer(r'\(test-begin "([^"]*)"|\(test-end\b', text):
        if match.group(1) is not None:
            sections.append(match.group(1))
        elif sections:
            sections.pop()
    return sections[-1] if sections else "(no section)"


def _is_test_like(form) -> bool:
    return isinstance(form, Pair) and type(form.car) is Symbol and form.car.name.startswith("test")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", type=Path, help="the R7RS test-suite file (e.g. chibi's r7rs-tests.scm)")
    parser.add_argument("--failures", action="store_true", help="list every failure")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds allowed per top-level form")
    options = parser.parse_args()
    results, setup_errors = run_suite(options.suite, options.timeout)
    total_passed = total_failed = 0
    print(f"{'section':<40} {'passed':>7} {'failed':>7} {'%':>6}")
    order = [match.group(1) for match in re.finditer(r'\(test-begin "([^"]*)"', options.suite.read_text())]
    for section, (passed, failed) in sorted(results.counts.items(),
                                            key=lambda item: order.index(item[0]) if item[0] in order else -1):
        total_passed += passed
        total_failed += failed
        share = 100.0 * passed / (passed + failed) if passed + failed else 100.0
        print(f"{section:<40} {passed:>7} {failed:>7} {share:>6.1f}")
    total = total_passed + total_failed
    share = 100.0 * total_passed / total if total else 0.0
    print(f"{'total':<40} {total_passed:>7} {total_failed:>7} {share:>6.1f}")
    print(f"{len(setup_errors)} top-level forms outside tests failed")
    if options.failures:
        print("\nfailures:")
        for section, description in results.failures:
            print(f"  [{section}] {description}")
        print("\ntop-level forms that failed outside tests:")
        for description in setup_errors:
            print(f"  {description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
