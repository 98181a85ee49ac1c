"""benchmarks/r7rs_conformance.py: its harness counts passes and failures of a suite file correctly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
SCRIPT = REPOSITORY / "benchmarks" / "r7rs_conformance.py"

SUITE = """\
(test-begin "whole")
(test-begin "A")
(test 3 (+ 1 2))
(test 'wrong (+ 1 2))
(test "named" 4 (* 2 2))
(test 0.3333333 (/ 1.0 3))
(test-assert (pair? '(1)))
(test-error (car '()))
(test-error (+ 1 1))
(test-values (values 1 2) (values 1 2))
(let ()
  (define x 5)
  (test 5 x)
  (test 6 (car '())))
(test-end)
(test-begin "B")
(define-syntax my-test
  (syntax-rules () ((_ e v) (test e v))))
(my-test 1 1)
(test 1 #u9(1))
(undefined-procedure (test 1 1) (test 2 2))
(test-end)
(test-end)
"""


def test_counts_by_section(tmp_path):
    path = tmp_path / "suite.scm"
    path.write_text(SUITE, encoding="utf-8")
    result = subprocess.run([sys.executable, str(SCRIPT), str(path), "--failures"], capture_output=True,
                            text=True, timeout=120, cwd=REPOSITORY)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()
            if line[:1] in ("A", "B", "t")}
    # A: 3, named 4, approximate float, assert, error, values, x pass; wrong, no error, (car '()) fail.
    assert rows["A"] == ["7", "3", "70.0"]
    # B: the macro-written test passes, so do the two run as arguments before the unbound
    # operator fails (which then costs one failure); the unreadable piece loses its test.
    assert rows["B"] == ["3", "2", "60.0"]
    assert rows["total"] == ["10", "5", "66.7"]
    assert "(+ 1 2): expected wrong, got 3" in result.stdout
    assert "read error" in result.stdout
