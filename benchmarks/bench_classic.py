"""Classic Scheme benchmarks (Gabriel-style): sxflow against Guile's interpreter and compiled Guile.

Each program is plain R7RS written for the subset both run; its ``(main)`` returns a
value whose written form is checked against the known answer (in sxflow and in both
Guile modes). The method is the same on both sides: the definitions are loaded, one
untimed ``(main)`` warms up, then ``--repeat`` runs of ``(main)`` are timed inside
the running system (``time.perf_counter`` in sxflow, ``get-internal-real-time`` in
Guile) and the median is kept. On a shared, busy machine ``--clock cpu`` times the
processor time of the process instead (``time.process_time``, and
``get-internal-run-time`` with Guile's collector on one marker thread, ``GC_MARKERS=1``,
so that both count the work of one thread), which waiting for the processor does not
inflate. Start-up, loading and compiling are outside every
timed region, so neither side pays for them. Guile runs as ``guile
--no-auto-compile`` (its interpreter) and compiled (``--auto-compile``, timed in a
second process that loads the compiled file the first one wrote). Prints each time,
the ratios sxflow/Guile and their geometric means.

    python benchmarks/bench_classic.py [--repeat N] [--only NAME,...] [--clock wall|cpu]
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
import time
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
    "destruc": ("""
(define (append-to-tail! x y)
  (if (null? x) y
      (let loop ((a x) (b (cdr x)))
        (if (null? b) (begin (set-cdr! a y) x) (loop b (cdr b))))))
(define (destructive n m)
  (let ((l (do ((i 10 (- i 1)) (a '() (cons '() a))) ((= i 0) a))))
    (do ((i n (- i 1))) ((= i 0) l)
      (cond ((null? (car l))
             (do ((l l (cdr l))) ((null? l))
               (if (null? (car l)) (set-car! l (cons '() '())))
               (append-to-tail! (car l) (do ((j m (- j 1)) (a '() (cons '() a))) ((= j 0) a)))))
            (else
             (do ((l1 l (cdr l1)) (l2 (cdr l) (cdr l2))) ((null? l2))
               (set-cdr! (do ((j (quotient (length (car l2)) 2) (- j 1)) (a (car l2) (cdr a)))
                             ((zero? j) a)
                           (set-car! a i))
                         (let ((n (quotient (length (car l1)) 2)))
                           (cond ((= n 0) (set-car! l1 '()) (car l1))
                                 (else
                                  (do ((j n (- j 1)) (a (car l1) (cdr a)))
                                      ((= j 1) (let ((x (cdr a))) (set-cdr! a '()) x))
                                    (set-car! a i))))))))))))
(define (main) (let loop ((k 10) (result #f)) (if (= k 0) result (loop (- k 1) (destructive 600 50)))))""", ("((1 1 2) (1 1 1) (1 1 1 2) (1 1 1 1) (1 1 1 1 2) (1 1 1 1 2) (1 1 1 1 "
                "2) (1 1 1 1 2) (1 1 1 1 2) (1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 2 2 2 2 2 3))")),
    "browse": (r"""
(define (lookup key table)
  (let loop ((x table))
    (if (null? x) #f
        (let ((pair (car x))) (if (eq? (car pair) key) pair (loop (cdr x)))))))
(define properties '())
(define (get key1 key2)
  (let ((x (lookup key1 properties)))
    (if x (let ((y (lookup key2 (cdr x)))) (if y (cdr y) #f)) #f)))
(define (put key1 key2 val)
  (let ((x (lookup key1 properties)))
    (if x
        (let ((y (lookup key2 (cdr x))))
          (if y (set-cdr! y val) (set-cdr! x (cons (cons key2 val) (cdr x)))))
        (set! properties (cons (list key1 (cons key2 val)) properties)))))
(define *current-gensym* 0)
(define (generate-symbol)
  (set! *current-gensym* (+ *current-gensym* 1))
  (string->symbol (string-append "g" (number->string *current-gensym*))))
(define (append-to-tail! x y)
  (if (null? x) y
      (do ((a x b) (b (cdr x) (cdr b))) ((null? b) (set-cdr! a y) x))))
(define (tree-copy x) (if (not (pair? x)) x (cons (tree-copy (car x)) (tree-copy (cdr x)))))
(define *rand* 21)
(define (init n m npats ipats)
  (let ((ipats (tree-copy ipats)))
    (do ((p ipats (cdr p))) ((null? (cdr p)) (set-cdr! p ipats)))
    (do ((n n (- n 1))
         (i m (cond ((zero? i) m) (else (- i 1))))
         (name (generate-symbol) (generate-symbol))
         (a '()))
        ((= n 0) a)
      (set! a (cons name a))
      (do ((i i (- i 1))) ((zero? i)) (put name (generate-symbol) #f))
      (put name 'pattern
           (do ((i npats (- i 1)) (ipats ipats (cdr ipats)) (a '()))
               ((zero? i) a)
             (set! a (cons (car ipats) a))))
      (do ((j (- m i) (- j 1))) ((zero? j)) (put name (generate-symbol) #f)))))
(define (browse-random) (set! *rand* (remainder (* *rand* 17) 251)) *rand*)
(define (randomize l)
  (do ((a '())) ((null? l) a)
    (let ((n (remainder (browse-random) (length l))))
      (cond ((zero? n) (set! a (cons (car l) a)) (set! l (cdr l)) l)
            (else (do ((n n (- n 1)) (x l (cdr x)))
                      ((= n 1) (set! a (cons (cadr x) a)) (set-cdr! x (cddr x)) x)))))))
(define (my-match pat dat alist)
  (cond ((null? pat) (null? dat))
        ((null? dat) '())
        ((or (eq? (car pat) '?) (eq? (car pat) (car dat))) (my-match (cdr pat) (cdr dat) alist))
        ((eq? (car pat) '*)
         (or (my-match (cdr pat) dat alist) (my-match (cdr pat) (cdr dat) alist) (my-match pat (cdr dat) alist)))
        (else
         (cond ((not (pair? (car pat)))
                (cond ((eq? (string-ref (symbol->string (car pat)) 0) #\?)
                       (let ((val (assq (car pat) alist)))
                         (cond (val (my-match (cons (cdr val) (cdr pat)) dat alist))
                               (else (my-match (cdr pat) (cdr dat) (cons (cons (car pat) (car dat)) alist))))))
                      ((eq? (string-ref (symbol->string (car pat)) 0) #\*)
                       (let ((val (assq (car pat) alist)))
                         (cond (val (my-match (append (cdr val) (cdr pat)) dat alist))
                               (else
                                (do ((l '() (append-to-tail! l (cons (if (null? d) '() (car d)) '())))
                                     (e (cons '() dat) (cdr e))
                                     (d dat (if (null? d) '() (cdr d))))
                                    ((or (null? e) (my-match (cdr pat) d (cons (cons (car pat) l) alist)))
                                     (if (null? e) #f #t)))))))
                      (else #f)))
               (else (and (pair? (car dat))
                          (my-match (car pat) (car dat) alist)
                          (my-match (cdr pat) (cdr dat) alist)))))))
(define database
  (randomize (init 100 10 4 '((a a a b b b b a a a a a b b a a a)
                              (a a b b b b a a (a a) (b b))
                              (a a a b (b a) b a b a)))))
(define (investigate units pats)
  (let ((matches 0))
    (do ((units units (cdr units))) ((null? units) matches)
      (do ((pats pats (cdr pats))) ((null? pats))
        (do ((p (get (car units) 'pattern) (cdr p))) ((null? p))
          (if (eq? (my-match (car pats) (car p) '()) #t) (set! matches (+ matches 1))))))))
(define (main)
  (do ((k 0 (+ k 1)) (total 0 (+ total (investigate database '((*a ?b *b ?b a *a a *b *a) (*a *b *b *a (*a) (*b)) (? ? * (b a) * ? ?))))))
      ((= k 4) total)))""", "3600"),
    "puzzle": ("""
(define size 511)
(define classmax 3)
(define typemax 12)
(define *iii* 0)
(define *kount* 0)
(define *d* 8)
(define *piececount* (make-vector (+ classmax 1) 0))
(define *class* (make-vector (+ typemax 1) 0))
(define *piecemax* (make-vector (+ typemax 1) 0))
(define *puzzle* (make-vector (+ size 1) #f))
(define *p* (make-vector (+ typemax 1) #f))
(define (fit i j)
  (let ((end (vector-ref *piecemax* i)))
    (do ((k 0 (+ k 1)))
        ((or (> k end) (and (vector-ref (vector-ref *p* i) k) (vector-ref *puzzle* (+ j k))))
         (if (> k end) #t #f)))))
(define (place i j)
  (let ((end (vector-ref *piecemax* i)))
    (do ((k 0 (+ k 1))) ((> k end))
      (cond ((vector-ref (vector-ref *p* i) k) (vector-set! *puzzle* (+ j k) #t) #t)))
    (vector-set! *piececount* (vector-ref *class* i) (- (vector-ref *piececount* (vector-ref *class* i)) 1))
    (do ((k j (+ k 1)))
        ((or (> k size) (not (vector-ref *puzzle* k))) (if (> k size) 0 k)))))
(define (puzzle-remove i j)
  (let ((end (vector-ref *piecemax* i)))
    (do ((k 0 (+ k 1))) ((> k end))
      (cond ((vector-ref (vector-ref *p* i) k) (vector-set! *puzzle* (+ j k) #f) #f)))
    (vector-set! *piececount* (vector-ref *class* i) (+ (vector-ref *piececount* (vector-ref *class* i)) 1))))
(define (trial j)
  (let ((k 0))
    (call-with-current-continuation
     (lambda (return)
       (do ((i 0 (+ i 1)))
           ((> i typemax) (set! *kount* (+ *kount* 1)) #f)
         (cond
          ((not (zero? (vector-ref *piececount* (vector-ref *class* i))))
           (cond
            ((fit i j)
             (set! k (place i j))
             (cond ((or (trial k) (zero? k)) (set! *kount* (+ *kount* 1)) (return #t))
                   (else (puzzle-remove i j))))))))))))
(define (define-piece iclass ii jj kk)
  (let ((index 0))
    (do ((i 0 (+ i 1))) ((> i ii))
      (do ((j 0 (+ j 1))) ((> j jj))
        (do ((k 0 (+ k 1))) ((> k kk))
          (set! index (+ i (* *d* (+ j (* *d* k)))))
          (vector-set! (vector-ref *p* *iii*) index #t))))
    (vector-set! *class* *iii* iclass)
    (vector-set! *piecemax* *iii* index)
    (cond ((not (= *iii* typemax)) (set! *iii* (+ *iii* 1))))))
(define (start)
  (set! *kount* 0)
  (do ((i 0 (+ i 1))) ((> i typemax)) (vector-set! *p* i (make-vector (+ size 1) #f)))
  (do ((m 0 (+ m 1))) ((> m size)) (vector-set! *puzzle* m #t))
  (do ((i 1 (+ i 1))) ((> i 5))
    (do ((j 1 (+ j 1))) ((> j 5))
      (do ((k 1 (+ k 1))) ((> k 5))
        (vector-set! *puzzle* (+ i (* *d* (+ j (* *d* k)))) #f))))
  (set! *iii* 0)
  (define-piece 0 3 1 0) (define-piece 0 1 0 3) (define-piece 0 0 3 1)
  (define-piece 0 1 3 0) (define-piece 0 3 0 1) (define-piece 0 0 1 3)
  (define-piece 1 2 0 0) (define-piece 1 0 2 0) (define-piece 1 0 0 2)
  (define-piece 2 1 1 0) (define-piece 2 1 0 1) (define-piece 2 0 1 1)
  (define-piece 3 1 1 1)
  (vector-set! *piececount* 0 13)
  (vector-set! *piececount* 1 3)
  (vector-set! *piececount* 2 1)
  (vector-set! *piececount* 3 1)
  (let ((m (+ (* *d* (+ *d* 1)) 1)) (n 0))
    (if (fit 0 m) (set! n (place 0 m)) (error "puzzle: the first piece does not fit"))
    (if (trial n) *kount* #f)))
(define (main) (start))""", "2005"),
    "triangl": ("""
(define *board* (make-vector 16 1))
(define *sequence* (make-vector 14 0))
(define *a* (list->vector '(1 2 4 3 5 6 1 3 6 2 5 4 11 12 13 7 8 4 4 7 11 8 12 13 6 10 15 9 14 13 13 14 15 9 10 6 6)))
(define *b* (list->vector '(2 4 7 5 8 9 3 6 10 5 9 8 12 13 14 8 9 5 2 4 7 5 8 9 3 6 10 5 9 8 12 13 14 8 9 5 5)))
(define *c* (list->vector '(4 7 11 8 12 13 6 10 15 9 14 13 13 14 15 9 10 6 1 2 4 3 5 6 1 3 6 2 5 4 11 12 13 7 8 4 4)))
(define *answer* '())
(define (attempt i depth)
  (cond ((= depth 14)
         (set! *answer* (cons (cdr (vector->list *sequence*)) *answer*))
         #t)
        ((and (= 1 (vector-ref *board* (vector-ref *a* i)))
              (= 1 (vector-ref *board* (vector-ref *b* i)))
              (= 0 (vector-ref *board* (vector-ref *c* i))))
         (vector-set! *board* (vector-ref *a* i) 0)
         (vector-set! *board* (vector-ref *b* i) 0)
         (vector-set! *board* (vector-ref *c* i) 1)
         (vector-set! *sequence* depth i)
         (do ((j 0 (+ j 1)) (depth (+ depth 1)))
             ((or (= j 36) (attempt j depth)) #f))
         (vector-set! *board* (vector-ref *a* i) 1)
         (vector-set! *board* (vector-ref *b* i) 1)
         (vector-set! *board* (vector-ref *c* i) 0)
         #f)
        (else #f)))
(define (move! i depth)
  (vector-set! *board* (vector-ref *a* i) 0)
  (vector-set! *board* (vector-ref *b* i) 0)
  (vector-set! *board* (vector-ref *c* i) 1)
  (vector-set! *sequence* depth i))
(define (main)
  (vector-fill! *board* 1)
  (vector-set! *board* 5 0)
  (set! *answer* '())
  (move! 22 1)
  (move! 34 2)
  (move! 31 3)
  (move! 15 4)
  (do ((j 0 (+ j 1))) ((= j 36)) (attempt j 5))
  (list (length *answer*) (car *answer*)))""", "(3 (22 34 31 15 7 1 20 17 25 6 5 13 32))"),
    "fft": ("""
(define pi (* 4 (atan 1)))
(define (fft! re im inverse?)
  (let ((n (vector-length re)))
    (let loop ((i 0) (j 0))
      (if (< i n)
          (begin
            (if (< i j)
                (let ((tr (vector-ref re i)) (ti (vector-ref im i)))
                  (vector-set! re i (vector-ref re j)) (vector-set! im i (vector-ref im j))
                  (vector-set! re j tr) (vector-set! im j ti)))
            (let bit ((m (quotient n 2)) (j j))
              (if (and (>= m 1) (>= j m))
                  (bit (quotient m 2) (- j m))
                  (loop (+ i 1) (+ j m)))))))
    (let stage ((size 2))
      (if (<= size n)
          (let* ((half (quotient size 2))
                 (angle (/ (* (if inverse? 2. -2.) pi) size)))
            (do ((k 0 (+ k 1))) ((= k half))
              (let ((wr (cos (* angle k))) (wi (sin (* angle k))))
                (do ((start 0 (+ start size))) ((>= start n))
                  (let* ((a (+ start k)) (b (+ a half))
                         (br (vector-ref re b)) (bi (vector-ref im b))
                         (tr (- (* wr br) (* wi bi))) (ti (+ (* wr bi) (* wi br))))
                    (vector-set! re b (- (vector-ref re a) tr)) (vector-set! im b (- (vector-ref im a) ti))
                    (vector-set! re a (+ (vector-ref re a) tr)) (vector-set! im a (+ (vector-ref im a) ti))))))
            (stage (* size 2)))))
    (if inverse?
        (do ((i 0 (+ i 1))) ((= i n))
          (vector-set! re i (/ (vector-ref re i) n)) (vector-set! im i (/ (vector-ref im i) n))))))
(define (main)
  (let* ((n 4096) (re (make-vector n 0.)) (im (make-vector n 0.)))
    (do ((i 0 (+ i 1))) ((= i n)) (vector-set! re i (exact->inexact (modulo (* i i) 17))))
    (fft! re im #f)
    (let ((peak (inexact->exact (round (vector-ref re 0)))) (x1 (inexact->exact (round (vector-ref re 1)))))
      (fft! re im #t)
      (let check ((i 0) (ok #t))
        (if (= i n) (list ok peak x1)
            (check (+ i 1) (and ok (= (inexact->exact (round (vector-ref re i))) (modulo (* i i) 17)))))))))""", "(#t 32775 7)"),
    "collatz": ("""
(define (steps n) (let loop ((n n) (s 0)) (if (= n 1) s (loop (if (even? n) (quotient n 2) (+ (* 3 n) 1)) (+ s 1)))))
(define (main) (let loop ((n 1) (best 0)) (if (> n 20000) best (loop (+ n 1) (max best (steps n))))))""", "278"),
}


# --clock: (Python clock, Guile procedure) for each choice.
CLOCKS = {"wall": (time.perf_counter, "get-internal-real-time"), "cpu": (time.process_time, "get-internal-run-time")}


def time_sxflow(definitions: str, repeat: int, clock: str = "wall") -> tuple[float, str]:
    interpreter = sxflow.Interpreter()
    interpreter.eval(definitions)
    main_call = sxflow.read_all("(main)")  # read once, outside the timed runs
    result = sxflow.write_string(interpreter.eval_forms(main_call))  # warm-up, and the answer
    median, _ = median_time(lambda: interpreter.eval_forms(main_call), repeat, CLOCKS[clock][0])
    return median, result


GUILE_RUNNER = """
(define (time-main)
  (let* ((start ({clock})) (result (main)) (end ({clock})))
    (display (exact->inexact (/ (- end start) internal-time-units-per-second)))
    (newline)
    (write result)
    (newline)))
(main)  ; the warm-up run, as in sxflow
(let loop ((i 0)) (when (< i {repeat}) (time-main) (loop (+ i 1))))
"""


def time_guile(guile: str, definitions: str, compiled: bool, repeat: int, workdir: Path,
               clock: str = "wall") -> tuple[float, str]:
    path = workdir / ("compiled.scm" if compiled else "interpreted.scm")
    path.write_text(definitions + GUILE_RUNNER.replace("{repeat}", str(repeat)).replace("{clock}", CLOCKS[clock][1]))
    environment = dict(os.environ, XDG_CACHE_HOME=str(workdir / "cache"), GUILE_AUTO_COMPILE="1" if compiled else "0")
    if clock == "cpu":
        environment["GC_MARKERS"] = "1"  # one collector thread: processor time is one thread's work
    command = [guile, "--auto-compile" if compiled else "--no-auto-compile", str(path)]
    if compiled:  # the first run compiles (and its time is not counted)
        subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600)
    completed = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600)
    lines = completed.stdout.split("\n")  # time, answer, time, answer, ..., ""
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
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall: elapsed time; cpu: processor time of the process (steadier on a busy machine)")
    arguments = parser.parse_args()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    names = [name for name in PROGRAMS if not arguments.only or name in arguments.only.split(",")]
    guile = shutil.which("guile") or shutil.which("guile-3.0")
    print(f"Python {sys.version.split()[0]}, {arguments.clock} clock, median of {arguments.repeat} runs after one "
          f"warm-up, start-up excluded on both sides; guile: {guile or 'not on PATH'}")
    print(f"\n{'program':12} {'sxflow s':>9} {'guile-i s':>10} {'guile-c s':>10} {'/interp':>8} {'/compiled':>10}  answer")
    interpreted_ratios, compiled_ratios, failures = [], [], 0
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        for name in names:
            definitions, expected = PROGRAMS[name]
            seconds, answer = time_sxflow(definitions, arguments.repeat, arguments.clock)
            check = "ok" if answer == expected else f"WRONG: {answer} (expected {expected})"
            failures += answer != expected
            row = f"{name:12} {seconds:9.4f}"
            if guile:
                interpreted, interpreted_answer = time_guile(guile, definitions, False, arguments.repeat, workdir,
                                                             arguments.clock)
                compiled, compiled_answer = time_guile(guile, definitions, True, arguments.repeat, workdir, arguments.clock)
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
