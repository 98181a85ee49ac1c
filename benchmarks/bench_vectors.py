"""Vector programs: sxflow's time for each classic vector workload, against idiomatic native Python.

Each program is plain R7RS whose ``(main)`` returns a value checked against the known
answer; sxflow is timed in process (median of ``--repeat`` runs after one warm-up),
the native version the same way. Prints the times and the ratio sxflow/native.

    python benchmarks/bench_vectors.py [--repeat N] [--only NAME,...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sxflow  # noqa: E402
from bench_eval import median_time  # noqa: E402  (this folder is on sys.path when a benchmark runs)


def sieve(n):
    marks = [True] * (n + 1)
    count = 0
    for i in range(2, n + 1):
        if marks[i]:
            count += 1
            for j in range(i * i, n + 1, i):
                marks[j] = False
    return count


def matrix_multiply(n):
    a = [[i + j for j in range(n)] for i in range(n)]
    b = [[i - j for j in range(n)] for i in range(n)]
    c = [[sum(a[i][k] * b[k][j] for k in range(n)) for j in range(n)] for i in range(n)]
    return sum(sum(row) for row in c)


def insertion_sort(n):
    items = [(i * 7919) % 1000 for i in range(n)]
    for i in range(1, n):
        item, j = items[i], i - 1
        while j >= 0 and items[j] > item:
            items[j + 1] = items[j]
            j -= 1
        items[j + 1] = item
    return items[0], items[-1], len(items)


def conversions(n):
    total = 0
    for i in range(n):
        vector = list(range(i % 50))
        total += sum(vector) + len(list(map(lambda x: x + 1, vector)))
    return total


def identity(value):
    return value


def python_round_trip(n):
    total = 0
    for i in range(n):
        total += len(identity([i, i]))
    return total


# name -> (definitions with a (main), the written form of (main)'s value, native thunk)
PROGRAMS = {
    "sieve 200,000": ("""
(define (main)
  (let ((n 200000))
    (let ((marks (make-vector (+ n 1) #t)))
      (let loop ((i 2) (count 0))
        (if (> i n) count
            (if (vector-ref marks i)
                (begin
                  (let strike ((j (* i i)))
                    (when (<= j n) (vector-set! marks j #f) (strike (+ j i))))
                  (loop (+ i 1) (+ count 1)))
                (loop (+ i 1) count)))))))""", "17984", lambda: sieve(200000)),
    "matrix 40x40": ("""
(define (make-matrix n f)
  (let ((m (make-vector n)))
    (do ((i 0 (+ i 1))) ((= i n) m)
      (let ((row (make-vector n)))
        (do ((j 0 (+ j 1))) ((= j n)) (vector-set! row j (f i j)))
        (vector-set! m i row)))))
(define (multiply a b n)
  (make-matrix n (lambda (i j)
                   (let loop ((k 0) (sum 0))
                     (if (= k n) sum
                         (loop (+ k 1) (+ sum (* (vector-ref (vector-ref a i) k)
                                                 (vector-ref (vector-ref b k) j)))))))))
(define (main)
  (let* ((n 40) (c (multiply (make-matrix n +) (make-matrix n -) n)))
    (let loop ((i 0) (total 0))
      (if (= i n) total
          (loop (+ i 1) (+ total (apply + (vector->list (vector-ref c i)))))))))""",
                     str(matrix_multiply(40)), lambda: matrix_multiply(40)),
    "insertion sort 1,500": ("""
(define (main)
  (let* ((n 1500) (v (make-vector n 0)))
    (do ((i 0 (+ i 1))) ((= i n)) (vector-set! v i (modulo (* i 7919) 1000)))
    (do ((i 1 (+ i 1))) ((= i n))
      (let ((item (vector-ref v i)))
        (let shift ((j (- i 1)))
          (if (and (>= j 0) (> (vector-ref v j) item))
              (begin (vector-set! v (+ j 1) (vector-ref v j)) (shift (- j 1)))
              (vector-set! v (+ j 1) item)))))
    (list (vector-ref v 0) (vector-ref v (- n 1)) (vector-length v))))""",
                             "(0 999 1500)", lambda: insertion_sort(1500)),
    "conversions 20,000": ("""
(define (main)
  (let loop ((i 0) (total 0))
    (if (= i 20000) total
        (let ((v (list->vector (iota (modulo i 50)))))
          (loop (+ i 1) (+ total (apply + (vector->list v))
                           (vector-length (vector-map (lambda (x) (+ x 1)) v))))))))""",
                           str(conversions(20000)), lambda: conversions(20000)),
    "python round trip 20,000": ("""
(define (main)
  (let loop ((i 0) (total 0))
    (if (= i 20000) total
        (loop (+ i 1) (+ total (vector-length (ident (vector i i))))))))""", "40000",
                                 lambda: python_round_trip(20000)),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated program names (a prefix is enough)")
    arguments = parser.parse_args()
    wanted = [name.strip() for name in arguments.only.split(",") if name.strip()]
    names = [name for name in PROGRAMS if not wanted or any(name.startswith(prefix) for prefix in wanted)]
    print(f"Python {sys.version.split()[0]}, median of {arguments.repeat} runs\n")
    print(f"{'program':<26}{'sxflow s':>10}{'native s':>10}{'ratio':>9}  answer")
    failures = 0
    for name in names:
        definitions, expected, native = PROGRAMS[name]
        interpreter = sxflow.Interpreter()
        interpreter["ident"] = identity
        interpreter.eval(definitions)
        try:
            answer = sxflow.write_string(interpreter.eval("(main)"))  # warm-up, and the answer
        except sxflow.SchemeError as error:
            failures += 1
            print(f"{name:<26}  fails: {error}", flush=True)
            continue
        seconds, _ = median_time(lambda: interpreter.eval("(main)"), arguments.repeat)
        native_seconds, _ = median_time(native, arguments.repeat)
        check = "ok" if answer == expected else f"WRONG: {answer} (expected {expected})"
        failures += answer != expected
        print(f"{name:<26}{seconds:>10.4f}{native_seconds:>10.4f}{seconds / native_seconds:>8.1f}x  {check}",
              flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
