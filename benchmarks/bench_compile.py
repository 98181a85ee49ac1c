"""Compile time: loading the flow library, and a generated 5,000-line program, into a fresh interpreter.

Each figure is the median of ``--repeat`` runs in one process; the first interpreter
pays for compiling each generated source text once (later ones find it in the
per-process cache), so the first run and the median are printed apart. On a shared,
busy machine ``--clock cpu`` times the process's CPU time instead of the wall clock.

    python benchmarks/bench_compile.py [--repeat N] [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sxflow  # noqa: E402


def five_thousand_lines() -> str:
    """1,000 procedures of 5 lines each: arithmetic, conditionals, named-let loops, calls, closures."""
    parts = []
    for index in range(1000):
        previous = f"proc{index - 1}" if index else "+"
        if index % 4 == 3:
            parts.append(f"(define (proc{index} x y)\n  (let ((counter 0))\n    (set! counter (+ counter x))\n"
                         f"    (lambda (z) (+ counter z y))))\n\n")
        else:
            parts.append(f"(define (proc{index} x y)\n  (let loop ((i x) (acc y))\n    (cond ((< i 1) acc)\n"
                         f"          (else (loop (- i 1) ({previous} acc {index % 7}))))))\n\n")
    return "".join(parts)


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def timed(action, repeat: int, clock=time.perf_counter) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = clock()
        action()
        times.append(clock() - start)
    return times[0], statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall: elapsed time; cpu: this process's CPU time (steadier on a busy machine)")
    arguments = parser.parse_args()
    clock = CLOCKS[arguments.clock]
    program = five_thousand_lines()
    print(f"Python {sys.version.split()[0]}, {arguments.clock} clock; first run / median of {arguments.repeat}")
    first, median = timed(lambda: sxflow.Interpreter().load_flow(), arguments.repeat, clock)
    print(f"load_flow (lib/flow)          {first:7.3f} s  {median:7.3f} s")
    first, median = timed(lambda: sxflow.Interpreter().eval(program), arguments.repeat, clock)
    print(f"5,000-line program ({program.count(chr(10))} lines) {first:7.3f} s  {median:7.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
