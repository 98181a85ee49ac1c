"""Cold start: a whole process (import, Interpreter(), one eval) against ``python -c "import lark"``, with and without bytecode.

Python compiles a module's source on every import unless it finds a ``__pycache__``
entry; with ``PYTHONDONTWRITEBYTECODE=1`` (set in some environments, this one
included) a checkout never gets one, so each process compiles all of sxflow again,
while lark, installed by pip, has its bytecode. Both cases are timed on a fresh copy
of the package in a temporary directory (the checkout's own ``__pycache__`` is
neither used nor touched), alternating the processes so a busy machine slows all of
them alike:

- *not byte-compiled*: ``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__``, as a
  checkout runs here;
- *byte-compiled*: bytecode written by one priming run, as after ``pip install``.

    python benchmarks/bench_startup.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SXFLOW_CODE = "import sxflow; sxflow.Interpreter().eval('(+ 1 2)')"
LARK_CODE = "import lark"
TARGET = 2.5  # issue 14: cold start still <= 2.5x ``import lark``


def run_once(code: str, directory: Path, environment: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=directory, env=environment, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=11, help="processes per case (median is shown)")
    arguments = parser.parse_args()
    base = {key: value for key, value in os.environ.items() if key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    no_bytecode = dict(base, PYTHONDONTWRITEBYTECODE="1")
    print(f"Python {sys.version.split()[0]}, median of {arguments.repeat} processes per case")
    with tempfile.TemporaryDirectory() as directory:
        plain, compiled = Path(directory, "plain"), Path(directory, "compiled")
        for copy in (plain, compiled):
            shutil.copytree(ROOT / "sxflow", copy / "sxflow", ignore=shutil.ignore_patterns("__pycache__"))
            shutil.copytree(ROOT / "lib", copy / "lib")  # the flow library beside the package, as in a checkout
        run_once(SXFLOW_CODE, compiled, base)  # writes the bytecode of every module a start imports
        cases = {
            "not byte-compiled": (SXFLOW_CODE, plain, no_bytecode),
            "byte-compiled": (SXFLOW_CODE, compiled, base),
            "import lark": (LARK_CODE, plain, base),
        }
        times: dict = {name: [] for name in cases}
        for _ in range(arguments.repeat):
            for name, (code, where, environment) in cases.items():
                times[name].append(run_once(code, where, environment))
        if any(Path(plain).rglob("__pycache__")):
            raise RuntimeError("the not byte-compiled copy got a __pycache__: the measurement is void")
    lark = statistics.median(times["import lark"])
    print(f"python -c 'import lark': {lark:.3f} s")
    for name in ("not byte-compiled", "byte-compiled"):
        seconds = statistics.median(times[name])
        ratio = seconds / lark
        verdict = "ok" if ratio <= TARGET else "OVER"
        print(f"sxflow cold start, {name:18} {seconds:.3f} s  {ratio:.2f}x import lark (target <= {TARGET}x) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
