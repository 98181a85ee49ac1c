"""The ``sxflow`` command: run, eval, check and repl, with one way of reporting errors and exit statuses.

Exit statuses:
  0   success (or the status a program passed to ``(exit)``)
  1   an uncaught Scheme error, a syntax error, or ``sxflow check`` found syntax errors
  2   a usage error, or a file that cannot be read (the message names the path)
  70  an internal error: a bug in sxflow itself (``--debug`` shows the Python traceback)
  130 interrupted by Ctrl-C
"""

from __future__ import annotations

import argparse
import sys

from . import __version__, deferred
from .data import Symbol, list_to_python
from .errors import ErrorObject, SchemeError, SxError, SxSyntaxError
from .interpreter import Interpreter
from .library.system import SchemeExit
from .limits import RAY_MAX_RESTARTS
from .printer import write_string
from .reader import read_all, read_forms
from .reporting import (COMMANDS, UsageError, flush_quietly, print_error, print_internal_error, read_program,
                        write_result)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE in sysexits.h
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C

DESCRIPTION = """\
Run SX flow programs (a Scheme subset).

  sxflow run FILE... [-- ARGS]   evaluate the files in order, in one interpreter
  sxflow FILE [ARGS...]          the same for one file (so '#!/usr/bin/env sxflow' scripts work)
  sxflow -e EXPR | eval EXPR     evaluate EXPR and write its value
  sxflow check FILE...           report syntax errors and unknown globals without running
  sxflow repl                    interactive prompt (also bare 'sxflow' on a terminal;
                                 with a file or pipe on stdin, bare 'sxflow' runs it)
  sxflow serve FILE... --name NAME [--listen HOST:PORT] [--secret-file PATH]
                                 serve the functions the files fed-expose! to other peers
                                 (needs pip install "sxflow[fed]"; secret: SXFLOW_FED_SECRET)
  sxflow serve --ray NAME FILE... [--ray-address ADDR]
                                 the same peer as a named, detached Ray actor in a running
                                 cluster; the command exits, the actor keeps serving
                                 (needs pip install "sxflow[ray]")
  sxflow runs --store PATH       list the flow runs in a store file with their status
  sxflow resume RUN-ID --store PATH FILE...
                                 load the flow definitions in FILE(s), resume the run
                                 and write its output; RUN-ID as 'sxflow runs' writes
                                 it: order-1 is a symbol id, '"order-1"' a string id

--store PATH backs the flow store with that SQLite file (created when missing):
every store write is durable when it returns, and runs can be resumed after a crash.

The flow library is loaded first unless --no-flow is given. (command-line) returns
the program name followed by the arguments after '--'.
"""

EPILOG = """\
exit status: 0 success (or the status given to (exit)), 1 Scheme or syntax error,
2 usage error or unreadable file, 70 internal error, 130 interrupted.
"""


# ---------------------------------------------------------------------------
# Arguments


def _common_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # Subcommands accept the same options as the top level; SUPPRESS keeps an option
    # given before the subcommand from being reset by the subcommand's default.
    default = {} if top else {"default": argparse.SUPPRESS}
    parser.add_argument("--no-flow", dest="no_flow", action="store_true",
                        help="do not load the flow library first", **default)
    parser.add_argument("--debug", action="store_true",
                        help="also print the Python traceback of an error", **default)


def _store_option(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = {} if top else {"default": argparse.SUPPRESS}
    parser.add_argument("--store", metavar="PATH",
                        help="back the flow store with this SQLite file (created when missing)", **default)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sxflow", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"sxflow {__version__}")
    parser.add_argument("-e", "--eval", dest="expression", metavar="EXPR",
                        help="evaluate EXPR and write its value (like 'sxflow eval EXPR')")
    _common_options(parser, top=True)
    _store_option(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="evaluate files in order")
    run.add_argument("files", nargs="+", metavar="FILE", help="a .sx file, or - for standard input")
    _common_options(run, top=False)
    _store_option(run, top=False)

    evaluate = commands.add_parser("eval", help="evaluate an expression and write its value")
    evaluate.add_argument("command_expression", metavar="EXPR")
    _common_options(evaluate, top=False)
    _store_option(evaluate, top=False)

    check = commands.add_parser("check", help="report syntax errors and unknown globals without running")
    check.add_argument("files", nargs="+", metavar="FILE")
    _common_options(check, top=False)

    repl = commands.add_parser("repl", help="interactive prompt")
    _common_options(repl, top=False)
    _store_option(repl, top=False)

    serve = commands.add_parser("serve", help="serve exposed functions to federation peers over HTTP")
    serve.add_argument("files", nargs="+", metavar="FILE", help="files that call fed-expose!")
    serve.add_argument("--name", help="this peer's name (replicas it pushes are filed under it)")
    serve.add_argument("--listen", metavar="HOST:PORT", help="address to bind (default 127.0.0.1, a free port)")
    serve.add_argument("--secret-file", dest="secret_file", metavar="PATH",
                       help="file holding the shared secret (default: $SXFLOW_FED_SECRET)")
    serve.add_argument("--max-body", dest="max_body", type=int, default=64 * 1024 * 1024, metavar="BYTES",
                       help="largest request body accepted (default 64 MiB)")
    serve.add_argument("--body-timeout", dest="body_timeout", type=float, default=10.0, metavar="SECONDS",
                       help="how long a client may take to send its request body (default 10)")
    serve.add_argument("--shutdown-timeout", dest="shutdown_timeout", type=float, default=10.0, metavar="SECONDS",
                       help="on SIGTERM/SIGINT, how long in-flight calls may take to finish (default 10)")
    _common_options(serve, top=False)
    _ray_serve_options(serve)

    runs = commands.add_parser("runs", help="list the flow runs in a store file")
    _common_options(runs, top=False)
    _store_option(runs, top=False)

    resume = commands.add_parser("resume", help="resume a flow run from a store file")
    resume.add_argument("run_id", metavar="RUN-ID",
                        help="the run id as 'sxflow runs' writes it: order-1 (a symbol) or '\"order-1\"' (a string)")
    resume.add_argument("files", nargs="+", metavar="FILE", help="files defining the run's flows")
    _common_options(resume, top=False)
    _store_option(resume, top=False)
    return parser


def _split_program_arguments(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """The command's own arguments and the program's (those after the first '--', or None)."""
    if "--" in argv:
        index = argv.index("--")
        return argv[:index], argv[index + 1:]
    return argv, None


def _first_positional(argv: list[str]) -> int | None:
    """Index of the first argument that is not an option (nor the value of -e)."""
    skip = False
    for index, argument in enumerate(argv):
        if skip:
            skip = False
            continue
        if argument in ("-e", "--eval", "--store"):
            skip = True
            continue
        if argument.startswith("-") and argument != "-":
            continue
        return index
    return None


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """Parse the command line; ``sxflow FILE ARGS...`` is script mode (``run FILE -- ARGS``)."""
    own, program_arguments = _split_program_arguments(argv)
    first = _first_positional(own)
    script = first is not None and own[first] not in COMMANDS
    if script:
        # Like python and guile: the first file is the program, the rest are its arguments.
        rest = own[first + 1:]
        program_arguments = rest + (program_arguments or [])
        own = own[:first] + ["run", own[first]]
    options = build_parser().parse_args(own)
    options.script = script
    options.program_arguments = program_arguments or []
    if options.expression is not None and options.command is not None:
        raise UsageError("give either -e EXPR or a command, not both")
    return options


# ---------------------------------------------------------------------------
# Commands


def make_interpreter(options, program: str):
    interpreter = Interpreter()
    interpreter.command_line = [program, *options.program_arguments]
    # The command owns the process, so (emergency-exit) may end it at once.
    interpreter.allow_process_exit = True
    store = getattr(options, "store", None)
    if store is not None and options.no_flow:
        raise UsageError("--store needs the flow library: drop --no-flow")
    if not options.no_flow:
        interpreter.load_flow()
    if store is not None:
        open_store(interpreter, store)
    return interpreter


def open_store(interpreter, path: str) -> None:
    """Back the interpreter's flow store with the file at ``path``; a file that cannot be used is a UsageError."""
    try:
        interpreter.call("flow-store-open!", path)
    except SchemeError as error:
        payload = error.payload
        if type(payload) is ErrorObject and payload.kind == "file":
            raise UsageError(payload.message) from None
        raise


def command_run(options) -> int:
    texts = [(path, read_program(path)) for path in options.files]
    # Every file is read before any runs, so a syntax error in one stops the program before it starts.
    programs = [read_forms(text, "<stdin>" if path == "-" else path) for path, text in texts]
    interpreter = make_interpreter(options, options.files[0])
    for forms in programs:
        interpreter.eval_forms([form for form, _ in forms], positions=[where for _, where in forms])
    flush_quietly(sys.stdout)
    return EXIT_OK


def command_eval(options, expression: str) -> int:
    interpreter = make_interpreter(options, "sxflow")
    write_result(interpreter.eval(expression, "<eval>"))
    return EXIT_OK


def command_check(options) -> int:
    sources = [(path, read_program(path)) for path in options.files]
    report = deferred.command_module("check").check_files(sources, flow=not options.no_flow)
    for diagnostic in report.diagnostics:
        print(diagnostic, file=sys.stderr)
    if report.diagnostics:
        print(report.summary(), file=sys.stderr)
    return EXIT_ERROR if report.errors else EXIT_OK


def command_runs(options) -> int:
    """List every run in the store: id (written: "a" is a string id, a a symbol id), status, steps done of steps, flow, last error."""
    _require_store(options, "runs")
    interpreter = make_interpreter(options, "sxflow")
    rows = []
    for run_id in _scheme_list(interpreter.call("flow-runs")):
        status = {entry.car.name: entry.cdr.car for entry in _scheme_list(interpreter.call("flow-run-status", run_id))}
        message = status["error"]
        rows.append((write_string(run_id), status["status"].name, f"{status['next']}/{status['steps']}",
                     write_string(status["flow"]), "" if message is False else f"error: {message}"))
    widths = [max((len(row[column]) for row in rows), default=0) for column in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths + [0])).rstrip())
    flush_quietly(sys.stdout)
    return EXIT_OK


def _scheme_list(value) -> list:
    return list_to_python(value)


def command_resume(options) -> int:
    """Load the definitions, then resume the run and write its output."""
    _require_store(options, "resume")
    run_id = _run_id(options.run_id)
    texts = [(path, read_program(path)) for path in options.files]
    programs = [read_forms(text, "<stdin>" if path == "-" else path) for path, text in texts]
    interpreter = make_interpreter(options, options.files[0])
    for forms in programs:
        interpreter.eval_forms([form for form, _ in forms], positions=[where for _, where in forms])
    runs = _scheme_list(interpreter.call("flow-runs"))
    if run_id not in runs:
        flush_quietly(sys.stdout)
        print(f"sxflow: no run {write_string(run_id)} in the store {options.store} (flow-run-unknown)"
              f"{_other_kind_hint(run_id, runs)}", file=sys.stderr)
        return EXIT_ERROR
    write_result(interpreter.call("flow-resume!", run_id))
    return EXIT_OK


def _run_id(text: str):
    """RUN-ID as sxflow runs writes it: "order-1" (quotes included) is a string id, order-1 a symbol id."""
    try:
        forms = read_all(text, "RUN-ID")
    except SxSyntaxError as error:
        raise UsageError(f"RUN-ID {text!r} cannot be read: {error}") from None
    if len(forms) != 1 or not (type(forms[0]) is str or type(forms[0]) is Symbol):
        raise UsageError(f"RUN-ID is a run id as 'sxflow runs' writes it: a symbol (order-1) or a string "
                         f"with its quotes ('\"order-1\"'), not {text!r}")
    return forms[0]


def _other_kind_hint(run_id, runs) -> str:
    """When the same name is a run id of the other kind, say how to write that one."""
    other = run_id.name if type(run_id) is Symbol else Symbol(run_id)
    if other not in runs:
        return ""
    kind = "string" if type(other) is str else "symbol"
    return f"; the store has the {kind} run id {write_string(other)}: give it as written there"


def _require_store(options, command: str) -> None:
    if getattr(options, "store", None) is None:
        raise UsageError(f"{command} needs --store PATH (the store file holding the runs)")


def command_repl(options) -> int:
    interpreter = make_interpreter(options, "sxflow")
    repl = deferred.command_module("repl")
    return repl.Repl(interpreter, debug=options.debug, flow_loaded=not options.no_flow).run()


def command_serve(options) -> int:
    if options.ray is not None:
        return command_serve_ray(options)
    if options.name is None:
        raise UsageError("serve: give the peer's name with --name NAME (or --ray NAME for a Ray actor)")
    command = deferred.command_module("serve")
    try:
        return command.command_serve(options, make_interpreter)
    except command.ServeUsageError as error:
        raise UsageError(str(error)) from None


def _ray_serve_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--ray", metavar="NAME",
                       help="instead of an HTTP server, start the peer as the named, detached Ray actor NAME "
                            "in a running Ray cluster, then exit (needs pip install \"sxflow[ray]\")")
    serve.add_argument("--ray-address", dest="ray_address", metavar="ADDR",
                       help="the Ray cluster (default: $RAY_ADDRESS, else the one 'ray start --head' runs here)")
    serve.add_argument("--ray-max-restarts", dest="ray_max_restarts", type=int, default=RAY_MAX_RESTARTS,
                       metavar="N", help=f"restarts Ray may make after the actor crashes (default {RAY_MAX_RESTARTS})")
    serve.add_argument("--ray-store", dest="ray_store", metavar="PATH",
                       help="keep the actor's store in this SQLite file (on the actor's node), so it survives restarts")


def command_serve_ray(options) -> int:
    if options.listen or options.secret_file:
        raise UsageError("serve --ray: --listen and --secret-file are for the HTTP server; "
                         "a Ray actor is reached through its cluster")
    return deferred.command_module("ray").command_serve(options)


def dispatch(options) -> int:
    if options.expression is not None:
        return command_eval(options, options.expression)
    if options.command == "run":
        return command_run(options)
    if options.command == "eval":
        return command_eval(options, options.command_expression)
    if options.command == "check":
        return command_check(options)
    if options.command == "repl":
        return command_repl(options)
    if options.command == "serve":
        return command_serve(options)
    if options.command == "runs":
        return command_runs(options)
    if options.command == "resume":
        return command_resume(options)
    # Bare `sxflow`: a prompt on a terminal, otherwise the program on standard input.
    if sys.stdin is not None and sys.stdin.isatty():
        return command_repl(options)
    options.files = ["-"]
    return command_run(options)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sxflow`` command; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        options = parse_arguments(argv)
    except UsageError as error:
        print(f"sxflow: {error}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exit_request:  # argparse: --help, --version, usage errors
        code = exit_request.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_USAGE)
    debug = options.debug
    try:
        return dispatch(options)
    except UsageError as error:
        flush_quietly(sys.stdout)
        print(f"sxflow: {error}", file=sys.stderr)
        return EXIT_USAGE
    except SchemeExit as exit_request:
        flush_quietly(sys.stdout)
        return exit_request.status & 0xFF
    except SxError as error:
        print_error(error, debug)
        return EXIT_ERROR
    except KeyboardInterrupt:
        flush_quietly(sys.stdout)
        print("sxflow: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        print_internal_error(error, debug)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
