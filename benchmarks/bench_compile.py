"""Compile time: loading the flow library, and a generated 5,000-line program, into a fresh interpreter.

Each figure is the median of ``--repeat`` runs in one process; the first interpreter
pays for compiling each generated source text once (later ones find it in the
per-process cache), so the first run and the median are printed apart.

    python benchmarks/bench_compile.py [--repeat N]
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


def timed(action, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    program = five_thousand_lines()
    print(f"Python {sys.version.split()[0]}; first run / median of {arguments.repeat}")
    first, median = timed(lambda: sxflow.Interpreter().load_flow(), arguments.repeat)
    print(f"load_flow (lib/flow)          {first:7.3f} s  {median:7.3f} s")
    first, median = timed(lambda: sxflow.Interpreter().eval(program), arguments.repeat)
    print(f"5,000-line program ({program.count(chr(10))} lines) {first:7.3f} s  {median:7.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
