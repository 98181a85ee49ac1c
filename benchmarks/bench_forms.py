"""The forms procedures.py writes out besides the common ones, timed as generated code and on the closure nodes.

Each program runs in one interpreter with whole procedures written as Python (the
default) and in another with the writer turned off (every procedure on the nodes);
the answers must agree. A ratio above 1 means the generated code is that much faster.

    python benchmarks/bench_forms.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sxflow  # noqa: E402
from sxflow import procedures  # noqa: E402

DEFINITIONS = """
(define-syntax while (syntax-rules () ((_ c b ...) (let lp () (when c b ... (lp))))))
(define (adders n) (let loop ((i n) (fs '())) (if (= i 0) fs (loop (- i 1) (cons (lambda (x) (+ x i)) fs)))))
(define (sum-calls fs v) (let loop ((fs fs) (t 0)) (if (null? fs) t (loop (cdr fs) (+ t ((car fs) v))))))
(define (macro-loop n) (let ((i 0) (s 0)) (while (< i n) (set! s (+ s i)) (set! i (+ i 1))) s))
(define (split n) (let loop ((i 0) (t 0)) (if (= i n) t (let-values (((q r) (floor/ i 7))) (loop (+ i 1) (+ t q r))))))
(define (template n) (let loop ((i 0) (t 0)) (if (= i n) t (loop (+ i 1) (+ t (length `(1 ,i ,@(list i i))))))))
(define (depth n) (let lp ((k n)) (if (= k 0) 0 (+ 1 (lp (- k 1))))))
(define (lazy n) (let loop ((i 0) (t 0)) (if (= i n) t (loop (+ i 1) (+ t (force (delay i)))))))
(define (arrows n) (let loop ((i 0) (t 0)) (if (= i n) t (loop (+ i 1) (cond ((memv (modulo i 3) '(0 1)) => car) (else t))))))
"""

PROGRAMS = [
    ("closures over a loop variable", "(sum-calls (adders 100000) 1)"),
    ("while (syntax-rules) loop", "(macro-loop 300000)"),
    ("let-values", "(split 100000)"),
    ("quasiquote", "(template 100000)"),
    ("named let, non-tail", "(depth 100000)"),
    ("delay/force", "(lazy 100000)"),
    ("cond =>", "(arrows 100000)"),
]


def timings(written: bool, repeat: int) -> dict:
    original = procedures.compile_procedure
    if not written:
        procedures.compile_procedure = lambda *arguments: None
    try:
        interpreter = sxflow.Interpreter()
        interpreter.eval(DEFINITIONS)
        results = {}
        for name, expression in PROGRAMS:
            forms = sxflow.read_all(expression)
            times, value = [], None
            for _ in range(repeat):
                start = time.process_time()
                value = interpreter.eval_forms(forms)
                times.append(time.process_time() - start)
            results[name] = (statistics.median(times), value)
        return results
    finally:
        procedures.compile_procedure = original


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1_000_000))
    written, nodes = timings(True, arguments.repeat), timings(False, arguments.repeat)
    print(f"Python {sys.version.split()[0]}, cpu clock, median of {arguments.repeat} runs\n")
    print(f"{'program':32}{'written s':>11}{'nodes s':>10}{'nodes/written':>15}")
    for name, _ in PROGRAMS:
        assert written[name][1] == nodes[name][1], (name, written[name][1], nodes[name][1])
        print(f"{name:32}{written[name][0]:>11.4f}{nodes[name][0]:>10.4f}{nodes[name][0] / written[name][0]:>14.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
