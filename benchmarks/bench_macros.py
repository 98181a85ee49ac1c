"""Macro cost: code written with syntax-rules macros against the same code written by hand.

Macros expand once, when a form is compiled, so expanded code should run as fast as
the hand-written equivalent (ratio about 1.0). Also shown: the compile time of a
program that uses macros heavily, against the same program hand-expanded.

    python benchmarks/bench_macros.py [--repeat N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sxflow  # noqa: E402
from sxflow.reader import read_all  # noqa: E402
from bench_eval import median_time  # noqa: E402  (this folder is on sys.path when a benchmark runs)

MACROS = """
(define-syntax while
  (syntax-rules () ((_ test body ...) (let loop () (when test body ... (loop))))))
(define-syntax my-or
  (syntax-rules ()
    ((_) #f) ((_ e) e)
    ((_ e r ...) (let ((t e)) (if t t (my-or r ...))))))
(define-syntax swap!
  (syntax-rules () ((_ a b) (let ((tmp a)) (set! a b) (set! b tmp)))))
(define-syntax inc!
  (syntax-rules () ((_ v) (set! v (+ v 1))) ((_ v n) (set! v (+ v n)))))
"""

WITH_MACROS = """
(define (work n)
  (let ((i 0) (a 1) (b 2) (hits 0))
    (while (< i n)
      (swap! a b)
      (if (my-or (= i 7) (= a 3) (> b 5) (= i 11)) (inc! hits))
      (inc! i))
    (list i a b hits)))
"""

BY_HAND = """
(define (work n)
  (let ((i 0) (a 1) (b 2) (hits 0))
    (let loop ()
      (when (< i n)
        (let ((tmp a)) (set! a b) (set! b tmp))
        (if (let ((t (= i 7)))
              (if t t (let ((t (= a 3)))
                        (if t t (let ((t (> b 5)))
                                  (if t t (= i 11)))))))
            (set! hits (+ hits 1)))
        (set! i (+ i 1))
        (loop)))
    (list i a b hits)))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measure (median is shown)")
    options = parser.parse_args()
    with_macros = sxflow.Interpreter()
    with_macros.eval(MACROS + WITH_MACROS)
    by_hand = sxflow.Interpreter()
    by_hand.eval(BY_HAND)
    print(f"Python {sys.version.split()[0]}, median of {options.repeat} runs\n")
    count = 200_000
    macro_time, macro_result = median_time(lambda: with_macros.call("work", count), options.repeat)
    hand_time, hand_result = median_time(lambda: by_hand.call("work", count), options.repeat)
    assert sxflow.write_string(macro_result) == sxflow.write_string(hand_result), (macro_result, hand_result)
    print(f"{'run, ' + format(count, ',') + ' iterations':<34} macros {macro_time:.4f} s  by hand {hand_time:.4f} s"
          f"  ratio {macro_time / hand_time:.2f}x (target about 1.0x)")

    copies = 200
    macro_source = read_all(MACROS + WITH_MACROS * copies)
    hand_source = read_all(BY_HAND * copies)

    def compile_with_macros():
        interpreter = sxflow.Interpreter()
        interpreter.eval_forms(macro_source)

    def compile_by_hand():
        interpreter = sxflow.Interpreter()
        interpreter.eval_forms(hand_source)

    macro_compile, _ = median_time(compile_with_macros, options.repeat)
    hand_compile, _ = median_time(compile_by_hand, options.repeat)
    print(f"{'compile ' + str(copies) + ' definitions':<34} macros {macro_compile:.4f} s  by hand {hand_compile:.4f} s"
          f"  ratio {macro_compile / hand_compile:.2f}x (expansion cost, paid once)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
