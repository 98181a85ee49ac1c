"""Evaluator speed: each program in sxflow and in hand-written native Python, timed in one run.

Prints, per program, the median time of each and the ratio sxflow/native beside the
target issue 14 sets, then the cold start of a whole process (import,
Interpreter(), one eval) against ``python -c "import lark"``.

    python benchmarks/bench_eval.py [--repeat N] [--clock wall|cpu]

On a shared, busy machine ``--clock cpu`` times processor time (``time.process_time``)
and runs each program's sxflow and native runs alternately, so that a burst of load
from elsewhere falls on both sides.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sxflow  # noqa: E402

# -- the programs, in Scheme and in idiomatic Python ---------------------------------------

SCHEME_DEFINITIONS = """
(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))

(define (tak x y z)
  (if (not (< y x))
      z
      (tak (tak (- x 1) y z) (tak (- y 1) z x) (tak (- z 1) x y))))

(define (sum-to n)
  (let loop ((i 0) (total 0))
    (if (> i n) total (loop (+ i 1) (+ total i)))))

(define (make-alist n)
  (let loop ((i (- n 1)) (alist '()))
    (if (< i 0) alist (loop (- i 1) (cons (cons i (* i i)) alist)))))

(define (my-assoc key alist)
  (cond ((null? alist) #f)
        ((= key (car (car alist))) (car alist))
        (else (my-assoc key (cdr alist)))))

(define (lookups alist count size)
  (let loop ((i 0) (total 0))
    (if (= i count)
        total
        (loop (+ i 1) (+ total (cdr (my-assoc (modulo (* i 7919) size) alist)))))))

(define (raise-and-catch count)
  (let loop ((i 0) (caught 0))
    (if (= i count)
        caught
        (loop (+ i 1) (+ caught (guard (e ((symbol? e) 1)) (raise 'oops)))))))

(define (count n) (if (= n 0) 0 (+ 1 (count (- n 1)))))

(define table (make-alist 10000))
"""


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def tak(x, y, z):
    if not y < x:
        return z
    return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y))


def sum_to(n):
    i, total = 0, 0
    while i <= n:
        total += i
        i += 1
    return total


def my_assoc(key, alist):
    for entry in alist:
        if entry[0] == key:
            return entry
    return None


def lookups(alist, count, size):
    total = 0
    for i in range(count):
        total += my_assoc((i * 7919) % size, alist)[1]
    return total


class Oops(Exception):
    pass


def raise_and_catch(count):
    caught = 0
    for _ in range(count):
        try:
            raise Oops()
        except Oops:
            caught += 1
    return caught


def count(n):
    return 0 if n == 0 else 1 + count(n - 1)


TABLE = [(i, i * i) for i in range(10000)]

# (name, Scheme expression, native thunk, target ratio from issue 14)
PROGRAMS = [
    ("fib 25", "(fib 25)", lambda: fib(25), 3),
    ("tak 18 12 6", "(tak 18 12 6)", lambda: tak(18, 12, 6), 3),
    ("tail loop 1,000,000", "(sum-to 1000000)", lambda: sum_to(1_000_000), 3),
    ("assoc 2,000 in 10,000", "(lookups table 2000 10000)", lambda: lookups(TABLE, 2000, 10000), 6),
    ("guard/raise 10,000", "(raise-and-catch 10000)", lambda: raise_and_catch(10000), 6),
    ("count 100,000", "(count 100000)", lambda: count(100_000), 3),
]


def median_time(function, repeat: int, clock=time.perf_counter) -> tuple[float, object]:
    times = []
    result = None
    for _ in range(repeat):
        start = clock()
        result = function()
        times.append(clock() - start)
    return statistics.median(times), result


def process_time(code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per program (median is shown)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall: perf_counter, each side's runs in a row; cpu: process_time, sides alternating")
    options = parser.parse_args()
    sys.setrecursionlimit(1_000_000)  # the native count recursion

    interpreter = sxflow.Interpreter()
    interpreter.eval(SCHEME_DEFINITIONS)
    print(f"Python {sys.version.split()[0]}, {options.clock} clock, median of {options.repeat} runs\n")
    print(f"{'program':<24}{'sxflow s':>10}{'native s':>10}{'ratio':>9}{'target':>9}")
    for name, expression, native, target in PROGRAMS:
        forms = sxflow.read_all(expression)
        if options.clock == "cpu":
            scheme_times, native_times = [], []
            for _ in range(options.repeat):
                scheme_times.append(median_time(lambda: interpreter.eval_forms(forms), 1, time.process_time))
                native_times.append(median_time(native, 1, time.process_time))
            (scheme_time, scheme_result), (native_time, native_result) = (
                (statistics.median(t for t, _ in times), times[-1][1]) for times in (scheme_times, native_times))
        else:
            scheme_time, scheme_result = median_time(lambda: interpreter.eval_forms(forms), options.repeat)
            native_time, native_result = median_time(native, options.repeat)
        assert scheme_result == native_result, (name, scheme_result, native_result)
        ratio = scheme_time / native_time
        verdict = "ok" if ratio <= target else "OVER"
        print(f"{name:<24}{scheme_time:>10.4f}{native_time:>10.4f}{ratio:>8.1f}x{'<= ' + str(target) + 'x':>9} {verdict}")

    cold_repeat = max(options.repeat, 5)
    sxflow_cold = process_time("import sxflow; sxflow.Interpreter().eval('(+ 1 2)')", cold_repeat)
    lark_cold = process_time("import lark", cold_repeat)
    ratio = sxflow_cold / lark_cold
    verdict = "ok" if ratio <= 2.5 else "OVER"
    print(f"\ncold start (import, Interpreter(), one eval): {sxflow_cold:.3f} s; "
          f"python -c 'import lark': {lark_cold:.3f} s; ratio {ratio:.2f}x (target <= 2.5x) {verdict}")


if __name__ == "__main__":
    main()
