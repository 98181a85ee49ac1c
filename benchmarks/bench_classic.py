"""Classic Scheme benchmarks (Gabriel-style): sxflow against Guile's interpreter and compiled Guile.

Each program is plain R7RS written for the subset both run; its ``(main)`` returns a
value whose written form is checked against the known answer. sxflow is timed in
process (median of ``--repeat`` runs, after one warm-up); when a ``guile`` executable
is on PATH, the same text is timed inside Guile with ``get-internal-real-time``, once
with ``guile --no-auto-compile`` (Guile's interpreter) and once compiled
(``--auto-compile``, timed on the run after the one that compiles it). Prints each
time, the ratios sxflow/Guile and their geometric means.

    python benchmarks/bench_classic.py [--repeat N] [--only NAME,...]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sxflow  # noqa: E402
from bench_eval import median_time  # noqa: E402  (this folder is on sys.path when a benchmark runs)

# name -> (definitions with a (main), the written form of (main)'s value)
PROGRAMS = {
    "fib": ("""
(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(define (main) (fib 25))""", "75025"),
    "fibfp": ("""
(define (fibfp n) (if (< n 2.) n (+ (fibfp (- n 1.)) (fibfp (- n 2.)))))
(define (main) (fibfp 22.))""", "17711.0"),
    "tak": ("""
(define (tak x y z) (if (not (< y x)) z (tak (tak (- x 1) y z) (tak (- y 1) z x) (tak (- z 1) x y))))
(define (main) (tak 18 12 6))""", "7"),
    "ack": ("""
(define (ack m n)
  (cond ((= m 0) (+ n 1))
        ((= n 0) (ack (- m 1) 1))
        (else (ack (- m 1) (ack m (- n 1))))))
(define (main) (ack 2 500))""", "1003"),
    "takl": ("""
(define (listn n) (if (= n 0) '() (cons n (listn (- n 1)))))
(define (shorterp x y) (and (not (null? y)) (or (null? x) (shorterp (cdr x) (cdr y)))))
(define (mas x y z)
  (if (not (shorterp y x)) z
      (mas (mas (cdr x) y z) (mas (cdr y) z x) (mas (cdr z) x y))))
(define (main) (length (mas (listn 18) (listn 12) (listn 6))))""", "7"),
    "cpstak": ("""
(define (cpstak x y z)
  (define (tak x y z k)
    (if (not (< y x))
        (k z)
        (tak (- x 1) y z
             (lambda (v1)
               (tak (- y 1) z x
                    (lambda (v2)
                      (tak (- z 1) x y
                           (lambda (v3) (tak v1 v2 v3 k)))))))))
  (tak x y z (lambda (a) a)))
(define (main) (cpstak 18 12 6))""", "7"),
    "diviter": ("""
(define (create-n n) (do ((n n (- n 1)) (a '() (cons '() a))) ((= n 0) a)))
(define (iterative-div2 l) (do ((l l (cddr l)) (a '() (cons (car l) a))) ((null? l) a)))
(define (main)
  (let ((l (create-n 200)))
    (let loop ((i 300) (result 0))
      (if (= i 0) result (loop (- i 1) (length (iterative-div2 l)))))))""", "100"),
    "divrec": ("""
(define (create-n n) (do ((n n (- n 1)) (a '() (cons '() a))) ((= n 0) a)))
(define (recursive-div2 l) (if (null? l) '() (cons (car l) (recursive-div2 (cddr l)))))
(define (main)
  (let ((l (create-n 200)))
    (let loop ((i 300) (result 0))
      (if (= i 0) result (loop (- i 1) (length (recursive-div2 l)))))))""", "100"),
    "deriv": ("""
(define (deriv a)
  (cond ((not (pair? a)) (if (eq? a 'x) 1 0))
        ((eq? (car a) '+) (cons '+ (map deriv (cdr a))))
        ((eq? (car a) '-) (cons '- (map deriv (cdr a))))
        ((eq? (car a) '*) (list '* a (cons '+ (map (lambda (a) (list '/ (deriv a) a)) (cdr a)))))
        ((eq? (car a) '/)
         (list '- (list '/ (deriv (cadr a)) (caddr a))
               (list '/ (cadr a) (list '* (caddr a) (caddr a) (deriv (caddr a))))))
        (else (error "no derivation method" (car a)))))
(define (main)
  (let loop ((i 3000) (result #f))
    (if (= i 0) result (loop (- i 1) (deriv '(+ (* 3 x x) (* a x x) (* b x) 5))))))""",
              "(+ (* (* 3 x x) (+ (/ 0 3) (/ 1 x) (/ 1 x))) (* (* a x x) (+ (/ 0 a) (/ 1 x) (/ 1 x))) "
              "(* (* b x) (+ (/ 0 b) (/ 1 x))) 0)"),
    "primes": ("""
(define (prime? n)
  (let loop ((d 2))
    (cond ((> (* d d) n) #t) ((= (remainder n d) 0) #f) (else (loop (+ d 1))))))
(define (main) (let loop ((n 2) (count 0)) (if (> n 20000) count (loop (+ n 1) (if (prime? n) (+ count 1) count)))))""",
               "2262"),
    "sum": ("""
(define (run n) (let loop ((i n) (sum 0)) (if (< i 0) sum (loop (- i 1) (+ i sum)))))
(define (main) (let loop ((k 100) (result 0)) (if (= k 0) result (loop (- k 1) (run 10000)))))""", "50005000"),
    "nqueens": ("""
(define (queens board-size)
  (define (ok? row dist placed)
    (or (null? placed)
        (and (not (= (car placed) (+ row dist)))
             (not (= (car placed) (- row dist)))
             (ok? row (+ dist 1) (cdr placed)))))
  (define (try-it x y z)
    (if (null? x)
        (if (null? y) 1 0)
        (+ (if (ok? (car x) 1 z) (try-it (append (cdr x) y) '() (cons (car x) z)) 0)
           (try-it (cdr x) (cons (car x) y) z))))
  (define (iota1 n) (let loop ((i n) (l '())) (if (= i 0) l (loop (- i 1) (cons i l)))))
  (try-it (iota1 board-size) '() '()))
(define (main) (queens 8))""", "92"),
    "quicksort": ("""
(define (make-random-list n seed)
  (let loop ((i n) (x seed) (l '()))
    (if (= i 0) l
        (let ((next (modulo (+ (* x 1103515245) 12345) 2147483648)))
          (loop (- i 1) next (cons (modulo next 100000) l))))))
(define (partition pivot l)
  (let loop ((l l) (less '()) (more '()))
    (cond ((null? l) (cons less more))
          ((< (car l) pivot) (loop (cdr l) (cons (car l) less) more))
          (else (loop (cdr l) less (cons (car l) more))))))
(define (quicksort l)
  (if (null? l) '()
      (let ((parts (partition (car l) (cdr l))))
        (append (quicksort (car parts)) (cons (car l) (quicksort (cdr parts)))))))
(define (sorted? l) (or (null? l) (null? (cdr l)) (and (<= (car l) (cadr l)) (sorted? (cdr l)))))
(define (main)
  (let ((s (quicksort (make-random-list 20000 42))))
    (list (sorted? s) (length s) (car s))))""", "(#t 20000 9)"),
    "mbrot": ("""
(define (count-iterations cr ci limit)
  (let loop ((zr 0.) (zi 0.) (i 0))
    (if (or (= i limit) (> (+ (* zr zr) (* zi zi)) 4.)) i
        (loop (+ (- (* zr zr) (* zi zi)) cr) (+ (* 2. zr zi) ci) (+ i 1)))))
(define (mbrot n)
  (let rows ((y 0) (total 0))
    (if (= y n) total
        (rows (+ y 1)
              (let columns ((x 0) (total total))
                (if (= x n) total
                    (columns (+ x 1)
                             (+ total (count-iterations (- (* 3. (/ x n)) 2.) (- (* 2. (/ y n)) 1.) 64)))))))))
(define (main) (mbrot 40))""", "33777"),
    "collatz": ("""
(define (steps n) (let loop ((n n) (s 0)) (if (= n 1) s (loop (if (even? n) (quotient n 2) (+ (* 3 n) 1)) (+ s 1)))))
(define (main) (let loop ((n 1) (best 0)) (if (> n 20000) best (loop (+ n 1) (max best (steps n))))))""", "278"),
}


def time_sxflow(definitions: str, repeat: int) -> tuple[float, str]:
    interpreter = sxflow.Interpreter()
    interpreter.eval(definitions)
    result = sxflow.write_string(interpreter.eval("(main)"))  # warm-up, and the answer
    median, _ = median_time(lambda: interpreter.eval("(main)"), repeat)
    return median, result


GUILE_RUNNER = """
(define (time-main)
  (let* ((start (get-internal-real-time)) (result (main)) (end (get-internal-real-time)))
    (display (exact->inexact (/ (- end start) internal-time-units-per-second)))
    (newline)
    (write result)
    (newline)))
(time-main)
(let loop ((i 1)) (when (< i {repeat}) (time-main) (loop (+ i 1))))
"""


def time_guile(guile: str, definitions: str, compiled: bool, repeat: int, workdir: Path) -> tuple[float, str]:
    path = workdir / ("compiled.scm" if compiled else "interpreted.scm")
    path.write_text(definitions + GUILE_RUNNER.replace("{repeat}", str(repeat)))
    environment = dict(os.environ, XDG_CACHE_HOME=str(workdir / "cache"), GUILE_AUTO_COMPILE="1" if compiled else "0")
    command = [guile, "--auto-compile" if compiled else "--no-auto-compile", str(path)]
    if compiled:  # the first run compiles (and its time is not counted)
        subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600)
    completed = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600)
    lines = completed.stdout.split("\n")
    if completed.returncode != 0 or len(lines) < 2:
        raise RuntimeError(f"guile failed: {completed.stderr.strip()[:400]}")
    times = [float(lines[index]) for index in range(0, len(lines) - 1, 2)]
    return statistics.median(times), lines[1]


def geometric_mean(values) -> float:
    return math.exp(sum(math.log(value) for value in values) / len(values)) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated program names")
    arguments = parser.parse_args()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    names = [name for name in PROGRAMS if not arguments.only or name in arguments.only.split(",")]
    guile = shutil.which("guile") or shutil.which("guile-3.0")
    print(f"Python {sys.version.split()[0]}, median of {arguments.repeat} runs; guile: {guile or 'not on PATH'}")
    print(f"\n{'program':12} {'sxflow s':>9} {'guile-i s':>10} {'guile-c s':>10} {'/interp':>8} {'/compiled':>10}  answer")
    interpreted_ratios, compiled_ratios, failures = [], [], 0
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        for name in names:
            definitions, expected = PROGRAMS[name]
            seconds, answer = time_sxflow(definitions, arguments.repeat)
            check = "ok" if answer == expected else f"WRONG: {answer} (expected {expected})"
            failures += answer != expected
            row = f"{name:12} {seconds:9.4f}"
            if guile:
                interpreted, interpreted_answer = time_guile(guile, definitions, False, arguments.repeat, workdir)
                compiled, compiled_answer = time_guile(guile, definitions, True, arguments.repeat, workdir)
                if interpreted_answer != expected or compiled_answer != expected:
                    check += f"; guile says {interpreted_answer} / {compiled_answer}"
                interpreted_ratios.append(seconds / max(interpreted, 1e-6))
                compiled_ratios.append(seconds / max(compiled, 1e-6))
                row += (f" {interpreted:10.4f} {compiled:10.4f} {interpreted_ratios[-1]:7.2f}x"
                        f" {compiled_ratios[-1]:9.2f}x")
            else:
                row += f" {'-':>10} {'-':>10} {'-':>8} {'-':>10}"
            print(f"{row}  {check}", flush=True)
    if guile:
        print(f"\ngeometric mean sxflow/guile-interpreter: {geometric_mean(interpreted_ratios):.2f}x (target <= 1.0); "
              f"sxflow/compiled guile: {geometric_mean(compiled_ratios):.2f}x")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
