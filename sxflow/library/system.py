"""The process context (R7RS): command-line, exit, emergency-exit and environment variables.

``exit`` does not end the Python process itself: it raises ``SchemeExit``, a
``SystemExit`` carrying the status, which ``guard`` does not catch and which
runs the ``after`` thunks of every ``dynamic-wind`` it unwinds through. The
``sxflow`` command turns it into its exit status; a Python program embedding
an interpreter sees an ordinary ``SystemExit`` (catch ``SchemeExit`` to keep
running). ``emergency-exit`` ends the process at once (no ``after`` thunks) only
when the interpreter allows it (``interpreter.allow_process_exit``, set by the
``sxflow`` command); embedded, it raises ``SchemeExit`` like ``exit``.
"""

from __future__ import annotations

import os
import sys

from ..data import Pair, make_list
from ..runtime import fault
from .registry import builtin, interpreter_builtin


class SchemeExit(SystemExit):
    """Raised by ``(exit)``: ``.status`` (also ``.code``) is the process exit status it asks for."""

    def __init__(self, status: int, emergency: bool = False) -> None:
        super().__init__(status)
        self.status = status
        self.emergency = emergency


def exit_status(value) -> int:
    """The exit status R7RS gives ``(exit value)``: #f is a failure, an integer itself, anything else success."""
    if value is False:
        return 1
    if type(value) is int:
        return value
    return 0


@interpreter_builtin("command-line")
def make_command_line(interpreter):
    def command_line():
        # A fresh list each time, so a program that mutates it cannot change the next answer.
        return make_list(list(getattr(interpreter, "command_line", None) or ["sxflow"]))

    return command_line


@builtin("exit", types=("any",))
def exit_(value=True):
    raise SchemeExit(exit_status(value))


@interpreter_builtin("emergency-exit", types=("any",))
def make_emergency_exit(interpreter):
    def emergency_exit(value=True):
        status = exit_status(value)
        if getattr(interpreter, "allow_process_exit", False):
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
            os._exit(status & 0xFF)
        raise SchemeExit(status, emergency=True)

    return emergency_exit


def _check_environment_allowed(interpreter, name: str) -> None:
    # Environment variables often hold secrets: reading them is part of the file capability.
    if not getattr(interpreter, "allow_files", True):
        raise fault(f"{name}: environment access is disabled in this interpreter (Interpreter(allow_files=False))",
                    kind="file")


@interpreter_builtin("get-environment-variable", types=("string",))
def make_get_environment_variable(interpreter):
    def get_environment_variable(name):
        _check_environment_allowed(interpreter, "get-environment-variable")
        value = os.environ.get(name)
        return False if value is None else value

    return get_environment_variable


@interpreter_builtin("get-environment-variables")
def make_get_environment_variables(interpreter):
    def get_environment_variables():
        _check_environment_allowed(interpreter, "get-environment-variables")
        return make_list(Pair(name, value) for name, value in os.environ.items())

    return get_environment_variables
