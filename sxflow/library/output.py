"""Output: display, write, newline, write-string, write-char, string output ports and the current output port.

Each procedure takes an optional port: any Python object with a ``write(str)``
method. Without one it writes to the current output port: inside
``with-output-to-string`` the string being built, otherwise the interpreter's
``output`` attribute, or — when that is None — whatever ``sys.stdout`` is at the
time of the call (so redirection and pytest's capsys see the text).

``write`` and ``write-simple`` print through ``printer.write_string``, which labels
cycles (so it always terminates) but writes shared structure without a cycle out in
full; ``write-shared`` labels all shared structure (``printer.write_shared_string``).
"""

from __future__ import annotations

import sys

from ..printer import display_string, write_shared_string, write_string
from ..runtime import apply_procedure, fault, is_procedure
from .current_output import current_output, output_state
from .indexes import check_range
from .ports import StringOutputPort
from .registry import builtin, interpreter_builtin


def output_writer(port, current, name: str):
    """The ``write`` method of a port argument (None: the current output port)."""
    if port is None:
        return current().write
    write = getattr(port, "write", None)
    if write is None or not callable(write) or isinstance(port, type):
        raise fault(f"{name}: expected an output port, got {write_string(port)}", kind="wrong-type")
    return write


@interpreter_builtin("display", types=("any", "any"))
def make_display(interpreter):
    current = current_output(interpreter)

    def display(value, port=None):
        output_writer(port, current, "display")(display_string(value))

    return display


def _make_write(name: str, text_of=write_string):
    def make(interpreter):
        current = current_output(interpreter)

        def write(value, port=None):
            output_writer(port, current, name)(text_of(value))

        write.__name__ = name
        return write

    make.__name__ = f"make_{name}"
    return interpreter_builtin(name, types=("any", "any"))(make)


for _name in ("write", "write-simple"):
    _make_write(_name)
_make_write("write-shared", write_shared_string)


@interpreter_builtin("newline", types=("any",))
def make_newline(interpreter):
    current = current_output(interpreter)

    def newline(port=None):
        output_writer(port, current, "newline")("\n")

    return newline


@interpreter_builtin("write-string", types=("string", "any", "index", "index"))
def make_write_string(interpreter):
    current = current_output(interpreter)

    def write_string_(text, port=None, start=0, end=None):
        if type(text) is not str:
            raise TypeError("expected a string")
        if start != 0 or end is not None:
            start, end = check_range("write-string", start, end, len(text), "string")
            text = text[start:end]
        output_writer(port, current, "write-string")(text)

    return write_string_


@interpreter_builtin("write-char", types=("char", "any"))
def make_write_char(interpreter):
    current = current_output(interpreter)

    def write_char(character, port=None):
        output_writer(port, current, "write-char")(character.char)

    return write_char


@interpreter_builtin("flush-output-port", types=("any",))
def make_flush_output_port(interpreter):
    current = current_output(interpreter)

    def flush_output_port(port=None):
        target = current() if port is None else port
        output_writer(target, current, "flush-output-port")
        flush = getattr(target, "flush", None)
        if flush is not None:
            flush()

    return flush_output_port


@interpreter_builtin("current-output-port")
def make_current_output_port(interpreter):
    current = current_output(interpreter)

    def current_output_port():
        return current()

    return current_output_port


@builtin("current-error-port")
def current_error_port():
    return sys.stderr


# -- string output ports ---------------------------------------------------------------


@builtin("open-output-string")
def open_output_string():
    return StringOutputPort()


@builtin("get-output-string", types=("any",))
def get_output_string(port):
    value = getattr(port, "getvalue", None)
    if value is None or not callable(value):
        raise fault(f"get-output-string: expected a string output port, got {write_string(port)}",
                    kind="wrong-type")
    return value()


@builtin("call-with-output-string", types=("procedure",))
def call_with_output_string(procedure):
    """(call-with-output-string procedure): calls it with a fresh string port; the text written to it."""
    if not is_procedure(procedure):
        raise TypeError("expected a procedure")  # explained from the declared types
    port = StringOutputPort()
    apply_procedure(procedure, (port,))
    return port.getvalue()


@interpreter_builtin("with-output-to-string", types=("procedure",))
def make_with_output_to_string(interpreter):
    redirections = output_state(interpreter).redirections

    def with_output_to_string(thunk):
        """sxflow extension: runs ``thunk`` with a fresh string port as the current output; its text."""
        if not is_procedure(thunk):
            raise TypeError("expected a procedure")  # explained from the declared types
        port = StringOutputPort()
        depth = len(redirections)
        redirections.append(port)
        try:
            apply_procedure(thunk, ())
        finally:
            del redirections[depth:]
        return port.getvalue()

    return with_output_to_string
