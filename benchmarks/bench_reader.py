"""Benchmark: sxflow's reader against sexpdata on a generated ~1 MB SX text, plus cold start time.

Run from the repository root:

    python benchmarks/bench_reader.py              # lark-cython if installed, else pure Python
    SXFLOW_PURE_READER=1 python benchmarks/bench_reader.py
    python benchmarks/bench_reader.py --size 2000000 --runs 7

sexpdata (``pip install sexpdata``, the ``bench`` extra) is a pure-Python
S-expression reader; the ratio sxflow/sexpdata is the figure to watch (target
>= 0.3 with positions kept, pure Python). Both read the same text in the same run.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

WORDS = ["flow", "peer", "store", "step", "node", "replica", "addr", "table", "input", "state",
         "export", "import", "remote", "local", "retry", "count", "value", "key", "alist", "result"]
STRING_PIECES = ["hello", "peer ", "\\n", "\\t", "\\\"quoted\\\"", "path\\\\to", "done.", " ", "x=", "42"]


def _name(rng: random.Random) -> str:
    parts = rng.sample(WORDS, rng.randint(1, 3))
    name = "-".join(parts)
    return name + rng.choice(["", "", "", "!", "?", "->list", "*"])


def _expression(rng: random.Random, depth: int) -> str:
    if depth <= 0 or rng.random() < 0.3:
        roll = rng.random()
        if roll < 0.45:
            return _name(rng)
        if roll < 0.65:
            return str(rng.randint(-1000, 100000))
        if roll < 0.72:
            return f"{rng.uniform(-100, 100):.3f}"
        if roll < 0.88:
            return '"' + "".join(rng.choice(STRING_PIECES) for _ in range(rng.randint(1, 6))) + '"'
        if roll < 0.95:
            return "'" + _name(rng)
        return "'(" + " ".join(_name(rng) for _ in range(rng.randint(1, 4))) + ")"
    head = rng.choice(["if", "let", "cons", "list", "begin", "+", "-", "flow-assoc", "car", "cdr", _name(rng)])
    if head == "let":
        bindings = " ".join(f"({_name(rng)} {_expression(rng, depth - 2)})" for _ in range(rng.randint(1, 3)))
        return f"(let ({bindings})\n    {_expression(rng, depth - 1)})"
    arguments = " ".join(_expression(rng, depth - 1) for _ in range(rng.randint(1, 4)))
    return f"({head} {arguments})"


def generate(size: int, seed: int = 20240601) -> str:
    """A deterministic SX text of about ``size`` characters: commented defines, nested bodies."""
    rng = random.Random(seed)
    chunks = []
    total = 0
    number = 0
    while total < size:
        number += 1
        parameters = " ".join(_name(rng) for _ in range(rng.randint(0, 3)))
        body = "\n  ".join(_expression(rng, 5) for _ in range(rng.randint(1, 3)))
        chunk = (f";; definition {number}: {rng.choice(WORDS)} {rng.choice(WORDS)}\n"
                 f"(define ({_name(rng)}-{number} {parameters})\n"
                 f"  ; the body\n  {body})\n\n")
        chunks.append(chunk)
        total += len(chunk)
    return "".join(chunks)


def best_time(function, text: str, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        result = function(text)
        elapsed = time.perf_counter() - start
        del result  # freeing the data is not part of reading
        best = min(best, elapsed)
    return best


def gc_paused(function):
    """``function`` with the cyclic garbage collector paused, as sxflow's read_all does internally."""

    def run(text):
        gc.disable()
        try:
            return function(text)
        finally:
            gc.enable()

    return run


SMALL_PROGRAM = "\n".join([
    ";; a small file",
    "(define (square x)",
    "  (* x x))",
    "(define items '(1 2 3 \"four\" #\\5))",
    "(define (sum lst)",
    "  (if (null? lst)",
    "      0",
    "      (+ (car lst) (sum (cdr lst)))))",
    "(display (sum (map square '(1 2 3))))",
    "(newline)",
]) + "\n"

# Run in a fresh interpreter: the phases of a cold start, in milliseconds.
COLD_START_CODE = """
import sys, time
start = time.perf_counter()
import lark
after_lark = time.perf_counter()
from sxflow.reader import read_all
after_import = time.perf_counter()
assert len(read_all(open(sys.argv[1]).read(), sys.argv[1])) == 5
done = time.perf_counter()
print((done - start) * 1000, (after_lark - start) * 1000, (after_import - after_lark) * 1000,
      (done - after_import) * 1000)
"""


def cold_start(runs: int, cache: bool) -> tuple[float, list[float], float]:
    """Best wall time of a fresh interpreter importing the reader and reading a 10-line file (and
    its phases: import lark, import sxflow, build the parser + read), and of ``python -c "import lark"``."""
    with tempfile.NamedTemporaryFile("w", suffix=".sx", delete=False) as handle:
        handle.write(SMALL_PROGRAM)
        path = handle.name
    environment = dict(os.environ, PYTHONPATH=str(REPOSITORY), SXFLOW_READER_CACHE="1" if cache else "0")
    try:
        # One run first, so a grammar cache exists, as it would after the first use.
        subprocess.run([sys.executable, "-c", COLD_START_CODE, path], check=True, env=environment,
                       capture_output=True)
        best_total = float("inf")
        phases: list[float] = []
        for _ in range(runs):
            start = time.perf_counter()
            output = subprocess.run([sys.executable, "-c", COLD_START_CODE, path], check=True, env=environment,
                                    capture_output=True, text=True).stdout
            total = time.perf_counter() - start
            if total < best_total:
                best_total = total
                phases = [float(number) for number in output.split()[1:]]
        lark_alone = float("inf")
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import lark"], check=True, env=environment)
            lark_alone = min(lark_alone, time.perf_counter() - start)
        return best_total, phases, lark_alone
    finally:
        os.unlink(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="characters of generated text")
    parser.add_argument("--runs", type=int, default=5, help="runs per reader; the best is kept")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold start measurement")
    arguments = parser.parse_args()

    text = generate(arguments.size)
    megabytes = len(text.encode("utf-8")) / 1e6

    from sxflow import reader

    data = reader.read_all(text, "bench.sx")
    print(f"text: {megabytes:.2f} MB, {text.count(chr(10))} lines, {len(data)} top-level forms; "
          f"sxflow parser: {reader.parser_kind}")
    sxflow_time = best_time(lambda source: reader.read_all(source, "bench.sx"), text, arguments.runs)
    sxflow_speed = megabytes / sxflow_time
    print(f"sxflow.reader.read_all  {sxflow_speed:6.2f} MB/s  ({sxflow_time * 1000:.0f} ms)")

    try:
        import sexpdata
    except ImportError:
        print("sexpdata is not installed (pip install sexpdata): no ratio")
    else:
        # sexpdata.parse reads every top-level form ('loads' wants exactly one).
        forms = sexpdata.parse(text)
        assert len(forms) == len(data), (len(forms), len(data))
        sexpdata_time = best_time(sexpdata.parse, text, arguments.runs)
        sexpdata_speed = megabytes / sexpdata_time
        print(f"sexpdata.parse          {sexpdata_speed:6.2f} MB/s  ({sexpdata_time * 1000:.0f} ms)"
              f"   ratio sxflow/sexpdata {sxflow_speed / sexpdata_speed:5.2f}")
        # read_all pauses the garbage collector; so does this run, for a like-for-like ratio.
        paused_time = best_time(gc_paused(sexpdata.parse), text, arguments.runs)
        paused_speed = megabytes / paused_time
        print(f"sexpdata.parse, gc off  {paused_speed:6.2f} MB/s  ({paused_time * 1000:.0f} ms)"
              f"   ratio sxflow/sexpdata {sxflow_speed / paused_speed:5.2f}")

    if not arguments.no_cold:
        for cache in (True, False):
            total, phases, lark_alone = cold_start(7, cache)
            print(f"cold start, grammar cache {'on ' if cache else 'off'}: import + read a 10-line file "
                  f"{total * 1000:.0f} ms (import lark {phases[0]:.0f}, import sxflow {phases[1]:.0f}, "
                  f"build parser + read {phases[2]:.1f}); python -c 'import lark' {lark_alone * 1000:.0f} ms")


if __name__ == "__main__":
    main()
