"""How many procedures keep the closure nodes instead of generated Python, and why.

Runs the flow library (lib/flow/*.sx), every case of tests/sx/*.sx and the programs
of bench_eval, bench_classic and bench_macros, counting each procedure sxflow makes
(``procedures.compile_procedure``): written as one Python def, or left to the nodes.
For each one left to the nodes, the reason is where ``Unsupported`` was raised (the
writer's method and line), so the rarest forms can be found.

    python benchmarks/procedure_fallbacks.py [--reasons N]
"""

from __future__ import annotations

import argparse
import collections
import io
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import sxflow  # noqa: E402
from sxflow import procedures  # noqa: E402

counts = collections.Counter()
reasons = collections.Counter()


def counting_writer_procedure(original):
    def procedure(self, names, rest, body_items):
        try:
            return original(self, names, rest, body_items)
        except procedures.SelfLoopCaptured:
            raise  # written again without the self loop: that attempt is counted
        except procedures.Unsupported as error:
            reasons[reason_of(error)] += 1
            raise
        except RecursionError:
            reasons["RecursionError"] += 1
            raise

    return procedure


def reason_of(error) -> str:
    """The writer's method that gave up, and the head of the innermost form it was writing."""
    head = None
    trace = error.__traceback__
    while trace is not None:
        variables = trace.tb_frame.f_locals
        form = variables.get("head", variables.get("form"))
        if isinstance(form, sxflow.Pair):
            form = form.car
        if type(form) is sxflow.Symbol:
            head = form.name
        last = trace
        trace = trace.tb_next
    frame = traceback.extract_tb(last)[-1]
    return f"{type(error).__name__} in {frame.name} (procedures.py:{frame.lineno}), form {head}"


def counting_compile_procedure(original):
    def compile_procedure(*arguments):
        made = original(*arguments)
        counts["written" if made is not None else "nodes"] += 1
        return made

    return compile_procedure


def run_quietly(action) -> None:
    try:
        action()
    except Exception:  # noqa: BLE001 - error cases of the language tests fail on purpose
        pass


def run_language_cases() -> None:
    import test_language

    for path in sorted(test_language.SX_DIRECTORY.glob("*.sx")):
        cases, options = test_language.parse_file(path)
        if "scratch-directory" in options or options.get("allow-files") == "no":
            continue  # file tests need a scratch directory; their procedures are few
        interpreter = None
        for case in cases:
            if not case.continues or interpreter is None:
                interpreter = sxflow.Interpreter(output=io.StringIO())
                if options.get("flow-library") == "yes":
                    interpreter.load_flow()
            text = "\n" * (case.first_line - 1) + case.text
            run_quietly(lambda: interpreter.eval(text, filename=path.name))


def run_benchmark_programs() -> None:
    import bench_classic
    import bench_eval
    import bench_macros

    interpreter = sxflow.Interpreter()
    interpreter.eval(bench_eval.SCHEME_DEFINITIONS)
    for definitions, _ in bench_classic.PROGRAMS.values():
        interpreter = sxflow.Interpreter(output=io.StringIO())
        run_quietly(lambda: interpreter.eval(definitions))
    for text in (bench_macros.MACROS + bench_macros.WITH_MACROS, bench_macros.BY_HAND):
        interpreter = sxflow.Interpreter(output=io.StringIO())
        run_quietly(lambda: interpreter.eval(text))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reasons", type=int, default=15, help="how many of the commonest reasons to show")
    arguments = parser.parse_args()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    procedures.Writer.procedure = counting_writer_procedure(procedures.Writer.procedure)
    procedures.compile_procedure = counting_compile_procedure(procedures.compile_procedure)
    for label, action in (("lib/flow", lambda: sxflow.Interpreter().load_flow()),
                          ("tests/sx", run_language_cases),
                          ("benchmarks", run_benchmark_programs)):
        before = counts.copy()
        action()
        written = counts["written"] - before["written"]
        nodes = counts["nodes"] - before["nodes"]
        print(f"{label:<12} procedures {written + nodes:6d}  written {written:6d}  left to the nodes {nodes:5d}")
    total = counts["written"] + counts["nodes"]
    print(f"{'total':<12} procedures {total:6d}  written {counts['written']:6d}  left to the nodes {counts['nodes']:5d}")
    print("\ncommonest reasons:")
    for reason, number in reasons.most_common(arguments.reasons):
        print(f"{number:6d}  {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
